#include "seckill/seckill_local.h"

#include "common/clock.h"
#include "common/trace_context.h"

namespace minishop::seckill {

LocalSeckill::LocalSeckill(redis::AsyncClient& redis, MetricsRegistry& metrics,
                           const inventory::SaleCatalog& catalog,
                           std::function<void(int64_t)> request_rebuild)
    : seckill_(redis, metrics),
      catalog_(catalog),
      request_rebuild_(std::move(request_rebuild)),
      rng_(std::random_device{}()) {}

std::optional<Error> LocalSeckill::QuickAnswer(int64_t sale_id, int64_t quantity) {
  // The catalog answers the clear cases without Redis; the script re-checks everything on
  // Redis's clock, which is authoritative.
  if (const inventory::Sale* sale = Catalog().Find(sale_id)) {
    const int64_t now = NowEpochMs();
    if (now < sale->starts_at_ms) return MakeError(kNotStarted, "the sale has not started yet");
    if (now >= sale->ends_at_ms) return MakeError(kEnded, "the sale has ended");
    if (quantity > sale->limit_per_user)
      return MakeError(kLimitReached, "quantity exceeds this sale's per-user limit");
  }
  return seckill_.LocalAnswer(sale_id);
}

Error LocalSeckill::SaleStateMissing(int64_t sale_id, Error recovering) {
  if (Catalog().Find(sale_id) == nullptr) return MakeError(Code::kNotFound, "no such sale");
  if (request_rebuild_) request_rebuild_(sale_id);
  return recovering;
}

boost::asio::awaitable<Result<Admission>> LocalSeckill::Purchase(PurchaseRequest request) {
  // A trace of our own only when the caller brought none, and only now that the local
  // answers are behind us: a request answered from the flag costs no random numbers.
  std::string made;
  std::string_view traceparent = request.traceparent;
  if (traceparent.empty()) {
    made = MakeTraceParent(rng_(), rng_(), rng_());
    traceparent = made;
  }
  Result<Reservation> r =
      co_await seckill_.Reserve(request.sale_id, request.user_id, request.quantity, traceparent,
                                request.idempotency_key);
  if (r.Is(kRecovering)) co_return SaleStateMissing(request.sale_id, r.error());
  if (!r.ok()) co_return r.error();
  co_return Admission{std::move(r->reservation_id), request.sale_id, request.quantity,
                      r->replayed};
}

boost::asio::awaitable<Result<ReservationStatus>> LocalSeckill::Status(int64_t sale_id,
                                                                       int64_t user_id) {
  Result<ReservationStatus> s = co_await seckill_.Status(sale_id, user_id);
  if (s.Is(kRecovering)) co_return SaleStateMissing(sale_id, s.error());
  co_return s;
}

}  // namespace minishop::seckill
