#include "net/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <list>
#include <thread>
#include <tuple>

#include "common/clock.h"
#include "net/http_framing.h"

namespace minishop::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr int64_t kNever = INT64_MAX;
// Read buffer beyond the header limit: Beast reads in pieces of up to 64 KiB, and a body
// passes through the buffer piece by piece into the request.
constexpr size_t kReadSlack = 16 * 1024;

int64_t NowMs() { return NowSteadyUs() / 1000; }

// `start_line_read`: whether the parser got through the request line before the error.
Error ReadError(const boost::system::error_code& ec, bool start_line_read) {
  if (ec == http::error::header_limit) {
    return start_line_read
               ? MakeError(kHeadersTooLarge, "the request's header fields are too large")
               : MakeError(kUriTooLong, "the request line (method and target) is too long");
  }
  if (ec == http::error::body_limit) return MakeError(kPayloadTooLarge, ec.message());
  return MakeError(Code::kInvalidArgument, ec.message());
}

// The answer to a request the server refuses itself; `name` is the outcome's, or the
// status's generic one.
Response Refusal(const Error& error, unsigned version = 11) {
  const http::status status = ProtocolStatus(error);
  std::string_view name = error.reason;
  if (name.empty()) {
    name = status == http::status::bad_request       ? "bad_request"
           : status == http::status::not_implemented ? "not_implemented"
                                                     : "internal";
  }
  return JsonError(status, name, error.message, version);
}

// Whether the request line was whole when a header block hit the limit: then its fields
// were too many or too large (431), otherwise the line itself was (414). Beast parses the
// line as soon as it has it whole, unless it arrived in pieces; then the unparsed bytes
// still hold it.
bool StartLineRead(const http::request_parser<http::string_body>& parser,
                   const boost::beast::flat_buffer& buffer) {
  if (!parser.get().target().empty()) return true;
  auto data = buffer.data();
  return std::string_view(static_cast<const char*>(data.data()), data.size()).find('\n') !=
         std::string_view::npos;
}

// True for errors where the client sent something we can answer with a 4xx, as opposed
// to the connection closing or timing out.
bool IsProtocolError(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::header_limit).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}
}  // namespace

// Per-loop state: touched only from that loop's thread.
struct HttpLoopState {
  struct Conn {
    tcp::socket* socket;
    int64_t deadline_ms;
    std::list<Conn>* list;  // the one of idle, busy, working that holds it
  };
  using ConnRef = std::list<Conn>::iterator;

  explicit HttpLoopState(asio::io_context& loop) : io(loop), sweeper(loop) {}

  ConnRef Add(tcp::socket* socket) {
    working.push_front({socket, kNever, &working});
    return working.begin();
  }
  // Moves the connection to the end of `to`. Within idle and busy every deadline is set as
  // now + that list's fixed timeout, so each stays in deadline order.
  void Move(ConnRef c, std::list<Conn>& to, int64_t deadline_ms) {
    to.splice(to.end(), *c->list, c);
    c->list = &to;
    c->deadline_ms = deadline_ms;
  }
  void Remove(ConnRef c) { c->list->erase(c); }

  // Cancels the reads and writes of every connection in `lists`: each ends once its handler
  // (if any) returns.
  void Cancel(std::initializer_list<std::list<Conn>*> lists) {
    for (std::list<Conn>* l : lists) {
      for (Conn& c : *l) {
        boost::system::error_code ignored;
        c.socket->cancel(ignored);
      }
    }
  }

  // Cancels the connections whose deadline passed: only the expired front of each list is
  // looked at, so a sweep costs nothing per idle connection (tens of thousands of held
  // connections would otherwise be walked four times a second).
  void Sweep() {
    const int64_t now = NowMs();
    for (std::list<Conn>* bounded : {&idle, &busy}) {
      while (!bounded->empty() && bounded->front().deadline_ms < now) {
        boost::system::error_code ignored;
        bounded->front().socket->cancel(ignored);
        Move(bounded->begin(), working, kNever);
      }
    }
  }

  asio::io_context& io;
  std::unique_ptr<HttpHandler> handler;
  std::unique_ptr<tcp::acceptor> acceptor;
  asio::steady_timer sweeper;
  std::list<Conn> idle;     // waiting for the next request: now + idle_timeout_ms; closed on drain
  std::list<Conn> busy;     // reading a request or writing a response: now + read_timeout_ms
  std::list<Conn> working;  // the handler runs and bounds its own work
  bool draining = false;
  Counter* accepted = nullptr;
  Counter* protocol_errors = nullptr;
  Histogram* latency = nullptr;
};

