#include "infra/amqp/queue_info.h"

#include "infra/amqp/channel.h"

namespace minishop::amqp {

Result<QueueCounts> InspectQueue(const ConnectOptions& options, const std::string& queue) {
  auto channel = Channel::Open(options);
  if (!channel.ok()) return channel.error();
  amqp_queue_declare_ok_t* ok = amqp_queue_declare((*channel)->state(), Channel::kId,
                                                   Bytes(queue), /*passive=*/1, 0, 0, 0,
                                                   amqp_empty_table);
  if (Status s = (*channel)->CheckRpc("inspect queue " + queue); !s.ok()) return s.error();
  if (ok == nullptr) return MakeError(Code::kInternal, "amqp: no reply to inspect " + queue);
  return QueueCounts{static_cast<int64_t>(ok->message_count),
                     static_cast<int64_t>(ok->consumer_count)};
}

}  // namespace minishop::amqp
