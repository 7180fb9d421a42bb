#include "load.h"

#include <sys/resource.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <thread>

namespace stampede {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

uint32_t Micros(Clock::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX));
}
}  // namespace

void Recorder::Record(int status, uint64_t latency_us, Clock::time_point when) {
  latency.Record(latency_us);
  ++by_status[status];
  int64_t offset_ms = std::chrono::duration_cast<std::chrono::milliseconds>(when - origin).count();
  size_t slot = offset_ms < 0 ? 0 : static_cast<size_t>(offset_ms / slot_ms);
  if (slot < 100'000) {
    while (slots.size() <= slot) slots.push_back(std::make_unique<Slot>());
    slots[slot]->latency.Record(latency_us);
    ++slots[slot]->count;
  }
  if (keep_events) {
    events.push_back({Micros(when - origin), static_cast<uint32_t>(std::min<uint64_t>(latency_us, UINT32_MAX)),
                      static_cast<uint16_t>(status)});
  }
  done.fetch_add(1, std::memory_order_relaxed);
}

void Recorder::RecordError(const std::string& what, Clock::time_point when) {
  ++errors[what];
  int64_t offset_ms = std::chrono::duration_cast<std::chrono::milliseconds>(when - origin).count();
  size_t slot = offset_ms < 0 ? 0 : static_cast<size_t>(offset_ms / slot_ms);
  if (slot < 100'000) {
    while (slots.size() <= slot) slots.push_back(std::make_unique<Slot>());
    ++slots[slot]->errors;
  }
  failed.fetch_add(1, std::memory_order_relaxed);
}

void Recorder::Merge(const Recorder& other) {
  latency.Merge(other.latency);
  for (const auto& [k, v] : other.by_status) by_status[k] += v;
  for (const auto& [k, v] : other.errors) errors[k] += v;
  while (slots.size() < other.slots.size()) slots.push_back(std::make_unique<Slot>());
  for (size_t i = 0; i < other.slots.size(); ++i) {
    slots[i]->latency.Merge(other.slots[i]->latency);
    slots[i]->count += other.slots[i]->count;
    slots[i]->errors += other.slots[i]->errors;
  }
  events.insert(events.end(), other.events.begin(), other.events.end());
  order_visible.Merge(other.order_visible);
  orders_seen += other.orders_seen;
  orders_not_seen += other.orders_not_seen;
  done += other.done.load();
  failed += other.failed.load();
  connected += other.connected.load();
}

asio::awaitable<bool> ConnContext::EnsureConnected(Clock::time_point deadline) {
  if (conn.is_open()) co_return true;
  std::string error;
  auto backoff = 20ms;
  for (;;) {
    if (co_await conn.Connect(server, source, error)) co_return true;
    rec.RecordError(error, Clock::now());
    if (stop.load(std::memory_order_relaxed) || Clock::now() + backoff > deadline) co_return false;
    co_await SleepFor(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 500ms);
  }
}

asio::awaitable<bool> ConnContext::Send(std::string_view request, ParsedResponse& response,
                                        bool record, Clock::time_point intended) {
  if (!conn.is_open() && !co_await EnsureConnected(Clock::now() + 5s)) co_return false;
  std::string error;
  auto t0 = intended == Clock::time_point{} ? Clock::now() : std::min(intended, Clock::now());
  bool ok = co_await conn.Exchange(request, response, error);
  auto t1 = Clock::now();
  if (!ok) {
    rec.RecordError(error, t1);
    co_return false;
  }
  if (record) rec.Record(response.status, Micros(t1 - t0), t1);
  co_return true;
}

asio::awaitable<void> ConnContext::SleepUntil(Clock::time_point t) {
  if (t <= Clock::now()) co_return;
  asio::steady_timer timer(io, t);
  co_await timer.async_wait(kAwait);
}