namespace {

asio::awaitable<void> SweepLoop(HttpLoopState* state) {
  for (;;) {
    state->sweeper.expires_after(std::chrono::milliseconds(250));
    auto [ec] = co_await state->sweeper.async_wait(kAwait);
    if (ec) co_return;
    state->Sweep();
  }
}

// Answers a request that cannot be read (malformed, too large, faulty framing) and ends the
// connection the way nginx's lingering close does: stop sending, then read and discard what
// the client still sends for a while. Closing with unread bytes would make the kernel answer
// with a reset, which can destroy the error response before the client reads it.
asio::awaitable<void> RefuseAndClose(HttpLoopState* state, const ServerConfig* config,
                                     HttpLoopState::ConnRef conn, tcp::socket& socket,
                                     Response res) {
  constexpr size_t kMaxDiscard = 1 << 20;
  state->protocol_errors->Inc();
  res.keep_alive(false);
  res.prepare_payload();
  state->Move(conn, state->busy, NowMs() + config->read_timeout_ms);
  auto [wec, wn] = co_await http::async_write(socket, res, kAwait);
  if (wec) co_return;
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  char scratch[4096];
  for (size_t discarded = 0; discarded < kMaxDiscard;) {
    auto [rec, n] = co_await socket.async_read_some(asio::buffer(scratch), kAwait);
    if (rec) break;
    discarded += n;
  }
}

// Serves one connection until it closes, errs, times out or the server drains.
asio::awaitable<void> Session(HttpLoopState* state, const ServerConfig* config,
                              std::atomic<int64_t>* open, tcp::socket socket) {
  open->fetch_add(1);
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto remote = socket.remote_endpoint(ignored).address();
  const HttpLoopState::ConnRef conn = state->Add(&socket);
  // However this coroutine ends — an exception from Beast included — the connection leaves
  // the loop's deadline lists: a socket left there would be used after it is freed.
  struct Registered {
    HttpLoopState* state;
    HttpLoopState::ConnRef conn;
    std::atomic<int64_t>* open;
    ~Registered() {
      state->Remove(conn);
      open->fetch_sub(1);
    }
  } registered{state, conn, open};
  // Room for a whole header block and then some: the header limit is met first (431/414),
  // and whatever else must be buffered whole before Beast parses it — a chunk-size line with
  // its extensions, a trailer — fails as a full buffer (400) instead of growing without end.
  boost::beast::flat_buffer buffer(static_cast<size_t>(config->max_header_bytes) + kReadSlack);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(config->max_header_bytes));
    parser.body_limit(static_cast<uint64_t>(config->max_body_bytes));
    state->Move(conn, state->idle, NowMs() + config->idle_timeout_ms);
    if (state->draining) break;
    boost::system::error_code ec;
    try {
      std::tie(ec, std::ignore) = co_await http::async_read_header(socket, buffer, parser, kAwait);
    } catch (const std::exception&) {
      ec = http::error::header_limit;  // Beast throws for a field it cannot store
    }
    std::optional<Error> framing;
    if (!ec) framing = FramingError(parser.get().base());
    if (framing) {
      // Faulty framing: the body's end is unknown, so the connection cannot be reused.
      co_await RefuseAndClose(state, config, conn, socket,
                              Refusal(*framing, parser.get().version() < 11 ? 10 : 11));
      break;
    }
    if (!ec && !parser.is_done()) {
      state->Move(conn, state->busy, NowMs() + config->read_timeout_ms);
      try {
        std::tie(ec, std::ignore) = co_await http::async_read(socket, buffer, parser, kAwait);
      } catch (const std::exception&) {
        ec = http::error::header_limit;  // a trailer field too large to store
      }
    }
    if (ec) {
      if (IsProtocolError(ec)) {
        co_await RefuseAndClose(
            state, config, conn, socket,
            Refusal(ReadError(ec, StartLineRead(parser, buffer))));
      }
      break;
    }
    state->Move(conn, state->working, kNever);  // the handler bounds its own work
    Request request{parser.release(), remote, NowSteadyUs()};
    bool keep_alive = request.message.keep_alive();
    Response response;
    try {
      response = co_await state->handler->Handle(request);
    } catch (const std::exception& e) {
      spdlog::error("handler threw on {}: {}", std::string(request.message.target()), e.what());
      response = Refusal(MakeError(Code::kInternal, "internal error"), request.message.version());
    }
    response.version(request.message.version());
    response.keep_alive(keep_alive && !state->draining);
    response.prepare_payload();
    state->Move(conn, state->busy, NowMs() + config->read_timeout_ms);
    // The serializer lives in this frame: async_write(message) would allocate an operation
    // holding a serializer of its own (over 1 KiB) for every response.
    http::response_serializer<http::string_body> serializer(response);
    auto [wec, wn] = co_await http::async_write(socket, serializer, kAwait);
    state->latency->ObserveUs(NowSteadyUs() - request.received_us);
    if (wec || !response.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

asio::awaitable<void> AcceptLoop(HttpLoopState* state, const ServerConfig* config,
                                 std::atomic<int64_t>* open) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor->async_accept(kAwait);
    if (ec) {
      if (ec == asio::error::operation_aborted || state->draining) co_return;
      // Out of descriptors or similar: back off instead of spinning on accept.
      asio::steady_timer pause(state->io, std::chrono::milliseconds(50));
      co_await pause.async_wait(kAwait);
      continue;
    }
    state->accepted->Inc();
    asio::co_spawn(state->io, Session(state, config, open, std::move(socket)), asio::detached);
  }
}

