#include "infra/amqp/connection.h"

#include "infra/amqp/channel.h"

namespace minishop::amqp {

ConnectOptions ConnectOptions::FromConfig(const AmqpConfig& c) {
  ConnectOptions o;
  o.host = c.host;
  o.port = c.port;
  o.user = c.user;
  o.password = c.password;
  o.vhost = c.vhost;
  return o;
}

Topology Topology::FromConfig(const AmqpConfig& c) {
  return Topology{c.exchange, c.queue, c.dead_letter_exchange, c.dead_letter_queue};
}

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

Status DeclareTopology(const ConnectOptions& options, const Topology& topology) {
  Result<std::unique_ptr<Channel>> channel = Channel::Open(options);
  if (!channel.ok()) return channel.error();
  return (*channel)->Declare(topology);
}

}  // namespace minishop::amqp
