#include "net/upstream.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>

#include "common/clock.h"
#include "net/rpc.h"

namespace minishop::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxAnswerBytes = 16 * 1024 * 1024;
int64_t NowMs() { return NowSteadyUs() / 1000; }
}  // namespace

struct Upstream::Conn {
  explicit Conn(asio::io_context& loop) : socket(loop) {}
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
  int64_t deadline_ms = 0;
  int64_t idle_since_ms = 0;
  size_t busy_index = SIZE_MAX;
  bool timed_out = false;
};

struct Upstream::Instance {
  explicit Instance(asio::io_context& loop) : probe_timer(loop) {}
  Endpoint endpoint;
  bool up = true;  // until a connect or a probe says otherwise
  std::vector<std::unique_ptr<Conn>> idle;
  asio::steady_timer probe_timer;
};

Result<std::vector<Endpoint>> ParseEndpoints(std::string_view list) {
  std::vector<Endpoint> out;
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view item = list.substr(i, j - i);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const size_t colon = item.rfind(':');
    int port = 0;
    if (colon == std::string_view::npos || colon == 0) {
      return MakeError(Code::kInvalidArgument, "\"" + std::string(item) + "\" is not host:port");
    }
    std::string_view port_text = item.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return MakeError(Code::kInvalidArgument, "\"" + std::string(item) + "\" has no valid port");
    }
    out.push_back({std::string(item.substr(0, colon)), port});
    i = j + 1;
  }
  if (out.empty()) return MakeError(Code::kInvalidArgument, "no instance given");
  return out;
}

std::shared_ptr<Upstream> Upstream::Create(asio::io_context& loop, Options options) {
  return std::shared_ptr<Upstream>(new Upstream(loop, std::move(options)));
}

Upstream::Upstream(asio::io_context& loop, Options options)
    : loop_(loop), options_(std::move(options)), sweep_timer_(loop) {
  for (const Endpoint& e : options_.instances) {
    instances_.push_back(std::make_unique<Instance>(loop));
    instances_.back()->endpoint = e;
  }
}

Upstream::~Upstream() = default;

void Upstream::Start() {
  for (auto& instance : instances_) {
    Instance* probed = instance.get();
    asio::co_spawn(
        loop_, [self = shared_from_this(), probed] { return self->Probe(*probed); },
        asio::detached);
  }
  asio::co_spawn(loop_, [self = shared_from_this()] { return self->Sweep(); }, asio::detached);
}

void Upstream::Stop() {
  stopped_ = true;
  for (auto& instance : instances_) instance->probe_timer.cancel();
  sweep_timer_.cancel();
  boost::system::error_code ignored;
  for (Conn* c : busy_) c->socket.close(ignored);
  for (auto& instance : instances_) instance->idle.clear();
}

size_t Upstream::instances_up() const {
  size_t n = 0;
  for (const auto& instance : instances_) n += instance->up ? 1 : 0;
  return n;
}

Upstream::Instance* Upstream::NextUp() {
  for (size_t tried = 0; tried < instances_.size(); ++tried) {
    Instance& candidate = *instances_[next_];
    next_ = (next_ + 1) % instances_.size();
    if (candidate.up) return &candidate;
  }
  return nullptr;
}

std::unique_ptr<Upstream::Conn> Upstream::TakeIdle(Instance& instance) {
  const int64_t now = NowMs();
  while (!instance.idle.empty()) {
    std::unique_ptr<Conn> c = std::move(instance.idle.back());
    instance.idle.pop_back();
    if (now - c->idle_since_ms > kMaxIdleAge.count() * 1000) continue;
    // A peer that closed (restarted, or killed) left an end-of-file or reset waiting on the
    // socket: one non-blocking peek finds it before a request is spent on it.
    char byte;
    ssize_t n = ::recv(c->socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return c;
  }
  return nullptr;
}

void Upstream::Park(Instance& instance, std::unique_ptr<Conn> conn) {
  if (stopped_ || !instance.up || instance.idle.size() >= options_.max_idle) return;
  conn->idle_since_ms = NowMs();
  instance.idle.push_back(std::move(conn));
}

void Upstream::MarkDown(Instance& instance) {
  if (instance.up) {
    spdlog::warn("{} instance {}:{} is down", options_.service, instance.endpoint.host,
                 instance.endpoint.port);
  }
  instance.up = false;
  instance.idle.clear();
}

void Upstream::Busy(Conn& conn) {
  conn.deadline_ms = NowMs() + options_.call_timeout.count();
  conn.timed_out = false;
  conn.busy_index = busy_.size();
  busy_.push_back(&conn);
}

void Upstream::Done(Conn& conn) {
  if (conn.busy_index == SIZE_MAX) return;
  busy_[conn.busy_index] = busy_.back();
  busy_[conn.busy_index]->busy_index = conn.busy_index;
  busy_.pop_back();
  conn.busy_index = SIZE_MAX;
}

asio::awaitable<Status> Upstream::Connect(Conn& conn, const Endpoint& endpoint) {
  boost::system::error_code ec;
  boost::system::error_code connect_ec;
  asio::ip::address address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) {
    auto [cec] = co_await conn.socket.async_connect(
        tcp::endpoint(address, static_cast<unsigned short>(endpoint.port)), kAwait);
    connect_ec = cec;
  } else {
    tcp::resolver resolver(loop_);
    auto [rec, results] =
        co_await resolver.async_resolve(endpoint.host, std::to_string(endpoint.port), kAwait);
    if (rec || results.empty()) {
      co_return MakeError(Code::kUnavailable, "cannot resolve " + endpoint.host);
    }
    // Every address the name has, in order, until one accepts.
    auto [cec, connected] = co_await asio::async_connect(conn.socket, results, kAwait);
    connect_ec = cec;
  }
  if (connect_ec) {
    co_return MakeError(Code::kUnavailable, options_.service + " at " + endpoint.host + ":" +
                                                std::to_string(endpoint.port) + ": " +
                                                connect_ec.message());
  }
  conn.socket.set_option(tcp::no_delay(true), ec);
  co_return OkStatus();
}