// kConflict when another socket listens on `endpoint`: binds a plain socket there, without
// SO_REUSEPORT, which fails with EADDRINUSE while any socket listens on that port and
// address (with SO_REUSEPORT or not). SO_REUSEADDR only keeps TIME_WAIT connections of
// an earlier run from counting. Returns the port bound (the kernel's choice for port 0, a
// port nobody listens on); the probe is closed before returning, so the acceptors bound
// next do not collide with it.
Result<int> ProbeFreePort(asio::io_context& io, const tcp::endpoint& endpoint) {
  tcp::acceptor probe(io);
  boost::system::error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec == asio::error::address_in_use) {
    return MakeError(Code::kConflict,
                     "cannot listen on " + endpoint.address().to_string() + ":" +
                         std::to_string(endpoint.port()) +
                         ": the port is in use by another process; stop it, choose another "
                         "server.port, or set server.share_port = true to share the port");
  }
  if (ec) {
    return MakeError(Code::kUnavailable, "cannot bind " + endpoint.address().to_string() + ":" +
                                             std::to_string(endpoint.port()) + ": " + ec.message());
  }
  int port = probe.local_endpoint().port();
  probe.close(ec);
  return port;
}

}  // namespace

HttpServer::HttpServer(EventLoops& loops, ServerConfig config, HandlerFactory factory,
                       MetricsRegistry& metrics)
    : loops_(loops), config_(std::move(config)), factory_(std::move(factory)), metrics_(metrics) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config_.host, ec);
  if (ec) return MakeError(Code::kInvalidArgument, "server.host is not an IP address: " + config_.host);
  port_ = config_.port;
  if (!config_.share_port) {
    Result<int> probed =
        ProbeFreePort(loops_.loop(0), tcp::endpoint(address, static_cast<unsigned short>(port_)));
    if (!probed.ok()) return probed.error();
    port_ = *probed;
  }
  for (int i = 0; i < loops_.size(); ++i) {
    auto state = std::make_unique<HttpLoopState>(loops_.loop(i));
    state->handler = factory_(loops_.loop(i), i);
    state->accepted =
        &metrics_.GetCounter("minishop_http_connections_total", "Accepted HTTP connections.");
    state->protocol_errors =
        &metrics_.GetCounter("minishop_http_protocol_errors_total",
                             "Requests rejected before routing (malformed, too large).");
    state->latency = &metrics_.GetHistogram("minishop_http_request_duration_seconds",
                                            "Time from request read to response written.");
    auto acceptor = std::make_unique<tcp::acceptor>(loops_.loop(i));
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port_));
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      if (setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        ec = boost::system::error_code(errno, boost::system::system_category());
    }
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(4096, ec);
    if (ec) {
      return MakeError(Code::kUnavailable, "cannot listen on " + config_.host + ":" +
                                               std::to_string(port_) + ": " + ec.message());
    }
    if (port_ == 0) port_ = acceptor->local_endpoint().port();
    state->acceptor = std::move(acceptor);
    states_.push_back(std::move(state));
  }
  for (auto& s : states_) {
    asio::co_spawn(s->io, SweepLoop(s.get()), asio::detached);
    asio::co_spawn(s->io, AcceptLoop(s.get(), &config_, &open_connections_), asio::detached);
  }
  return OkStatus();
}

void HttpServer::BeginShutdown() {
  for (auto& s : states_) {
    HttpLoopState* state = s.get();
    asio::post(state->io, [state] {
      state->draining = true;
      boost::system::error_code ignored;
      state->acceptor->close(ignored);
      state->Cancel({&state->idle});
    });
  }
}

void HttpServer::AbortInFlight() {
  for (auto& s : states_) {
    HttpLoopState* state = s.get();
    asio::post(state->io, [state] {
      state->draining = true;
      state->Cancel({&state->idle, &state->busy, &state->working});
    });
  }
}

bool HttpServer::WaitDrained(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (open_connections_.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace minishop::net
