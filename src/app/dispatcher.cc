#include "app/dispatcher.h"

#include <boost/asio/use_awaitable.hpp>

#include "gateway/http_errors.h"
#include "infra/pg/async.h"

namespace minishop::app {
namespace asio = boost::asio;
namespace http = net::http;

namespace {
net::Response NotFound(unsigned version) {
  return gateway::ErrorResponse(MakeError(Code::kNotFound, "no such resource"), version);
}
}  // namespace

Dispatcher::Dispatcher(DispatchShared& shared, redis::AsyncClient& redis,
                       std::unique_ptr<LoopParts> parts)
    : shared_(shared), redis_(redis), parts_(std::move(parts)) {}

Dispatcher::~Dispatcher() = default;

void Dispatcher::Stop() {
  for (const std::shared_ptr<net::Upstream>& u : parts_->upstreams) u->Stop();
}

asio::awaitable<net::Response> Dispatcher::Handle(net::Request& request) {
  const net::PathSegments path = net::SplitPath(request.message.target());
  net::Response response = co_await Route(request, path);
  std::string_view group = "other";
  if (path.size() == 1) {
    group = path[0];
  } else if (!path.empty() && path[0] == "internal") {
    group = "internal";
  } else if (path.size() >= 3 && path[0] == "api") {
    group = path[2];
  }
  Count(group, response.result_int());
  co_return response;
}

asio::awaitable<net::Response> Dispatcher::Route(net::Request& request,
                                                 const net::PathSegments& path) {
  const unsigned version = request.message.version();
  if (path.size() == 1 && (path[0] == "healthz" || path[0] == "readyz" || path[0] == "metrics")) {
    if (request.message.method() != http::verb::get) {
      net::Response res = gateway::ErrorResponse(
          MakeError(gateway::kMethodNotAllowed, "method not allowed on this resource"), version);
      res.set(http::field::allow, "GET");
      co_return res;
    }
    if (path[0] == "healthz") co_return gateway::Json(http::status::ok, {{"status", "ok"}});
    if (path[0] == "metrics") co_return Metrics();
    co_return co_await Ready();
  }
  if (!path.empty() && path[0] == "api" && parts_->gateway)
    co_return co_await parts_->gateway->Handle(request, path);
  if (!path.empty() && path[0] == "internal" && !parts_->internal.routes().empty())
    co_return co_await Internal(request, path);
  co_return NotFound(version);
}

asio::awaitable<net::Response> Dispatcher::Internal(net::Request& request,
                                                    const net::PathSegments& path) {
  const unsigned version = request.message.version();
  if (!net::HasServiceToken(request, shared_.config.services.token)) {
    co_return gateway::ErrorResponse(
        MakeError(Code::kUnauthenticated, "internal endpoints need the service token"), version);
  }
  net::InternalRouter::Match match = parts_->internal.Find(request.message.method(), path);
  if (match.route == nullptr) co_return NotFound(version);
  Result<net::Response> answer = co_await match.route->handler(request, match.ids);
  co_return answer.ok() ? std::move(*answer) : net::RpcError(answer.error(), version);
}

asio::awaitable<net::Response> Dispatcher::Ready() {
  nlohmann::json checks = nlohmann::json::object();
  bool ready = redis_.connected();
  checks["redis"] = ready ? "ok" : "unreachable";
  if (shared_.needs_postgres) {
    // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
    // of a co_await expression twice.
    auto job = [](pg::Connection* db) -> Status {
      if (db == nullptr) return MakeError(Code::kUnavailable, "unreachable");
      auto r = db->Exec("SELECT 1");
      if (!r.ok()) return r.error();
      return OkStatus();
    };
    Status pg = co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
    checks["postgres"] = pg.ok() ? "ok" : pg.error().message;
    ready = ready && pg.ok();
  }
  for (const ReadinessProbe& probe : shared_.probes) {
    Status s = probe.check();
    checks[probe.name] = s.ok() ? "ok" : s.error().message;
    ready = ready && (s.ok() || !probe.gate);
  }
  // Reported, not gating: every gateway calls the same instances, so another gateway would
  // not do better, and one service down must not take the others' endpoints with it
  // (docs/architecture.md).
  for (const std::shared_ptr<net::Upstream>& u : parts_->upstreams) {
    checks[u->service() + "_instances_up"] = u->instances_up();
  }
  net::Response res =
      gateway::Json(ready ? http::status::ok : http::status::service_unavailable,
                    {{"status", ready ? "ready" : "degraded"}, {"checks", checks}});
  if (!ready) res.set(http::field::retry_after, "1");
  co_return res;
}

net::Response Dispatcher::Metrics() const {
  net::Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = shared_.metrics.Render();
  return res;
}

void Dispatcher::Count(std::string_view group, unsigned status) {
  static constexpr std::string_view kKnown[] = {"healthz", "readyz", "metrics", "auth",
                                                "time",    "sales",  "orders",  "admin",
                                                "internal", "other"};
  size_t index = std::size(kKnown) - 1;  // "other"
  for (size_t i = 0; i + 1 < std::size(kKnown); ++i) {
    if (group == kKnown[i]) index = i;
  }
  // Keyed by integers so that counting a request allocates nothing once the pair is known.
  const uint32_t key = static_cast<uint32_t>(index) << 16 | (status & 0xffff);
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    const std::string name(kKnown[index]);
    Counter& c = shared_.metrics.GetCounter(
        "minishop_http_requests_total", "HTTP requests by route group and status.",
        "route=\"" + name + "\",status=\"" + std::to_string(status) + "\"");
    it = counters_.emplace(key, &c).first;
  }
  it->second->Inc();
}

}  // namespace minishop::app
