// The load engine: worker threads, each running one Asio io_context with its share of the
// connections (one coroutine per connection), and per-thread recorders merged after the
// run. A scenario supplies the coroutine body; the engine supplies connecting (spread over
// several source addresses), timing, recording and progress on stderr.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "histogram.h"
#include "http_wire.h"

namespace stampede {

using Clock = std::chrono::steady_clock;

// What one thread saw. Owned by that thread during the run; read after it joined.
struct Recorder {
  explicit Recorder(Clock::time_point origin, int slot_ms) : origin(origin), slot_ms(slot_ms) {}

  struct Slot {
    Histogram latency{4};  // µs, ~6 % precision: enough for a plot
    uint64_t count = 0;
    uint64_t errors = 0;
  };
  // One finished request: completion offset from `origin` and latency, both in µs.
  struct Event {
    uint32_t done_us;
    uint32_t latency_us;
    uint16_t status;
  };

  void Record(int status, uint64_t latency_us, Clock::time_point done);
  void RecordError(const std::string& what, Clock::time_point when);
  void Merge(const Recorder& other);

  Clock::time_point origin;
  int slot_ms;
  bool keep_events = false;
  Histogram latency{7};                 // µs
  std::map<int, uint64_t> by_status;    // HTTP status -> count
  std::map<std::string, uint64_t> errors;  // I/O error kind -> count
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<Event> events;
  Histogram order_visible{7};  // µs from a 202 until the order shows awaiting_payment
  uint64_t orders_seen = 0;
  uint64_t orders_not_seen = 0;
  std::atomic<uint64_t> done{0};   // progress: requests finished (relaxed)
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> connected{0};
};

// Per-connection context handed to a scenario body.
struct ConnContext {
  int index;                              // 0..connections-1
  boost::asio::io_context& io;
  Recorder& rec;
  Connection conn;
  const boost::asio::ip::tcp::endpoint& server;
  const boost::asio::ip::address* source;  // nullptr: kernel's choice
  const std::atomic<bool>& stop;

  // Connects (retrying until `deadline`); false when it never succeeded.
  boost::asio::awaitable<bool> EnsureConnected(Clock::time_point deadline);
  // One request/response, timed and recorded (errors too). Reconnects first if needed.
  // False on an I/O error. With `intended` set (open loop), latency counts from that
  // instant, the request's place in the schedule, not from when it could be written: a
  // request that waited for the previous answer carries that wait too.
  boost::asio::awaitable<bool> Send(std::string_view request, ParsedResponse& response,
                                    bool record = true, Clock::time_point intended = {});
  boost::asio::awaitable<void> SleepUntil(Clock::time_point t);
  boost::asio::awaitable<void> SleepFor(std::chrono::microseconds d) {
    co_await SleepUntil(Clock::now() + d);
  }
};

struct EngineOptions {
  std::string name;  // for progress lines
  int threads = 1;
  int connections = 100;
  boost::asio::ip::tcp::endpoint server;
  std::vector<boost::asio::ip::address> sources;  // round-robin per connection; empty: none
  int slot_ms = 100;
  bool keep_events = false;
  // The run stops (the stop flag is raised) at this offset from start; zero: only when
  // every connection body returned.
  Clock::time_point start_at;  // the timed phase (recording origin); bodies wait for it
  std::chrono::milliseconds duration{0};
  // After the stop, bodies get this long to finish; then their sockets are closed.
  std::chrono::milliseconds grace{10'000};
  bool progress = true;
};

using ConnBody = std::function<boost::asio::awaitable<void>(ConnContext&)>;

struct EngineResult {
  std::unique_ptr<Recorder> merged;
  Clock::time_point origin;
  double elapsed_s = 0;  // from origin until the last body returned (or the stop)
};

// Runs `body` once per connection (connection i on thread i % threads, started in
// staggered waves so a SYN flood does not overflow the listen backlog) and blocks until
// all returned.
EngineResult RunEngine(const EngineOptions& options, const ConnBody& body);

// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit.
uint64_t RaiseFileLimit();

// 127.0.0.2 .. 127.0.0.(1+count): several source addresses multiply the ephemeral ports
// available towards one server address.
std::vector<boost::asio::ip::address> LoopbackSources(int count);

}  // namespace stampede
