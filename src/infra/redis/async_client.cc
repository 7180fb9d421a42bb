#include "infra/redis/async_client.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/clock.h"

namespace minishop::redis {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
int64_t NowMs() { return NowSteadyUs() / 1000; }
}  // namespace

Script::Script(std::string lua) : source(std::move(lua)) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(source.data(), source.size(), digest, &len, EVP_sha1(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    sha1 += kHex[digest[i] >> 4];
    sha1 += kHex[digest[i] & 15];
  }
}

void AppendCommand(std::string& out, const std::vector<std::string>& argv) {
  out += '*';
  out += std::to_string(argv.size());
  out += "\r\n";
  for (const std::string& a : argv) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
}

AsyncClient::AsyncClient(asio::io_context& io, RedisConfig config)
    : io_(io), config_(std::move(config)), socket_(io), backoff_timer_(io), timeout_timer_(io) {}

AsyncClient::~AsyncClient() {
  *alive_ = false;
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void AsyncClient::Start() {
  asio::co_spawn(io_, Run(), asio::detached);
  asio::co_spawn(io_, WatchTimeouts(), asio::detached);
}

void AsyncClient::Stop() {
  if (state_ == State::kStopped) return;
  state_ = State::kStopped;
  boost::system::error_code ignored;
  socket_.close(ignored);
  backoff_timer_.cancel();
  timeout_timer_.cancel();
  FailAll(Code::kUnavailable, "redis client stopped");
}

void AsyncClient::Enqueue(const std::vector<std::string>& argv, ReplyHandler handler) {
  const char* refusal = nullptr;
  if (state_ != State::kConnected) refusal = "redis is not connected";
  else if (static_cast<int64_t>(pending_.size()) >= config_.max_pending) refusal = "redis is overloaded";
  if (refusal != nullptr) {
    asio::post(io_, [h = std::move(handler), refusal]() mutable {
      std::move(h)(Result<Reply>(MakeError(Code::kUnavailable, refusal)));
    });
    return;
  }
  AppendCommand(out_, argv);
  pending_.push_back({std::move(handler), NowMs()});
  if (!flush_posted_ && !write_in_flight_) {
    // Defer the write to the end of this loop iteration so that every command issued
    // meanwhile shares it.
    flush_posted_ = true;
    asio::post(io_, [this, alive = alive_] {
      if (!*alive) return;
      flush_posted_ = false;
      Flush();
    });
  }
}

void AsyncClient::Flush() {
  if (write_in_flight_ || out_.empty() || state_ != State::kConnected) return;
  writing_.clear();
  writing_.swap(out_);
  write_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [this, alive = alive_](boost::system::error_code ec, size_t) {
                      if (!*alive) return;
                      write_in_flight_ = false;
                      if (ec) {
                        boost::system::error_code ignored;
                        socket_.close(ignored);  // the read loop notices and fails in-flight work
                        return;
                      }
                      Flush();
                    });
}

void AsyncClient::Deliver(Result<Reply> result) {
  if (pending_.empty()) return;  // a reply nobody waits for: protocol desync, ignored
  ReplyHandler handler = std::move(pending_.front().handler);
  pending_.pop_front();
  std::move(handler)(std::move(result));
}

void AsyncClient::FailAll(Code code, const std::string& message) {
  out_.clear();
  std::deque<Pending> failed;
  failed.swap(pending_);
  for (Pending& p : failed) std::move(p.handler)(Result<Reply>(MakeError(code, message)));
}

asio::awaitable<void> AsyncClient::Run() {
  auto alive = alive_;
  int64_t backoff_ms = 50;
  tcp::endpoint endpoint;
  std::vector<char> buffer(64 * 1024);
  while (*alive && state_ != State::kStopped) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(config_.host, ec);
    if (ec) {
      spdlog::error("redis.host must be an IP address, got {}", config_.host);
      co_return;
    }
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(config_.port));
    socket_ = tcp::socket(io_);
    // WatchTimeouts bounds the connect by the command timeout: an unanswered SYN must
    // not hang us.
    connect_started_ms_ = NowMs();
    auto [cec] = co_await socket_.async_connect(endpoint, kAwait);
    connect_started_ms_ = 0;
    if (!*alive || state_ == State::kStopped) co_return;
    if (cec) {
      spdlog::warn("redis {}:{} unreachable ({}); retrying in {} ms", config_.host, config_.port,
                   cec.message(), backoff_ms);
      backoff_timer_.expires_after(std::chrono::milliseconds(backoff_ms));
      co_await backoff_timer_.async_wait(kAwait);
      backoff_ms = std::min<int64_t>(backoff_ms * 2, config_.reconnect_max_ms);
      continue;
    }
    socket_.set_option(tcp::no_delay(true), ec);
    if (reader_ != nullptr) redisReaderFree(reader_);
    reader_ = redisReaderCreate();
    state_ = State::kConnected;
    timed_out_ = false;
    backoff_ms = 50;
    spdlog::info("redis {}:{} connected", config_.host, config_.port);
    for (;;) {
      auto [rec, n] = co_await socket_.async_read_some(asio::buffer(buffer), kAwait);
      if (!*alive) co_return;
      if (rec) break;
      if (redisReaderFeed(reader_, buffer.data(), n) != REDIS_OK) break;
      bool broken = false;
      for (;;) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
          broken = true;
          break;
        }
        if (raw == nullptr) break;
        Reply reply = FromHiredis(static_cast<redisReply*>(raw));
        freeReplyObject(raw);
        Deliver(std::move(reply));
        if (!*alive) co_return;
      }
      if (broken) break;
    }
    if (state_ == State::kStopped) co_return;
    state_ = State::kDisconnected;
    socket_.close(ec);
    write_in_flight_ = false;
    FailAll(timed_out_ ? Code::kTimeout : Code::kUnavailable,
            timed_out_ ? "redis did not answer in time" : "redis connection lost");
    spdlog::warn("redis {}:{} connection lost; reconnecting", config_.host, config_.port);
  }
}

asio::awaitable<void> AsyncClient::WatchTimeouts() {
  auto alive = alive_;
  asio::steady_timer tick(io_);
  while (*alive && state_ != State::kStopped) {
    tick.expires_after(std::chrono::milliseconds(50));
    co_await tick.async_wait(kAwait);
    if (!*alive || state_ == State::kStopped) co_return;
    if (connect_started_ms_ != 0 && NowMs() - connect_started_ms_ > config_.command_timeout_ms) {
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
    if (state_ == State::kConnected && !pending_.empty() &&
        NowMs() - pending_.front().sent_ms > config_.command_timeout_ms) {
      timed_out_ = true;
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
  }
}

asio::awaitable<Result<Reply>> AsyncClient::Eval(const Script& script,
                                                 std::vector<std::string> keys,
                                                 std::vector<std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1);
  argv.push_back(std::to_string(keys.size()));
  for (auto& k : keys) argv.push_back(std::move(k));
  for (auto& a : args) argv.push_back(std::move(a));
  Result<Reply> reply = co_await Command(argv, asio::use_awaitable);
  if (reply.ok() && reply->is_error() && reply->str.rfind("NOSCRIPT", 0) == 0) {
    argv[0] = "EVAL";
    argv[1] = script.source;
    reply = co_await Command(std::move(argv), asio::use_awaitable);
  }
  co_return reply;
}

}  // namespace minishop::redis
