#include "infra/amqp/consumer.h"

#include <sys/time.h>

#include <algorithm>

#include "infra/amqp/channel.h"

namespace minishop::amqp {
namespace {

using Clock = std::chrono::steady_clock;

Headers StringHeaders(const amqp_basic_properties_t& props) {
  Headers out;
  if ((props._flags & AMQP_BASIC_HEADERS_FLAG) == 0) return out;
  for (int i = 0; i < props.headers.num_entries; ++i) {
    const amqp_table_entry_t& e = props.headers.entries[i];
    if (e.value.kind == AMQP_FIELD_KIND_UTF8 || e.value.kind == AMQP_FIELD_KIND_BYTES) {
      out.emplace_back(ToString(e.key), ToString(e.value.value.bytes));
    }
  }
  return out;
}

Delivery FromEnvelope(const amqp_envelope_t& env) {
  Delivery d;
  d.tag = env.delivery_tag;
  d.redelivered = env.redelivered != 0;
  d.routing_key = ToString(env.routing_key);
  d.body = ToString(env.message.body);
  d.headers = StringHeaders(env.message.properties);
  return d;
}

Error Broken() { return MakeError(Code::kUnavailable, "amqp: consumer connection is broken"); }

}  // namespace

Result<std::unique_ptr<Consumer>> Consumer::Open(const ConnectOptions& options,
                                                 const Topology& topology,
                                                 const std::string& queue, int prefetch) {
  Result<std::unique_ptr<Channel>> opened = Channel::Open(options);
  if (!opened.ok()) return opened.error();
  Channel& channel = **opened;
  if (Status s = channel.Declare(topology); !s.ok()) return s.error();
  amqp_basic_qos(channel.state(), Channel::kId, 0, static_cast<uint16_t>(std::clamp(prefetch, 1, 65535)),
                 /*global=*/0);
  if (Status s = channel.CheckRpc("basic.qos"); !s.ok()) return s.error();
  amqp_basic_consume(channel.state(), Channel::kId, Bytes(queue), amqp_empty_bytes,
                     /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  if (Status s = channel.CheckRpc("consume " + queue); !s.ok()) return s.error();
  return std::unique_ptr<Consumer>(new Consumer(std::move(opened).value()));
}

Consumer::Consumer(std::unique_ptr<Channel> channel) : channel_(std::move(channel)) {}

Consumer::~Consumer() = default;

bool Consumer::broken() const { return channel_->broken(); }

Result<std::vector<Delivery>> Consumer::Next(size_t max, std::chrono::milliseconds wait) {
  if (broken()) return Broken();
  std::vector<Delivery> out;
  amqp_connection_state_t state = channel_->state();
  const Clock::time_point deadline = Clock::now() + wait;
  while (out.size() < max) {
    auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
    timeval tv{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
    amqp_maybe_release_buffers(state);
    amqp_envelope_t env;
    amqp_rpc_reply_t r = amqp_consume_message(state, &env, &tv, 0);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
      out.push_back(FromEnvelope(env));
      amqp_destroy_envelope(&env);
      continue;
    }
    if (r.reply_type != AMQP_RESPONSE_LIBRARY_EXCEPTION) return channel_->Fail("consume", AMQP_STATUS_UNEXPECTED_STATE);
    if (r.library_error == AMQP_STATUS_TIMEOUT) break;
    if (r.library_error != AMQP_STATUS_UNEXPECTED_STATE) {
      return channel_->Fail("consume", r.library_error);
    }
    // A frame other than a delivery is waiting (a close, a cancel, a stray frame).
    amqp_frame_t frame;
    timeval zero{0, 0};
    int s = amqp_simple_wait_frame_noblock(state, &frame, &zero);
    if (s != AMQP_STATUS_OK && s != AMQP_STATUS_TIMEOUT) return channel_->Fail("consume", s);
    if (s == AMQP_STATUS_OK) {
      if (Status u = channel_->HandleUnexpected(frame); !u.ok()) return u.error();
    }
  }
  return out;
}

Status Consumer::Settled(int status, const char* what) {
  if (status != AMQP_STATUS_OK) return channel_->Fail(what, status);
  return OkStatus();
}

Status Consumer::Ack(uint64_t tag, bool multiple) {
  if (broken()) return Broken();
  return Settled(amqp_basic_ack(channel_->state(), Channel::kId, tag, multiple ? 1 : 0), "ack");
}

Status Consumer::Reject(uint64_t tag) {
  if (broken()) return Broken();
  return Settled(amqp_basic_reject(channel_->state(), Channel::kId, tag, /*requeue=*/0), "reject");
}

}  // namespace minishop::amqp
