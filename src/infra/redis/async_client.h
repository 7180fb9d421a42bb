// AsyncClient: one pipelined Redis connection bound to one event loop; call it only from
// that loop's thread. Every command issued during one loop iteration leaves in a single
// write, and replies are matched to callers in order (RESP is FIFO), so many requests
// share one round trip. Commands are encoded straight into the output buffer and replies
// parsed straight from the input buffer (reply.h), so a command costs no heap allocation
// beyond its Reply; Asio does the I/O.
//
// A command completes with exactly one of:
// - the reply (a Redis error reply is a Reply of type kError, not an Error);
// - kUnavailable: the command was never sent, so it did not run — not connected, shed
//   because redis.max_pending commands are in flight or the oldest has waited
//   redis.shed_after_ms, or the connection broke before it was written;
// - kDeadlineExceeded: the command was sent but its reply was lost — the connection broke, or the
//   oldest command passed redis.command_timeout_ms and the connection was reset. Redis may
//   have run it: the caller must treat the outcome as unknown.
// A slow but answering Redis never fails a sent command before the hard deadline; the
// shedding threshold keeps what is admitted far from it. The client reconnects by itself
// with capped backoff.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/result.h"
#include "infra/redis/reply.h"

namespace minishop::redis {

// A Lua script known by its SHA1, sent with EVALSHA and re-sent with EVAL when Redis
// answers NOSCRIPT (after a restart or SCRIPT FLUSH).
struct Script {
  explicit Script(std::string lua);
  std::string source;
  std::string sha1;  // lowercase hex
};

using ReplyHandler = boost::asio::any_completion_handler<void(Result<Reply>)>;

// Borrowed command arguments, written to the wire as they are.
using ArgViews = std::span<const std::string_view>;

class AsyncClient {
 public:
  AsyncClient(boost::asio::io_context& io, RedisConfig config);
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Starts connecting in the background. Non-blocking.
  void Start();
  // Closes the connection and fails what is in flight with kUnavailable. Idempotent.
  void Stop();
  bool connected() const { return state_ == State::kConnected; }
  // The loop this client belongs to.
  boost::asio::io_context& context() const { return io_; }

  // Sends one command. Completion signature: void(Result<Reply>).
  template <class Token>
  auto Command(std::vector<std::string> argv, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<Reply>)>(
        [this](ReplyHandler handler, std::vector<std::string> args) {
          Enqueue(args, std::move(handler));
        },
        token, std::move(argv));
  }

  // EVALSHA with borrowed keys and args, encoded straight into the output buffer; when
  // Redis answers NOSCRIPT the client re-sends the command as EVAL itself. `script`,
  // `keys`, `args` and the bytes they view must stay valid until the handler runs (named
  // locals of the awaiting coroutine are). Completion signature: void(Result<Reply>).
  template <class Token>
  auto Eval(const Script& script, ArgViews keys, ArgViews args, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<Reply>)>(
        [this](ReplyHandler handler, const Script* s, ArgViews k, ArgViews a) {
          EnqueueEval(*s, k, a, std::move(handler));
        },
        token, &script, keys, args);
  }

  // EVALSHA, falling back to EVAL on NOSCRIPT (owning arguments; for cold paths).
  boost::asio::awaitable<Result<Reply>> Eval(const Script& script, std::vector<std::string> keys,
                                             std::vector<std::string> args);

 private:
  enum class State { kDisconnected, kConnected, kStopped };
  struct Pending {
    ReplyHandler handler;
    int64_t sent_ms;
    // Set for EVALSHA sent by EnqueueEval: what to re-send as EVAL on NOSCRIPT.
    const Script* script = nullptr;
    ArgViews keys, args;
  };

  // False (and the handler failed with kUnavailable) when the command cannot be sent.
  bool Admit(ReplyHandler& handler);
  void Enqueue(const std::vector<std::string>& argv, ReplyHandler handler);
  void EnqueueEval(const Script& script, ArgViews keys, ArgViews args, ReplyHandler handler);
  void ScheduleFlush();
  void Flush();
  // Fails every pending command: the sent ones with kDeadlineExceeded, the rest with kUnavailable.
  void FailAll(std::string_view why);
  // Reads what the socket holds without blocking and delivers every whole reply. False when
  // the connection is closed or broken (or the client destroyed meanwhile).
  bool ReadAvailable();
  // While sent commands await replies on a busy loop, runs ReadAvailable from a posted
  // handler, again after each batch of queued handlers. Under load the socket's readiness
  // event (like a timer's) queues behind every ready client connection of the loop: one
  // sweep over all of them, which grows with the connections. A posted handler runs
  // after the handlers already queued instead, so replies arrive within about one batch
  // of events. On an idle loop the reactor wakes the read loop first.
  void SchedulePoll();
  void Deliver(Result<Reply> result);
  boost::asio::awaitable<void> Run();
  boost::asio::awaitable<void> WatchTimeouts();

  boost::asio::io_context& io_;
  RedisConfig config_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer backoff_timer_;
  boost::asio::steady_timer timeout_timer_;
  State state_ = State::kDisconnected;
  std::string out_;      // commands not yet handed to the socket
  std::string writing_;  // the buffer of the write in flight
  bool write_in_flight_ = false;
  bool flush_posted_ = false;
  bool poll_posted_ = false;
  bool reading_ = false;
  size_t in_filled_ = 0;
  bool timed_out_ = false;
  int64_t connect_started_ms_ = 0;
  std::deque<Pending> pending_;
  size_t unsent_ = 0;     // the last unsent_ entries of pending_ are still only in out_
  std::vector<char> in_;  // read buffer: replies are parsed in place, [0, in_filled_) used
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Appends argv as a RESP array of bulk strings to `out`.
void AppendCommand(std::string& out, const std::vector<std::string>& argv);
// Appends "<verb> <script> <#keys> keys... args..." as a RESP array to `out`.
void AppendEval(std::string& out, std::string_view verb, std::string_view script, ArgViews keys,
                ArgViews args);

}  // namespace minishop::redis
