#include "infra/redis/async_client.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>

#include "common/clock.h"

namespace minishop::redis {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
int64_t NowMs() { return NowSteadyUs() / 1000; }

void AppendHeader(std::string& out, char kind, size_t n) {
  char buf[24];
  buf[0] = kind;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out.append(buf, static_cast<size_t>(end - buf));
}

void AppendBulk(std::string& out, std::string_view arg) {
  AppendHeader(out, '$', arg.size());
  out.append(arg);
  out.append("\r\n", 2);
}

constexpr size_t kReadChunk = 64 * 1024;
// A posted handler that waited longer than this found the loop busy (see SchedulePoll).
constexpr int64_t kBusyLoopUs = 100;
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
  AppendHeader(out, '*', argv.size());
  for (const std::string& a : argv) AppendBulk(out, a);
}

void AppendEval(std::string& out, std::string_view verb, std::string_view script, ArgViews keys,
                ArgViews args) {
  AppendHeader(out, '*', 3 + keys.size() + args.size());
  AppendBulk(out, verb);
  AppendBulk(out, script);
  char count[20];
  char* end = std::to_chars(count, count + sizeof(count), keys.size()).ptr;
  AppendBulk(out, std::string_view(count, static_cast<size_t>(end - count)));
  for (std::string_view k : keys) AppendBulk(out, k);
  for (std::string_view a : args) AppendBulk(out, a);
}

AsyncClient::AsyncClient(asio::io_context& io, RedisConfig config)
    : io_(io), config_(std::move(config)), socket_(io), backoff_timer_(io), timeout_timer_(io) {}

AsyncClient::~AsyncClient() { *alive_ = false; }

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
  FailAll("redis client stopped");
}

bool AsyncClient::Admit(ReplyHandler& handler) {
  const char* refusal = nullptr;
  if (state_ != State::kConnected) {
    refusal = "redis is not connected";
  } else if (static_cast<int64_t>(pending_.size()) >= config_.max_pending ||
             (config_.shed_after_ms > 0 && !pending_.empty() &&
              NowMs() - pending_.front().sent_ms >= config_.shed_after_ms)) {
    refusal = "redis is overloaded";
  }
  if (refusal == nullptr) return true;
  asio::post(io_, [h = std::move(handler), refusal]() mutable {
    std::move(h)(Result<Reply>(MakeError(Code::kUnavailable, refusal)));
  });
  return false;
}

void AsyncClient::Enqueue(const std::vector<std::string>& argv, ReplyHandler handler) {
  if (!Admit(handler)) return;
  AppendCommand(out_, argv);
  pending_.push_back({std::move(handler), NowMs(), nullptr, {}, {}});
  ++unsent_;
  ScheduleFlush();
}

void AsyncClient::EnqueueEval(const Script& script, ArgViews keys, ArgViews args,
                              ReplyHandler handler) {
  if (!Admit(handler)) return;
  AppendEval(out_, "EVALSHA", script.sha1, keys, args);
  pending_.push_back({std::move(handler), NowMs(), &script, keys, args});
  ++unsent_;
  ScheduleFlush();
}

void AsyncClient::ScheduleFlush() {
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
  unsent_ = 0;
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
                      SchedulePoll();
                      Flush();
                    });
}

