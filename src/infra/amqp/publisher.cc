#include "infra/amqp/publisher.h"

#include <sys/time.h>

#include <algorithm>

#include "infra/amqp/channel.h"

namespace minishop::amqp {
namespace {

using Clock = std::chrono::steady_clock;

timeval Remaining(Clock::time_point deadline) {
  auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
  timeval tv;
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

Error Broken() { return MakeError(Code::kUnavailable, "amqp: publisher connection is broken"); }

}  // namespace

Result<std::unique_ptr<Publisher>> Publisher::Open(const ConnectOptions& options,
                                                   const Topology& topology) {
  Result<std::unique_ptr<Channel>> channel = Channel::Open(options);
  if (!channel.ok()) return channel.error();
  if (Status s = (*channel)->Declare(topology); !s.ok()) return s.error();
  amqp_confirm_select((*channel)->state(), Channel::kId);
  if (Status s = (*channel)->CheckRpc("confirm.select"); !s.ok()) return s.error();
  return std::unique_ptr<Publisher>(new Publisher(std::move(channel).value(), options));
}

Publisher::Publisher(std::unique_ptr<Channel> channel, const ConnectOptions& options)
    : channel_(std::move(channel)), confirm_timeout_(options.confirm_timeout) {}

Publisher::~Publisher() = default;

bool Publisher::broken() const { return channel_->broken(); }

Status Publisher::PublishConfirmed(const std::vector<Message>& batch) {
  if (broken()) return Broken();
  if (batch.empty()) return OkStatus();
  const uint64_t first = next_tag_;
  std::vector<amqp_table_entry_t> entries;
  for (const Message& m : batch) {
    entries.clear();
    for (const auto& [key, value] : m.headers) {
      amqp_table_entry_t e;
      e.key = Bytes(key);
      e.value.kind = AMQP_FIELD_KIND_UTF8;
      e.value.value.bytes = Bytes(value);
      entries.push_back(e);
    }
    amqp_basic_properties_t props;
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                   AMQP_BASIC_HEADERS_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.headers = amqp_table_t{static_cast<int>(entries.size()), entries.data()};
    int s = amqp_basic_publish(channel_->state(), Channel::kId, Bytes(m.exchange),
                               Bytes(m.routing_key), /*mandatory=*/1, /*immediate=*/0, &props,
                               Bytes(m.body));
    if (s != AMQP_STATUS_OK) return channel_->Fail("publish", s);
    ++next_tag_;
  }
  return AwaitConfirms(first, next_tag_ - 1);
}

Status Publisher::AwaitConfirms(uint64_t first, uint64_t last) {
  // confirmed[i] is tag first+i; `low` is the lowest tag not yet confirmed.
  std::vector<bool> confirmed(last - first + 1, false);
  uint64_t low = first;
  std::string failure;
  auto confirm = [&](uint64_t tag, bool multiple) {
    uint64_t from = multiple ? low : std::max(tag, first);
    for (uint64_t t = from; t <= std::min(tag, last); ++t) confirmed[t - first] = true;
    while (low <= last && confirmed[low - first]) ++low;
  };
  const Clock::time_point deadline = Clock::now() + confirm_timeout_;
  amqp_connection_state_t state = channel_->state();
  while (low <= last) {
    amqp_maybe_release_buffers(state);
    timeval tv = Remaining(deadline);
    amqp_frame_t frame;
    int s = amqp_simple_wait_frame_noblock(state, &frame, &tv);
    if (s == AMQP_STATUS_TIMEOUT) {
      channel_->Fail("confirms", s);
      return MakeError(Code::kDeadlineExceeded, "amqp: the broker did not confirm the batch in time");
    }
    if (s != AMQP_STATUS_OK) return channel_->Fail("awaiting confirms", s);
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    const amqp_method_t& method = frame.payload.method;
    if (method.id == AMQP_BASIC_ACK_METHOD) {
      auto* ack = static_cast<amqp_basic_ack_t*>(method.decoded);
      confirm(ack->delivery_tag, ack->multiple != 0);
    } else if (method.id == AMQP_BASIC_NACK_METHOD) {
      auto* nack = static_cast<amqp_basic_nack_t*>(method.decoded);
      confirm(nack->delivery_tag, nack->multiple != 0);
      failure = "the broker nacked a message";
    } else if (method.id == AMQP_BASIC_RETURN_METHOD) {
      auto* ret = static_cast<amqp_basic_return_t*>(method.decoded);
      failure = "message returned as unroutable: " + ToString(ret->reply_text) + " (exchange " +
                ToString(ret->exchange) + ", routing key " + ToString(ret->routing_key) + ")";
      amqp_message_t message;  // the returned content follows; read it off the wire
      amqp_rpc_reply_t r = amqp_read_message(state, Channel::kId, &message, 0);
      if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        return channel_->Fail("read returned message",
                              r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                                  ? r.library_error
                                  : AMQP_STATUS_UNEXPECTED_STATE);
      }
      amqp_destroy_message(&message);
    } else if (Status u = channel_->HandleUnexpected(frame); !u.ok()) {
      return u;
    }
  }
  if (!failure.empty()) return MakeError(Code::kUnavailable, "amqp: " + failure);
  return OkStatus();
}

Status Publisher::Poll() {
  if (broken()) return Broken();
  amqp_connection_state_t state = channel_->state();
  for (;;) {
    amqp_maybe_release_buffers(state);
    timeval zero{0, 0};
    amqp_frame_t frame;
    int s = amqp_simple_wait_frame_noblock(state, &frame, &zero);
    if (s == AMQP_STATUS_TIMEOUT) return OkStatus();
    if (s != AMQP_STATUS_OK) return channel_->Fail("poll", s);
    if (Status u = channel_->HandleUnexpected(frame); !u.ok()) return u;
  }
}

}  // namespace minishop::amqp
