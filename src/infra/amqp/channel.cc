#include "infra/amqp/channel.h"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <string>

#include "common/clock.h"

namespace minishop::amqp {
namespace {

std::string CloseReason(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(method.decoded);
    return "connection closed by broker: " + std::to_string(m->reply_code) + " " +
           ToString(m->reply_text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(method.decoded);
    return "channel closed by broker: " + std::to_string(m->reply_code) + " " +
           ToString(m->reply_text);
  }
  return std::string("unexpected method ") + amqp_method_name(method.id);
}

}  // namespace

Result<std::unique_ptr<Channel>> Channel::Open(const ConnectOptions& options) {
  amqp_connection_state_t state = amqp_new_connection();
  if (state == nullptr) return MakeError(Code::kInternal, "amqp: out of memory");
  std::unique_ptr<Channel> channel(new Channel(state));
  amqp_socket_t* socket = amqp_tcp_socket_new(state);
  if (socket == nullptr) return MakeError(Code::kInternal, "amqp: cannot create a socket");
  timeval tv = ToTimeval(options.timeout);
  amqp_set_handshake_timeout(state, &tv);
  amqp_set_rpc_timeout(state, &tv);
  std::string where = options.host + ":" + std::to_string(options.port);
  if (int s = amqp_socket_open_noblock(socket, options.host.c_str(), options.port, &tv);
      s != AMQP_STATUS_OK) {
    return channel->Fail("connect " + where, s);
  }
  amqp_rpc_reply_t login =
      amqp_login(state, options.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, options.heartbeat_s,
                 AMQP_SASL_METHOD_PLAIN, options.user.c_str(), options.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    Status s = channel->CheckRpc("login to " + where);
    return s.error();
  }
  amqp_channel_open(state, kId);
  if (Status s = channel->CheckRpc("channel.open"); !s.ok()) return s.error();
  return channel;
}

Channel::~Channel() {
  if (!broken_) {
    amqp_channel_close(state_, kId, AMQP_REPLY_SUCCESS);
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

Error Channel::Fail(std::string_view what, int library_status) {
  broken_ = true;
  return MakeError(Code::kUnavailable,
                   "amqp: " + std::string(what) + ": " + amqp_error_string2(library_status));
}

Status Channel::CheckRpc(std::string_view what) {
  amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return OkStatus();
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return Fail(what, reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION: {
      broken_ = true;
      Code code =
          reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD ? Code::kInternal : Code::kUnavailable;
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        amqp_connection_close_ok_t ok{};
        amqp_send_method(state_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      }
      return MakeError(code, "amqp: " + std::string(what) + ": " + CloseReason(reply.reply));
    }
    default:
      broken_ = true;
      return MakeError(Code::kUnavailable, "amqp: " + std::string(what) + ": no reply");
  }
}

Status Channel::HandleUnexpected(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return OkStatus();
  const amqp_method_t& method = frame.payload.method;
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD || method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    broken_ = true;
    Code code = method.id == AMQP_CHANNEL_CLOSE_METHOD ? Code::kInternal : Code::kUnavailable;
    return MakeError(code, "amqp: " + CloseReason(method));
  }
  if (method.id == AMQP_BASIC_CANCEL_METHOD) {  // e.g. the queue was deleted
    broken_ = true;
    return MakeError(Code::kUnavailable, "amqp: consumer cancelled by broker");
  }
  return OkStatus();
}

Status Channel::Declare(const Topology& t) {
  amqp_exchange_declare(state_, kId, Bytes(t.dead_letter_exchange), amqp_cstring_bytes("fanout"),
                        /*passive=*/0, /*durable=*/1, /*auto_delete=*/0, /*internal=*/0,
                        amqp_empty_table);
  if (Status s = CheckRpc("declare exchange " + t.dead_letter_exchange); !s.ok()) return s;
  amqp_queue_declare(state_, kId, Bytes(t.dead_letter_queue), 0, /*durable=*/1, 0, 0,
                     amqp_empty_table);
  if (Status s = CheckRpc("declare queue " + t.dead_letter_queue); !s.ok()) return s;
  amqp_queue_bind(state_, kId, Bytes(t.dead_letter_queue), Bytes(t.dead_letter_exchange),
                  amqp_empty_bytes, amqp_empty_table);
  if (Status s = CheckRpc("bind " + t.dead_letter_queue); !s.ok()) return s;

  amqp_exchange_declare(state_, kId, Bytes(t.exchange), amqp_cstring_bytes("direct"), 0, 1, 0, 0,
                        amqp_empty_table);
  if (Status s = CheckRpc("declare exchange " + t.exchange); !s.ok()) return s;
  amqp_table_entry_t dlx;
  dlx.key = amqp_cstring_bytes("x-dead-letter-exchange");
  dlx.value.kind = AMQP_FIELD_KIND_UTF8;
  dlx.value.value.bytes = Bytes(t.dead_letter_exchange);
  amqp_table_t args{1, &dlx};
  amqp_queue_declare(state_, kId, Bytes(t.queue), 0, 1, 0, 0, args);
  if (Status s = CheckRpc("declare queue " + t.queue); !s.ok()) return s;
  amqp_queue_bind(state_, kId, Bytes(t.queue), Bytes(t.exchange), Bytes(t.queue), amqp_empty_table);
  return CheckRpc("bind " + t.queue);
}

}  // namespace minishop::amqp