bool AsyncClient::ReadAvailable() {
  if (reading_) return true;
  reading_ = true;
  auto alive = alive_;
  bool ok = true;
  for (;;) {
    // in_[0, in_filled_) holds bytes read but not yet delivered as replies.
    if (in_.size() - in_filled_ < kReadChunk / 4) in_.resize(in_.size() * 2);  // a large reply
    boost::system::error_code ec;
    const size_t n =
        socket_.read_some(asio::buffer(in_.data() + in_filled_, in_.size() - in_filled_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      ok = false;  // closed or broken
      break;
    }
    in_filled_ += n;
    size_t parsed = 0;
    for (;;) {
      Reply reply;
      size_t consumed = 0;
      ReplyParse state =
          ParseReply(std::string_view(in_.data() + parsed, in_filled_ - parsed), reply, consumed);
      if (state == ReplyParse::kNeedMore) break;
      if (state == ReplyParse::kBad) {
        spdlog::error("redis {}:{} sent a malformed reply", config_.host, config_.port);
        ok = false;
        break;
      }
      parsed += consumed;
      Deliver(std::move(reply));
      if (!*alive) return false;
    }
    std::memmove(in_.data(), in_.data() + parsed, in_filled_ - parsed);
    in_filled_ -= parsed;
    if (!ok) break;
  }
  reading_ = false;
  return ok;
}

void AsyncClient::SchedulePoll() {
  if (poll_posted_ || pending_.size() <= unsent_ || state_ != State::kConnected) return;
  poll_posted_ = true;
  asio::post(io_, [this, alive = alive_, posted_us = NowSteadyUs()] {
    if (!*alive) return;
    poll_posted_ = false;
    if (state_ != State::kConnected) return;
    // How long this handler waited behind others tells how busy the loop is.
    const bool busy = NowSteadyUs() - posted_us > kBusyLoopUs;
    const size_t before = pending_.size();
    if (!ReadAvailable()) {
      boost::system::error_code ignored;
      socket_.close(ignored);  // the read loop notices and fails in-flight work
      return;
    }
    // Look again after the handlers queued meanwhile while replies flow or the loop is
    // busy; an idle loop hears of the replies from the reactor at once.
    if (pending_.size() < before || busy) SchedulePoll();
  });
}

void AsyncClient::Deliver(Result<Reply> result) {
  if (pending_.empty()) return;  // a reply nobody waits for: protocol desync, ignored
  Pending done = std::move(pending_.front());
  pending_.pop_front();
  if (done.script != nullptr && result.ok() && result->is_error() &&
      result->str.rfind("NOSCRIPT", 0) == 0 && state_ == State::kConnected) {
    // Redis lost its script cache (restart, SCRIPT FLUSH): send the source once; EVAL
    // also caches it again for the next EVALSHA.
    AppendEval(out_, "EVAL", done.script->source, done.keys, done.args);
    pending_.push_back({std::move(done.handler), NowMs(), nullptr, {}, {}});
    ++unsent_;
    ScheduleFlush();
    return;
  }
  std::move(done.handler)(std::move(result));
}

void AsyncClient::FailAll(std::string_view why) {
  out_.clear();
  std::deque<Pending> failed;
  failed.swap(pending_);
  const size_t sent = failed.size() - unsent_;
  unsent_ = 0;
  for (size_t i = 0; i < failed.size(); ++i) {
    // A command handed to the socket may have run on Redis even though its reply is lost:
    // kDeadlineExceeded tells the caller the outcome is unknown. One never sent did not run.
    Error error =
        i < sent ? MakeError(Code::kDeadlineExceeded, fmt::format("{}: the command may have run", why))
                 : MakeError(Code::kUnavailable, fmt::format("{}: the command was not sent", why));
    std::move(failed[i].handler)(Result<Reply>(std::move(error)));
  }
}

asio::awaitable<void> AsyncClient::Run() {
  auto alive = alive_;
  int64_t backoff_ms = 50;
  tcp::endpoint endpoint;
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
    socket_.non_blocking(true, ec);
    state_ = State::kConnected;
    timed_out_ = false;
    backoff_ms = 50;
    in_filled_ = 0;
    if (in_.size() < kReadChunk) in_.resize(kReadChunk);
    spdlog::info("redis {}:{} connected", config_.host, config_.port);
    for (;;) {
      auto [wec] = co_await socket_.async_wait(tcp::socket::wait_read, kAwait);
      if (!*alive) co_return;
      if (wec || !ReadAvailable()) break;
    }
    if (!*alive) co_return;
    if (state_ == State::kStopped) co_return;
    state_ = State::kDisconnected;
    socket_.close(ec);
    write_in_flight_ = false;
    FailAll(timed_out_ ? "redis did not answer in time" : "redis connection lost");
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
  std::vector<std::string_view> key_views(keys.begin(), keys.end());
  std::vector<std::string_view> arg_views(args.begin(), args.end());
  co_return co_await Eval(script, ArgViews(key_views), ArgViews(arg_views), asio::use_awaitable);
}

}  // namespace minishop::redis
