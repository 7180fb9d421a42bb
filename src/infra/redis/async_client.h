// AsyncClient: one pipelined Redis connection bound to one event loop; call it only from
// that loop's thread. Every command issued during one loop iteration leaves in a single
// write, and replies are matched to callers in order (RESP is FIFO), so many requests
// share one round trip. hiredis parses replies; Asio does the I/O.
//
// A command completes with the reply (a Redis error reply is a Reply of type kError, not
// an Error), kUnavailable when not connected, the connection broke or redis.max_pending
// commands are already in flight (load shedding: the command was never sent), or kTimeout when
// Redis did not answer within redis.command_timeout_ms (the connection is then reset,
// failing everything in flight). The client reconnects by itself with capped backoff.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/result.h"
#include "infra/redis/reply.h"

struct redisReader;

namespace minishop::redis {

// A Lua script known by its SHA1, sent with EVALSHA and re-sent with EVAL when Redis
// answers NOSCRIPT (after a restart or SCRIPT FLUSH).
struct Script {
  explicit Script(std::string lua);
  std::string source;
  std::string sha1;  // lowercase hex
};

using ReplyHandler = boost::asio::any_completion_handler<void(Result<Reply>)>;

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

  // Sends one command. Completion signature: void(Result<Reply>).
  template <class Token>
  auto Command(std::vector<std::string> argv, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<Reply>)>(
        [this](ReplyHandler handler, std::vector<std::string> args) {
          Enqueue(args, std::move(handler));
        },
        token, std::move(argv));
  }

  // EVALSHA, falling back to EVAL on NOSCRIPT.
  boost::asio::awaitable<Result<Reply>> Eval(const Script& script, std::vector<std::string> keys,
                                             std::vector<std::string> args);

 private:
  enum class State { kDisconnected, kConnected, kStopped };
  struct Pending {
    ReplyHandler handler;
    int64_t sent_ms;
  };

  void Enqueue(const std::vector<std::string>& argv, ReplyHandler handler);
  void Flush();
  void FailAll(Code code, const std::string& message);
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
  bool timed_out_ = false;
  int64_t connect_started_ms_ = 0;
  std::deque<Pending> pending_;
  redisReader* reader_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Appends argv as a RESP array of bulk strings to `out`.
void AppendCommand(std::string& out, const std::vector<std::string>& argv);

}  // namespace minishop::redis
