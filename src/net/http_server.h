// HttpServer: HTTP/1.1 keep-alive server on Boost.Beast over plain Asio sockets. Each
// event loop has its own SO_REUSEPORT acceptor and its own HttpHandler (shared-nothing).
// Other processes may join the port only when config.share_port says so.
// Timeouts are enforced by a per-loop sweep over connection deadlines (one timer per loop,
// not one per operation). Start/Shutdown are called from the owning (main) thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "common/config.h"
#include "common/metrics.h"
#include "common/result.h"
#include "net/event_loops.h"
#include "net/http_types.h"

namespace minishop::net {

struct HttpLoopState;  // per-loop acceptor, handler and connection table (http_server.cc)

using HandlerFactory = std::function<std::unique_ptr<HttpHandler>(boost::asio::io_context&, int)>;

class HttpServer {
 public:
  HttpServer(EventLoops& loops, ServerConfig config, HandlerFactory factory,
             MetricsRegistry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds config.host:config.port (0 picks a free port) on every loop and starts
  // accepting. Returns kConflict if another process listens on the port and
  // config.share_port is false, kUnavailable if the address cannot be bound. Non-blocking.
  Status Start();
  int port() const { return port_; }

  // Stops accepting, closes idle keep-alive connections and lets in-flight requests
  // finish (their responses carry Connection: close). Non-blocking.
  void BeginShutdown();
  // Blocks until no connection is open or `timeout` passed; true if drained.
  bool WaitDrained(std::chrono::milliseconds timeout);
  // After BeginShutdown, for connections that outlived the drain: cancels every read and
  // write in progress, so that each connection ends as soon as its handler returns (the
  // caller first fails whatever the handlers wait on: clients stopped, upstreams closed);
  // then WaitDrained again. Every connection must end while the loops still run: a handler
  // suspended when its loop stops would be destroyed with the loop, after what it uses.
  // Non-blocking.
  void AbortInFlight();

  int64_t open_connections() const { return open_connections_.load(); }

 private:
  EventLoops& loops_;
  ServerConfig config_;
  HandlerFactory factory_;
  MetricsRegistry& metrics_;
  std::vector<std::unique_ptr<HttpLoopState>> states_;
  std::atomic<int64_t> open_connections_{0};
  int port_ = 0;
};

}  // namespace minishop::net
