#include "gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <charconv>

#include "common/clock.h"
#include "common/trace_context.h"
#include "infra/pg/async.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

namespace {
Error NotFound() { return MakeError(Code::kNotFound, "no such resource"); }
Error BadMethod() {
  return MakeError(Code::kMethodNotAllowed, "method not allowed on this resource");
}
}  // namespace

Result<nlohmann::json> ParseStrictJson(std::string_view text) {
  // Per open object, the keys seen so far; a duplicate or a NUL (which no later store keeps:
  // PostgreSQL text refuses it) marks the whole body invalid.
  std::vector<std::vector<std::string>> keys;
  const char* problem = nullptr;
  auto check = [&keys, &problem](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      keys.emplace_back();
    } else if (event == Event::object_end) {
      keys.pop_back();
    } else if (event == Event::key || (event == Event::value && parsed.is_string())) {
      const std::string& s = parsed.get_ref<const std::string&>();
      if (s.find('\0') != std::string::npos && problem == nullptr)
        problem = "strings in the body must not contain U+0000";
      if (event == Event::key) {
        std::vector<std::string>& seen = keys.back();
        if (std::find(seen.begin(), seen.end(), s) != seen.end()) {
          if (problem == nullptr) problem = "duplicate object key in the body (RFC 7493 §2.3)";
        } else {
          seen.push_back(s);
        }
      }
    }
    return true;
  };
  nlohmann::json body = nlohmann::json::parse(text, check, /*allow_exceptions=*/false);
  if (body.is_discarded()) return MakeError(Code::kInvalidJson, "body is not valid JSON");
  if (problem != nullptr) return MakeError(Code::kInvalidJson, problem);
  return body;
}

bool IsJsonMediaType(std::string_view content_type) {
  // RFC 9110 §8.3.1: type/subtype, then parameters after ';'; case-insensitive.
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (type.size() != kJson.size()) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != kJson[i]) return false;
  }
  return true;
}

Result<nlohmann::json> ParseJsonBody(const net::Request& request) {
  const auto& msg = request.message;
  auto ct = msg.find(http::field::content_type);
  if (ct != msg.end() && !IsJsonMediaType(ct->value()))
    return MakeError(Code::kUnsupportedMediaType, "body must be application/json");
  if (msg.body().empty()) return nlohmann::json::object();
  Result<nlohmann::json> body = ParseStrictJson(msg.body());
  if (!body.ok()) return body;
  if (!body->is_object()) return MakeError(Code::kInvalidJson, "body must be a JSON object");
  return body;
}

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t v = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