EngineResult RunEngine(const EngineOptions& options, const ConnBody& body) {
  const int threads = std::max(1, options.threads);
  struct Thread {
    asio::io_context io{1};
    std::unique_ptr<Recorder> rec;
    std::vector<std::unique_ptr<ConnContext>> conns;
    std::thread thread;
  };
  std::atomic<bool> stop{false};
  std::atomic<int> running{options.connections};
  std::atomic<int64_t> last_done_ns{0};
  std::vector<std::unique_ptr<Thread>> pool;
  const auto spawn_origin = Clock::now();
  for (int t = 0; t < threads; ++t) {
    auto th = std::make_unique<Thread>();
    th->rec = std::make_unique<Recorder>(options.start_at, options.slot_ms);
    th->rec->keep_events = options.keep_events;
    pool.push_back(std::move(th));
  }
  for (int i = 0; i < options.connections; ++i) {
    Thread& th = *pool[i % threads];
    const asio::ip::address* source =
        options.sources.empty() ? nullptr : &options.sources[i % options.sources.size()];
    th.conns.push_back(std::unique_ptr<ConnContext>(new ConnContext{
        i, th.io, *th.rec, Connection(th.io.get_executor()), options.server, source, stop}));
    ConnContext* ctx = th.conns.back().get();
    // Waves of 250 connections every 5 ms.
    auto wave = spawn_origin + std::chrono::milliseconds(5 * (i / 250));
    asio::co_spawn(
        th.io,
        [ctx, &body, wave, &running, &last_done_ns]() -> asio::awaitable<void> {
          co_await ctx->SleepUntil(wave);
          co_await body(*ctx);
          last_done_ns.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
          running.fetch_sub(1);
        },
        [&running](std::exception_ptr e) {
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {
              std::fprintf(stderr, "stampede: connection body failed: %s\n", ex.what());
            }
            running.fetch_sub(1);
          }
        });
  }
  for (auto& th : pool) {
    Thread* p = th.get();
    p->thread = std::thread([p] { p->io.run(); });
  }

  const auto stop_at = options.duration.count() > 0 ? options.start_at + options.duration : Clock::time_point::max();
  auto next_progress = Clock::now() + 1s;
  uint64_t last_done = 0;
  auto last_time = Clock::now();
  bool closed = false;
  while (running.load() > 0) {
    std::this_thread::sleep_for(20ms);
    auto now = Clock::now();
    if (!stop.load() && now >= stop_at) stop.store(true);
    if (stop.load() && !closed && now >= stop_at + options.grace) {
      // Bodies stuck on a silent server: close their sockets so they return.
      for (auto& th : pool) {
        Thread* p = th.get();
        asio::post(p->io, [p] {
          for (auto& c : p->conns) c->conn.Close();
        });
      }
      closed = true;
    }
    if (options.progress && now >= next_progress) {
      uint64_t done = 0, failed = 0, connected = 0;
      for (auto& th : pool) {
        done += th->rec->done.load(std::memory_order_relaxed);
        failed += th->rec->failed.load(std::memory_order_relaxed);
      }
      (void)connected;
      double secs = std::chrono::duration<double>(now - last_time).count();
      double since_start = std::chrono::duration<double>(now - options.start_at).count();
      std::fprintf(stderr, "  [%s] %6.1f s  %9.0f req/s  %10llu done  %6llu errors  %6d conns busy\n",
                   options.name.c_str(), since_start, (done - last_done) / secs,
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(failed),
                   running.load());
      last_done = done;
      last_time = now;
      next_progress = now + 1s;
    }
  }
  if (!stop.load()) stop.store(true);
  for (auto& th : pool) {
    th->io.stop();
    th->thread.join();
  }
  EngineResult result;
  result.origin = options.start_at;
  result.merged = std::make_unique<Recorder>(options.start_at, options.slot_ms);
  for (auto& th : pool) result.merged->Merge(*th->rec);
  Clock::time_point last(Clock::duration(last_done_ns.load()));
  Clock::time_point end = options.duration.count() > 0 ? std::min(stop_at, last) : last;
  result.elapsed_s = std::max(1e-6, std::chrono::duration<double>(end - options.start_at).count());
  return result;
}

uint64_t RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

std::vector<asio::ip::address> LoopbackSources(int count) {
  std::vector<asio::ip::address> out;
  for (int i = 0; i < count && i < 250; ++i)
    out.push_back(asio::ip::make_address_v4("127.0.0." + std::to_string(2 + i)));
  return out;
}

}  // namespace stampede
