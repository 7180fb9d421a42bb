// Upstream: the instances of one remote MiniShop service, called over pooled keep-alive
// HTTP/1.1 connections from one event loop.
//
// A call goes to the next instance that is up (round robin). An instance is down after a
// failed connect or a failed /readyz probe and is skipped until a probe (every
// `health_interval`, each instance probed on its own, so a hung one delays no other) finds
// it ready again; a call whose connect fails moves on to the next
// instance, since nothing was sent yet. Once a request is written its outcome belongs to the
// callee, so a broken connection after that is kUnavailable ("outcome unknown"), never
// retried here (the purchase path's retry is the client's, with its Idempotency-Key).
// Each call has a deadline: a connection still busy at it is closed and the call returns
// kDeadlineExceeded. Idle connections are kept up to `max_idle` per instance and dropped after
// kMaxIdleAge, well before a MiniShop server's idle timeout (60 s) closes them.
//
// One per event loop per service; every method must be called from that loop. Owned by a
// shared_ptr: the probe and sweep coroutines keep it alive until Stop() lets them end.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "net/http_types.h"

namespace minishop::net {

struct Endpoint {
  std::string host;  // an IP address or a DNS name
  int port = 0;
};

// Parses "host:port[,host:port…]"; kInvalidArgument naming the bad item.
Result<std::vector<Endpoint>> ParseEndpoints(std::string_view list);

class Upstream : public std::enable_shared_from_this<Upstream> {
 public:
  struct Options {
    std::string service;  // for messages: "seckill"
    std::vector<Endpoint> instances;
    std::string token;  // the service token every call carries
    std::chrono::milliseconds call_timeout{2000};
    std::chrono::milliseconds health_interval{500};
    size_t max_idle = 64;
  };
  static constexpr std::chrono::seconds kMaxIdleAge{30};

  static std::shared_ptr<Upstream> Create(boost::asio::io_context& loop, Options options);
  ~Upstream();
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  // Starts probing the instances' /readyz. Call once, on the loop or before it runs.
  void Start();
  // Closes every connection and ends the probes; calls in flight fail with kUnavailable.
  void Stop();

  // Sends `request` (its target under /internal/v1/) to an instance with the service token
  // and returns the instance's answer, whatever its status. kUnavailable when no instance
  // is up or the connection failed; kDeadlineExceeded at the deadline.
  boost::asio::awaitable<Result<Response>> Call(http::request<http::string_body> request);

  const std::string& service() const { return options_.service; }
  // How many instances are up now (probe and connect outcomes so far).
  size_t instances_up() const;

 private:
  struct Conn;
  struct Instance;
  Upstream(boost::asio::io_context& loop, Options options);

  Instance* NextUp();
  std::unique_ptr<Conn> TakeIdle(Instance& instance);
  void Park(Instance& instance, std::unique_ptr<Conn> conn);
  void MarkDown(Instance& instance);
  boost::asio::awaitable<Status> Connect(Conn& conn, const Endpoint& endpoint);
  boost::asio::awaitable<Result<Response>> Exchange(Conn& conn,
                                                    http::request<http::string_body>& request);
  void Busy(Conn& conn);
  void Done(Conn& conn);
  boost::asio::awaitable<void> Probe(Instance& instance);
  boost::asio::awaitable<bool> ProbeOne(const Endpoint& endpoint);
  boost::asio::awaitable<void> Sweep();

  boost::asio::io_context& loop_;
  Options options_;
  std::vector<std::unique_ptr<Instance>> instances_;
  size_t next_ = 0;
  std::vector<Conn*> busy_;  // connections with a call in flight, for the deadline sweep
  boost::asio::steady_timer sweep_timer_;
  bool stopped_ = false;
};

}  // namespace minishop::net
