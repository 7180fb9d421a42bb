#include "gateway/gateway.h"

#include "common/clock.h"
#include "gateway/http_errors.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

net::Response Json(http::status status, const nlohmann::json& body) {
  return net::JsonResponse(status, body.dump());
}

const Gateway::Routes& Gateway::RouteTable() {
  // Immutable once built: every loop reads it without a lock.
  static const Routes routes = [] {
    Routes table;
    Routes* r = &table;
    using V = http::verb;
    using A = net::Access;
    r->Add(V::get, "/api/v1/time", A::kAnyone, "time", &Gateway::Time);
    r->Add(V::post, "/api/v1/auth/register", A::kAnyone, "auth", &Gateway::Register);
    r->Add(V::post, "/api/v1/auth/login", A::kAnyone, "auth", &Gateway::Login);
    r->Add(V::get, "/api/v1/sales", A::kAnyone, "sales", &Gateway::ListSales);
    r->Add(V::get, "/api/v1/sales/{id}", A::kAnyone, "sales", &Gateway::GetSale);
    r->Add(V::post, "/api/v1/sales/{id}/purchase", A::kUser, "sales", &Gateway::Purchase);
    r->Add(V::get, "/api/v1/sales/{id}/order", A::kUser, "sales", &Gateway::MyReservation);
    r->Add(V::get, "/api/v1/orders", A::kUser, "orders", &Gateway::ListOrders);
    r->Add(V::get, "/api/v1/orders/{id}", A::kUser, "orders", &Gateway::GetOrder);
    r->Add(V::post, "/api/v1/orders/{id}/pay", A::kUser, "orders", &Gateway::PayOrder);
    r->Add(V::post, "/api/v1/orders/{id}/cancel", A::kUser, "orders", &Gateway::CancelOrder);
    r->Add(V::post, "/api/v1/admin/sales", A::kAdmin, "admin", &Gateway::CreateSale);
    r->Add(V::get, "/api/v1/admin/sales/{id}/stats", A::kAdmin, "admin", &Gateway::Stats);
    r->Add(V::get, "/api/v1/admin/dead-letters", A::kAdmin, "admin", &Gateway::ListDeadLetters);
    r->Add(V::post, "/api/v1/admin/dead-letters/replay", A::kAdmin, "admin",
           &Gateway::ReplayDeadLetters);
    return table;
  }();
  return routes;
}

Gateway::Gateway(GatewayShared& shared, redis::AsyncClient& redis, Services services)
    : shared_(shared), redis_(redis), services_(services) {}

asio::awaitable<net::Response> Gateway::Handle(net::Request& request,
                                               const net::PathSegments& path) {
  const unsigned version = request.message.version();
  Routes::Match match = RouteTable().Find(request.message.method(), path);
  if (match.route == nullptr) {
    if (!match.path_known)
      co_return ErrorResponse(MakeError(Code::kNotFound, "no such resource"), version);
    net::Response res =
        ErrorResponse(MakeError(kMethodNotAllowed, "method not allowed on this resource"), version);
    res.set(http::field::allow, match.allow);
    co_return res;
  }
  Call call{request, match.ids, {}};
  if (match.route->access == net::Access::kUser || match.route->access == net::Access::kAdmin) {
    Result<auth::Claims> caller = Authenticate(request);
    if (!caller.ok()) co_return ErrorResponse(caller.error(), version);
    if (match.route->access == net::Access::kAdmin && caller->role != auth::Role::kAdmin) {
      co_return ErrorResponse(
          MakeError(Code::kPermissionDenied, "this endpoint needs the admin role"), version);
    }
    call.caller = *caller;
  }
  Result<net::Response> result = co_await (this->*match.route->handler)(call);
  co_return result.ok() ? std::move(*result) : ErrorResponse(result.error(), version);
}

Result<auth::Claims> Gateway::Authenticate(const net::Request& request) const {
  auto it = request.message.find(http::field::authorization);
  if (it == request.message.end())
    return MakeError(Code::kUnauthenticated, "missing Authorization: Bearer token");
  std::string_view value = it->value();
  constexpr std::string_view kBearer = "Bearer ";
  if (value.substr(0, kBearer.size()) != kBearer)
    return MakeError(Code::kUnauthenticated, "Authorization must be a Bearer token");
  return shared_.jwt.Verify(value.substr(kBearer.size()), NowEpochMs() / 1000);
}

asio::awaitable<Result<net::Response>> Gateway::Time(Call&) {
  co_return Json(http::status::ok, {{"now_ms", NowEpochMs()}});
}

}  // namespace minishop::gateway
