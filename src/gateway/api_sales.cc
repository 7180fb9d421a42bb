// Sales, purchase and admin endpoints of the Gateway.
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "common/clock.h"
#include "common/json_text.h"
#include "gateway/gateway.h"
#include "infra/pg/async.h"
#include "inventory/inventory_service.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

namespace {
// The 202 body, byte for byte what nlohmann::json would dump (keys in sorted order),
// written into one string: {"quantity":1,"reservation_id":"…","sale_id":1,"status":"pending"}.
net::Response Accepted(const seckill::Reservation& r, int64_t sale_id, int64_t qty) {
  if (!IsPlainJsonText(r.reservation_id)) {
    return Json(http::status::accepted, {{"reservation_id", r.reservation_id},
                                         {"status", "pending"},
                                         {"sale_id", sale_id},
                                         {"quantity", qty}});
  }
  std::string body;
  body.reserve(80 + r.reservation_id.size());
  body.append(R"({"quantity":)");
  AppendDecimal(body, qty);
  body.append(R"(,"reservation_id":")");
  body.append(r.reservation_id);
  body.append(R"(","sale_id":)");
  AppendDecimal(body, sale_id);
  body.append(R"(,"status":"pending"})");
  return net::JsonResponse(http::status::accepted, std::move(body));
}
}  // namespace

Result<net::Response> Gateway::ListSales() {
  const auto& catalog = Catalog();
  nlohmann::json sales = nlohmann::json::array();
  for (const inventory::Sale& s : catalog.sales) {
    auto it = catalog.stock_left.find(s.id);
    sales.push_back(inventory::SaleToJson(s, it == catalog.stock_left.end() ? -1 : it->second));
  }
  return Json(http::status::ok, {{"sales", sales}, {"now_ms", NowEpochMs()}});
}

Result<net::Response> Gateway::GetSale(int64_t sale_id) {
  const auto& catalog = Catalog();
  const inventory::Sale* sale = catalog.Find(sale_id);
  if (sale == nullptr) return MakeError(Code::kNotFound, "no such sale");
  auto it = catalog.stock_left.find(sale_id);
  nlohmann::json body =
      inventory::SaleToJson(*sale, it == catalog.stock_left.end() ? -1 : it->second);
  body["now_ms"] = NowEpochMs();
  return Json(http::status::ok, body);
}

Error Gateway::SaleStateMissing(int64_t sale_id, Error recovering) {
  if (Catalog().Find(sale_id) == nullptr) return MakeError(Code::kNotFound, "no such sale");
  if (shared_.request_rebuild) shared_.request_rebuild(sale_id);
  return recovering;
}

asio::awaitable<Result<net::Response>> Gateway::Purchase(const net::Request& request,
                                                         const auth::Claims& caller,
                                                         int64_t sale_id) {
  int64_t qty = 1;
  if (!request.message.body().empty()) {
    Result<nlohmann::json> body = ParseJsonBody(request);
    if (!body.ok()) co_return body.error();
    auto it = body->find("quantity");
    if (it != body->end()) {
      if (!it->is_number_integer())
        co_return MakeError(Code::kBadRequest, "quantity must be an integer");
      qty = it->get<int64_t>();
    }
  }
  if (qty < 1 || qty > 1000) co_return MakeError(Code::kBadRequest, "quantity must be in 1..1000");
  // The catalog answers the clear cases without Redis; the script re-checks everything
  // on Redis's clock, which is authoritative.
  if (const inventory::Sale* sale = Catalog().Find(sale_id)) {
    int64_t now = NowEpochMs();
    if (now < sale->starts_at_ms)
      co_return MakeError(Code::kNotStarted, "the sale has not started yet");
    if (now >= sale->ends_at_ms) co_return MakeError(Code::kEnded, "the sale has ended");
    if (qty > sale->limit_per_user)
      co_return MakeError(Code::kLimitReached, "quantity exceeds this sale's per-user limit");
  }
  // The local sold-out flag first: a post-sell-out request then costs no traceparent and
  // no Redis work.
  if (std::optional<Error> local = seckill_.LocalAnswer(sale_id)) co_return std::move(*local);
  const std::string traceparent = TraceParent(request);
  Result<seckill::Reservation> r =
      co_await seckill_.Reserve(sale_id, caller.user_id, qty, traceparent);
  if (r.code() == Code::kRecovering) co_return SaleStateMissing(sale_id, r.error());
  if (!r.ok()) co_return r.error();
  co_return Accepted(*r, sale_id, qty);
}

asio::awaitable<Result<net::Response>> Gateway::MyReservation(const auth::Claims& caller,
                                                              int64_t sale_id) {
  Result<seckill::ReservationStatus> s = co_await seckill_.Status(sale_id, caller.user_id);
  if (s.code() == Code::kRecovering) co_return SaleStateMissing(sale_id, s.error());
  if (!s.ok()) co_return s.error();
  nlohmann::json body = {
      {"sale_id", sale_id}, {"reservation_id", s->reservation_id}, {"status", s->status}};
  if (s->order_id > 0) body["order_id"] = s->order_id;
  co_return Json(http::status::ok, body);
}

asio::awaitable<Result<net::Response>> Gateway::CreateSale(const net::Request& request) {
  Result<nlohmann::json> body = ParseJsonBody(request);
  if (!body.ok()) co_return body.error();
  Result<inventory::Sale> parsed = inventory::ParseNewSale(*body, NowEpochMs());
  if (!parsed.ok()) co_return parsed.error();
  inventory::Sale draft = std::move(*parsed);
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [draft](pg::Connection* db) -> Result<inventory::Sale> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    return inventory::InsertSale(*db, draft);
  };
  Result<inventory::Sale> sale =
      co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!sale.ok()) co_return sale.error();
  // PostgreSQL holds the sale now; if warming Redis fails the admin gets 503 and the
  // catalog refresh does not sell it until a retry (POST again creates a new sale, so the
  // warm-up is also retried on start-up: see docs/decisions.md).
  Status warm = co_await inventory::WarmSale(redis_, *sale);
  if (!warm.ok()) co_return warm.error();
  shared_.catalog.Upsert(*sale, sale->stock_total);
  co_return Json(http::status::created, inventory::SaleToJson(*sale, sale->stock_total));
}

asio::awaitable<Result<net::Response>> Gateway::Stats(int64_t sale_id) {
  const inventory::Sale* cached = Catalog().Find(sale_id);
  if (cached == nullptr) co_return MakeError(Code::kNotFound, "no such sale");
  inventory::Sale sale = *cached;
  Result<nlohmann::json> stats = co_await inventory::SaleStats(redis_, shared_.pool, sale);
  if (!stats.ok()) co_return stats.error();
  co_return Json(http::status::ok, *stats);
}

}  // namespace minishop::gateway
