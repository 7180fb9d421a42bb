#include "scenarios.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "common/clock.h"

namespace stampede {
using namespace std::chrono_literals;
namespace asio = boost::asio;

minishop::Result<std::vector<User>> LoadTokens(const std::string& path) {
  std::ifstream in(path);
  if (!in) return minishop::MakeError(minishop::Code::kNotFound, "cannot read " + path);
  std::vector<User> users;
  User u;
  while (in >> u.id >> u.token) users.push_back(u);
  if (users.empty())
    return minishop::MakeError(minishop::Code::kInvalidArgument, path + " has no '<id> <token>' lines");
  return users;
}

std::string Expand(std::string_view text, const User& user, int64_t sale_id) {
  std::string out;
  out.reserve(text.size() + user.token.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close != std::string_view::npos) {
        std::string_view key = text.substr(i + 1, close - i - 1);
        if (key == "user") {
          out += std::to_string(user.id);
          i = close + 1;
          continue;
        }
        if (key == "token") {
          out += user.token;
          i = close + 1;
          continue;
        }
        if (key == "sale") {
          out += std::to_string(sale_id);
          i = close + 1;
          continue;
        }
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::vector<std::string> RenderAll(const RequestTemplate& t, const std::string& host,
                                   const std::vector<User>& users, int64_t sale_id) {
  std::vector<std::string> out;
  out.reserve(users.size());
  std::vector<std::string> headers(t.headers.size());
  for (const User& u : users) {
    for (size_t h = 0; h < headers.size(); ++h) headers[h] = Expand(t.headers[h], u, sale_id);
    out.push_back(RenderRequest(t.method, Expand(t.target, u, sale_id), host, headers,
                                Expand(t.body, u, sale_id)));
  }
  return out;
}

namespace {

// "reservation_id":"1-2-1" → 1-2-1; empty if absent.
std::string_view ReservationId(std::string_view body) {
  constexpr std::string_view kKey = "\"reservation_id\":\"";
  size_t at = body.find(kKey);
  if (at == std::string_view::npos) return {};
  size_t start = at + kKey.size(), end = body.find('"', start);
  return end == std::string_view::npos ? std::string_view{} : body.substr(start, end - start);
}

int64_t QuantityOf(std::string_view body) {
  constexpr std::string_view kKey = "\"quantity\":";
  size_t at = body.find(kKey);
  if (at == std::string_view::npos) return 1;
  return std::max<int64_t>(1, std::atoll(std::string(body.substr(at + kKey.size(), 12)).c_str()));
}

// Per-connection reservations and outcome-unknown answers (request indexes), merged into
// the ClientView after the run.
struct Accepted {
  std::vector<std::pair<std::string, int64_t>> items;
  std::vector<size_t> unknown;
};

// A 503 whose outcome is unknown: the server sent the purchase to Redis and lost the reply.
bool OutcomeUnknown(const ParsedResponse& res) {
  return res.status == 503 && res.body.find("\"code\":\"timeout\"") != std::string::npos;
}

void MergeAccepted(const std::vector<Accepted>& accepted, ClientView& view) {
  for (const Accepted& a : accepted) {
    for (const auto& [rid, qty] : a.items) view.AddReservation(rid, qty);
    for (size_t request : a.unknown)
      if (request < view.request_user.size()) ++view.unknown[view.request_user[request]];
  }
}

EngineOptions Options(const RunSettings& run, const std::string& name, int connections) {
  EngineOptions o;
  o.name = name;
  o.threads = run.threads;
  o.connections = connections;
  o.server = run.server;
  o.sources = run.sources;
  o.progress = run.progress;
  return o;
}

// Time to open the connections before the measured window starts.
std::chrono::milliseconds ConnectAllowance(int connections) {
  return std::chrono::milliseconds(1000 + connections / 4);
}

// Engine options of a sustained phase of `seconds`, measured after the connections open.
EngineOptions SustainedOptions(const RunSettings& run, const std::string& name, int connections,
                               double seconds) {
  EngineOptions o = Options(run, name, connections);
  o.start_at = Clock::now() + ConnectAllowance(connections);
  o.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  o.slot_ms = seconds > 30 ? 500 : 100;
  return o;
}

// Remembers the reservation of a 202 answer, or an outcome-unknown answer to request
// `request`, when the caller keeps a client view.
void RecordAccepted(const ClientView* view, const ParsedResponse& res, size_t request,
                    Accepted& into) {
  if (view == nullptr) return;
  if (OutcomeUnknown(res)) into.unknown.push_back(request);
  if (res.status != 202) return;
  std::string_view rid = ReservationId(res.body);
  if (!rid.empty()) into.items.emplace_back(std::string(rid), QuantityOf(res.body));
}

// The Phase of a finished sustained run; merges its accepted reservations into `view`.
Phase SustainedPhase(const std::string& name, int connections, double seconds, EngineResult& r,
                     const std::vector<Accepted>& accepted, ClientView* view) {
  Phase p;
  p.name = name;
  p.connections = connections;
  p.seconds = seconds;
  p.rec = std::shared_ptr<Recorder>(std::move(r.merged));
  p.requests = CountInWindow(*p.rec, seconds);
  p.rate = p.requests / seconds;
  if (view != nullptr) MergeAccepted(accepted, *view);
  return p;
}

}  // namespace

Phase RunSustained(const RunSettings& run, const std::string& name, int connections, double seconds,
                   const std::vector<std::string>& requests, ClientView* view) {
  EngineOptions o = SustainedOptions(run, name, connections, seconds);
  std::vector<Accepted> accepted(static_cast<size_t>(connections));
  const size_t n = requests.size();
  EngineResult r = RunEngine(o, [&](ConnContext& ctx) -> asio::awaitable<void> {
    if (!co_await ctx.EnsureConnected(o.start_at + 30s)) co_return;
    co_await ctx.SleepUntil(o.start_at);
    ParsedResponse res;
    for (size_t k = static_cast<size_t>(ctx.index); !ctx.stop.load(std::memory_order_relaxed);
         k += static_cast<size_t>(connections)) {
      if (!co_await ctx.Send(requests[k % n], res)) {
        if (!co_await ctx.EnsureConnected(Clock::now() + 2s)) co_return;
        continue;
      }
      RecordAccepted(view, res, k % n, accepted[ctx.index]);
      // A shed request asks the client to come back later: a closed loop that re-fired at
      // once would measure how fast the server can say 503, not how fast it sells.
      if (res.status == 503 && res.retry_after_s > 0) {
        co_await ctx.SleepUntil(std::min(Clock::now() + std::chrono::seconds(res.retry_after_s),
                                         o.start_at + o.duration));
      }
    }
  });
  return SustainedPhase(name, connections, seconds, r, accepted, view);
}

Phase RunOpenLoop(const RunSettings& run, const std::string& name, int connections, double seconds,
                  double rate, const std::vector<std::string>& requests, ClientView* view) {
  EngineOptions o = SustainedOptions(run, name, connections, seconds);
  std::vector<Accepted> accepted(static_cast<size_t>(connections));
  const size_t n = requests.size();
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(connections / rate));
  EngineResult r = RunEngine(o, [&](ConnContext& ctx) -> asio::awaitable<void> {
    if (!co_await ctx.EnsureConnected(o.start_at + 30s)) co_return;
    ParsedResponse res;
    auto next = o.start_at + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(ctx.index / rate));
    for (size_t k = static_cast<size_t>(ctx.index); !ctx.stop.load(std::memory_order_relaxed);
         k += static_cast<size_t>(connections), next += interval) {
      co_await ctx.SleepUntil(next);
      if (ctx.stop.load(std::memory_order_relaxed)) break;
      if (!co_await ctx.Send(requests[k % n], res, true, next)) {
        if (!co_await ctx.EnsureConnected(Clock::now() + 2s)) co_return;
        continue;
      }
      RecordAccepted(view, res, k % n, accepted[ctx.index]);
    }
  });
  Phase p = SustainedPhase(name, connections, seconds, r, accepted, view);
  p.extra["open_loop_rate"] = rate;
  return p;
}

Phase RunStampede(const RunSettings& run, int connections, const StampedeInput& in,
                  ClientView& view) {
  EngineOptions o = Options(run, "purchase", connections);
  const int64_t lead_ms = in.starts_at_ms - minishop::NowEpochMs();
  o.start_at = Clock::now() + std::chrono::milliseconds(lead_ms);
  o.keep_events = true;
  o.slot_ms = 20;
  o.grace = std::chrono::milliseconds(static_cast<int64_t>(in.poll_timeout_s * 1000) + 10'000);
  o.duration = std::chrono::milliseconds(lead_ms + 120'000);
  const std::string time_request = RenderRequest("GET", "/api/v1/time", run.host_header, {}, "");
  const size_t users = in.purchases.size();
  struct Pending {
    size_t user;
    Clock::time_point accepted_at;
  };
  std::vector<Accepted> accepted(static_cast<size_t>(connections));
  EngineResult r = RunEngine(o, [&](ConnContext& ctx) -> asio::awaitable<void> {
    if (!co_await ctx.EnsureConnected(o.start_at)) co_return;
    // Clock sync, never early: the server read its clock somewhere inside the round trip,
    // so firing at t1 + (start - server_now) is at or after the start on the server's clock
    // and late by at most that round trip; the shortest of three is taken. All connections
    // sync at once, so requests queue before the server reads its clock: taking the
    // midpoint put the start early (425 Too Early answers).
    ParsedResponse res;
    Clock::time_point start_local = o.start_at;
    Clock::duration best_rtt = Clock::duration::max();
    for (int sample = 0; sample < 3; ++sample) {
      auto t0 = Clock::now();
      if (!co_await ctx.Send(time_request, res, false)) break;
      auto t1 = Clock::now();
      size_t at = res.body.find("\"now_ms\":");
      if (at == std::string::npos || t1 - t0 >= best_rtt) continue;
      best_rtt = t1 - t0;
      int64_t server_now = std::atoll(res.body.c_str() + at + 9);
      start_local = t1 + std::chrono::milliseconds(in.starts_at_ms - server_now);
    }
    co_await ctx.SleepUntil(start_local);
    std::vector<Pending> pending;
    for (size_t u = static_cast<size_t>(ctx.index); u < users;
         u += static_cast<size_t>(connections)) {
      if (!co_await ctx.Send(in.purchases[u], res)) continue;
      RecordAccepted(&view, res, u, accepted[ctx.index]);
      if (res.status == 202) pending.push_back({u, Clock::now()});
    }
    const auto poll_deadline =
        Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(in.poll_timeout_s * 1000));
    while (!pending.empty() && Clock::now() < poll_deadline) {
      co_await ctx.SleepFor(std::chrono::milliseconds(in.poll_interval_ms));
      for (size_t i = 0; i < pending.size();) {
        if (co_await ctx.Send(in.polls[pending[i].user], res, false) && res.status == 200 &&
            res.body.find("\"status\":\"pending\"") == std::string::npos) {
          ctx.rec.order_visible.Record(std::chrono::duration_cast<std::chrono::microseconds>(
                                           Clock::now() - pending[i].accepted_at)
                                           .count());
          ++ctx.rec.orders_seen;
          pending[i] = pending.back();
          pending.pop_back();
        } else {
          ++i;
        }
      }
    }
    ctx.rec.orders_not_seen += pending.size();
  });
  Phase p;
  p.name = "purchase";
  p.connections = connections;
  p.rec = std::shared_ptr<Recorder>(std::move(r.merged));
  MergeAccepted(accepted, view);
  // Windows: all purchase answers, and those up to the last 202 ("while stock remains").
  uint32_t last_done = 0, last_202 = 0;
  for (const auto& e : p.rec->events) {
    last_done = std::max(last_done, e.done_us);
    if (e.status == 202) last_202 = std::max(last_202, e.done_us);
  }
  uint64_t in_stock = 0;
  for (const auto& e : p.rec->events)
    if (e.done_us <= last_202) ++in_stock;
  p.requests = p.rec->events.size();
  p.seconds = last_done / 1e6;
  p.rate = p.seconds > 0 ? p.requests / p.seconds : 0;
  p.extra["in_stock"] = {{"requests", in_stock},
                         {"seconds", last_202 / 1e6},
                         {"rate", last_202 > 0 ? in_stock / (last_202 / 1e6) : 0.0}};
  p.extra["sold_out_epoch_ms"] = in.starts_at_ms + last_202 / 1000;
  p.extra["users"] = users;
  return p;
}

}  // namespace stampede