PathSegments SplitPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  PathSegments out;
  size_t i = 0;
  while (i < target.size()) {
    size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    if (j > i) out.push_back(target.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

net::Response Json(http::status status, const nlohmann::json& body) {
  return net::JsonResponse(status, body.dump());
}

Gateway::Gateway(GatewayShared& shared, redis::AsyncClient& redis)
    : shared_(shared),
      redis_(redis),
      seckill_(redis, shared.metrics),
      rng_(std::random_device{}()) {}

asio::awaitable<net::Response> Gateway::Handle(net::Request& request) {
  Segments path = SplitPath(request.message.target());
  Result<net::Response> result = co_await Route(request, path);
  net::Response response = result.ok()
                               ? std::move(*result)
                               : net::ErrorResponse(result.error(), request.message.version());
  std::string_view route = path.size() >= 3 ? path[2] : (path.empty() ? "" : path[0]);
  Count(route, response.result_int());
  co_return response;
}

void Gateway::Count(std::string_view route, unsigned status) {
  static constexpr std::string_view kKnown[] = {"healthz", "readyz", "metrics", "auth", "time",
                                                "sales",   "orders", "admin",   "other"};
  size_t index = std::size(kKnown) - 1;  // "other"
  for (size_t i = 0; i + 1 < std::size(kKnown); ++i) {
    if (route == kKnown[i]) index = i;
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

asio::awaitable<Result<net::Response>> Gateway::Route(net::Request& request, const Segments& p) {
  const http::verb method = request.message.method();
  const bool get = method == http::verb::get, post = method == http::verb::post;
  if (p.size() == 1 && (p[0] == "healthz" || p[0] == "readyz" || p[0] == "metrics")) {
    if (!get) co_return BadMethod();
    if (p[0] == "healthz") co_return Json(http::status::ok, {{"status", "ok"}});
    if (p[0] == "metrics") co_return Metrics();
    co_return co_await Ready();
  }
  if (p.size() < 3 || p[0] != "api" || p[1] != "v1" || !shared_.public_api) co_return NotFound();
  const std::string_view group = p[2];
  const size_t n = p.size();
  if (group == "time" && n == 3) {
    if (!get) co_return BadMethod();
    co_return Json(http::status::ok, {{"now_ms", NowEpochMs()}});
  }
  if (group == "auth" && n == 4 && (p[3] == "register" || p[3] == "login")) {
    if (!post) co_return BadMethod();
    if (p[3] == "register") co_return co_await Register(request);
    co_return co_await Login(request);
  }
  if (group == "sales" && n == 3) {
    if (!get) co_return BadMethod();
    co_return ListSales();
  }
  if (group == "sales" && n >= 4 && n <= 5) {
    std::optional<int64_t> id = ParseId(p[3]);
    if (!id) co_return MakeError(Code::kNotFound, "no such sale");
    if (n == 4) {
      if (!get) co_return BadMethod();
      co_return GetSale(*id);
    }
    if (p[4] != "purchase" && p[4] != "order") co_return NotFound();
    if ((p[4] == "purchase" && !post) || (p[4] == "order" && !get)) co_return BadMethod();
    Result<auth::Claims> caller = Authenticate(request);
    if (!caller.ok()) co_return caller.error();
    if (p[4] == "purchase") {
      if (request.message.count("Idempotency-Key") != 0)
        co_return co_await KeyedPurchase(request, *caller, *id);
      co_return co_await Purchase(request, *caller, *id);
    }
    co_return co_await MyReservation(*caller, *id);
  }
  if (group == "orders" && n == 5 && (p[4] == "pay" || p[4] == "cancel")) {
    if (!post) co_return BadMethod();
    Result<auth::Claims> caller = Authenticate(request);
    if (!caller.ok()) co_return caller.error();
    std::optional<int64_t> id = ParseId(p[3]);
    if (!id) co_return MakeError(Code::kNotFound, "no such order");
    if (p[4] == "pay") co_return co_await PayOrder(request, *caller, *id);
    co_return co_await CancelOrder(request, *caller, *id);
  }
  if (group == "admin" && n >= 4 && n <= 5 && p[3] == "dead-letters") {
    const bool replay = n == 5;
    if (replay && p[4] != "replay") co_return NotFound();
    if ((replay && !post) || (!replay && !get)) co_return BadMethod();
    Result<auth::Claims> caller = Authenticate(request);
    if (!caller.ok()) co_return caller.error();
    if (caller->role != auth::Role::kAdmin)
      co_return MakeError(Code::kForbidden, "this endpoint needs the admin role");
    co_return co_await DeadLetters(request, replay);
  }
  if (group == "orders" && (n == 3 || n == 4)) {
    if (!get) co_return BadMethod();
    Result<auth::Claims> caller = Authenticate(request);
    if (!caller.ok()) co_return caller.error();
    if (n == 3) co_return co_await ListOrders(*caller);
    std::optional<int64_t> id = ParseId(p[3]);
    if (!id) co_return MakeError(Code::kNotFound, "no such order");
    co_return co_await GetOrder(*caller, *id);
  }
  if (group == "admin" && n >= 4 && p[3] == "sales") {
    const bool create = n == 4, stats = n == 6 && p[5] == "stats";
    if (!create && !stats) co_return NotFound();
    if ((create && !post) || (stats && !get)) co_return BadMethod();
    Result<auth::Claims> caller = Authenticate(request);
    if (!caller.ok()) co_return caller.error();
    if (caller->role != auth::Role::kAdmin)
      co_return MakeError(Code::kForbidden, "this endpoint needs the admin role");
    if (create) co_return co_await CreateSale(request);
    std::optional<int64_t> id = ParseId(p[4]);
    if (!id) co_return MakeError(Code::kNotFound, "no such sale");
    co_return co_await Stats(*id);
  }
  co_return NotFound();
}

Result<auth::Claims> Gateway::Authenticate(const net::Request& request) const {
  auto it = request.message.find(http::field::authorization);
  if (it == request.message.end())
    return MakeError(Code::kUnauthorized, "missing Authorization: Bearer token");
  std::string_view value = it->value();
  constexpr std::string_view kBearer = "Bearer ";
  if (value.substr(0, kBearer.size()) != kBearer)
    return MakeError(Code::kUnauthorized, "Authorization must be a Bearer token");
  return shared_.jwt.Verify(value.substr(kBearer.size()), NowEpochMs() / 1000);
}

const inventory::SaleCatalog::Snapshot& Gateway::Catalog() {
  uint64_t v = shared_.catalog.version();
  if (!catalog_ || v != catalog_version_) {
    catalog_ = shared_.catalog.Get();
    catalog_version_ = v;
  }
  return *catalog_;
}

std::string Gateway::TraceParent(const net::Request& request) {
  // Validated here because it travels on to Redis, RabbitMQ and PostgreSQL: an invalid one
  // restarts the trace (W3C Trace Context §3.2) and is never passed on.
  // Several traceparent fields combine into a list, which is not a valid value.
  auto it = request.message.find("traceparent");
  if (it != request.message.end() && request.message.count("traceparent") == 1) {
    if (std::optional<std::string> tp = NormalizeTraceParent(it->value())) return std::move(*tp);
  }
  return MakeTraceParent(rng_(), rng_(), rng_());
}

asio::awaitable<Result<net::Response>> Gateway::Ready() {
  nlohmann::json checks = nlohmann::json::object();
  bool ready = true;
  checks["redis"] = redis_.connected() ? "ok" : "unreachable";
  ready = ready && redis_.connected();
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
  for (const ReadinessProbe& probe : shared_.probes) {
    Status s = probe.check();
    checks[probe.name] = s.ok() ? "ok" : s.error().message;
    ready = ready && s.ok();
  }
  net::Response res = Json(ready ? http::status::ok : http::status::service_unavailable,
                           {{"status", ready ? "ready" : "degraded"}, {"checks", checks}});
  if (!ready) res.set(http::field::retry_after, "1");
  co_return res;
}

net::Response Gateway::Metrics() const {
  net::Response res{http::status::ok, 11};
  res.set(http::field::content_type, "text/plain; version=0.0.4");
  res.body() = shared_.metrics.Render();
  return res;
}

}  // namespace minishop::gateway