asio::awaitable<Result<Response>> Upstream::Exchange(Conn& conn,
                                                     http::request<http::string_body>& request) {
  auto [wec, wn] = co_await http::async_write(conn.socket, request, kAwait);
  if (!wec) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxAnswerBytes);
    auto [rec, rn] = co_await http::async_read(conn.socket, conn.buffer, parser, kAwait);
    if (!rec) co_return parser.release();
  }
  if (conn.timed_out) {
    co_return MakeError(Code::kDeadlineExceeded,
                        options_.service + " did not answer within its deadline");
  }
  co_return MakeError(Code::kUnavailable,
                      options_.service + " connection broke: the outcome is unknown");
}

asio::awaitable<Result<Response>> Upstream::Call(http::request<http::string_body> request) {
  request.set(kServiceTokenHeader, options_.token);
  request.keep_alive(true);
  request.prepare_payload();
  for (size_t attempt = 0; attempt < instances_.size() && !stopped_; ++attempt) {
    Instance* instance = NextUp();
    if (instance == nullptr) break;
    std::shared_ptr<Upstream> self = shared_from_this();  // outlives Stop() in flight
    std::unique_ptr<Conn> conn = TakeIdle(*instance);
    if (!conn) {
      conn = std::make_unique<Conn>(loop_);
      Busy(*conn);
      Status connected = co_await Connect(*conn, instance->endpoint);
      if (!connected.ok()) {
        Done(*conn);
        if (stopped_) break;
        MarkDown(*instance);
        continue;  // nothing was sent: the next instance may take it
      }
    } else {
      Busy(*conn);
    }
    if (!request.count(http::field::host)) request.set(http::field::host, instance->endpoint.host);
    Result<Response> answer = co_await Exchange(*conn, request);
    Done(*conn);
    if (answer.ok() && answer->keep_alive()) Park(*instance, std::move(conn));
    co_return answer;
  }
  co_return MakeError(Code::kUnavailable, "no " + options_.service + " instance is up");
}

asio::awaitable<bool> Upstream::ProbeOne(const Endpoint& endpoint) {
  Conn conn(loop_);
  Busy(conn);
  bool ready = false;
  if ((co_await Connect(conn, endpoint)).ok()) {
    http::request<http::string_body> request{http::verb::get, "/readyz", 11};
    request.set(http::field::host, endpoint.host);
    request.keep_alive(false);
    Result<Response> answer = co_await Exchange(conn, request);
    ready = answer.ok() && answer->result() == http::status::ok;
  }
  Done(conn);
  co_return ready;
}

asio::awaitable<void> Upstream::Probe(Instance& instance) {
  std::shared_ptr<Upstream> self = shared_from_this();
  while (!stopped_) {
    const bool ready = co_await ProbeOne(instance.endpoint);
    if (stopped_) co_return;
    if (!ready) {
      MarkDown(instance);
    } else if (!instance.up) {
      spdlog::info("{} instance {}:{} is up again", options_.service, instance.endpoint.host,
                   instance.endpoint.port);
      instance.up = true;
    }
    instance.probe_timer.expires_after(options_.health_interval);
    co_await instance.probe_timer.async_wait(kAwait);
  }
}

asio::awaitable<void> Upstream::Sweep() {
  std::shared_ptr<Upstream> self = shared_from_this();
  const auto period = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(50), std::max<std::chrono::milliseconds>(
                                         std::chrono::milliseconds(1), options_.call_timeout / 4));
  while (!stopped_) {
    sweep_timer_.expires_after(period);
    co_await sweep_timer_.async_wait(kAwait);
    const int64_t now = NowMs();
    for (Conn* c : busy_) {
      if (c->deadline_ms <= now && !c->timed_out) {
        c->timed_out = true;
        boost::system::error_code ignored;
        c->socket.close(ignored);
      }
    }
  }
}

}  // namespace minishop::net
