// Channel: one rabbitmq-c connection with channel 1 open, shared by Publisher and Consumer.
// Private to src/infra/amqp (it exposes rabbitmq-c types). One thread at a time.
#pragma once

#include <amqp.h>

#include <memory>
#include <string_view>

#include "infra/amqp/connection.h"

namespace minishop::amqp {

class Channel {
 public:
  static constexpr amqp_channel_t kId = 1;

  // Connects, logs in and opens channel kId, each step bounded by options.timeout.
  static Result<std::unique_ptr<Channel>> Open(const ConnectOptions& options);
  // Closes politely unless broken, then frees the connection.
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  amqp_connection_state_t state() const { return state_; }
  bool broken() const { return broken_; }

  // The outcome of the last synchronous method, as a Status. Any failure marks the channel
  // broken: library errors and connection.close → kUnavailable, channel.close → kInternal.
  Status CheckRpc(std::string_view what);
  // Marks the channel broken and returns kUnavailable naming `what` and the library error.
  Error Fail(std::string_view what, int library_status);
  // Handles a frame the caller did not expect: connection.close or channel.close mark the
  // channel broken and return their reason; anything else is ignored.
  Status HandleUnexpected(const amqp_frame_t& frame);

  Status Declare(const Topology& topology);

 private:
  explicit Channel(amqp_connection_state_t state) : state_(state) {}
  amqp_connection_state_t state_;
  bool broken_ = false;
};

inline amqp_bytes_t Bytes(std::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

inline std::string ToString(amqp_bytes_t b) {
  return std::string(static_cast<const char*>(b.bytes), b.len);
}

}  // namespace minishop::amqp
