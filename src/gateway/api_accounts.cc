// Account and order endpoints of the Gateway.
#include <boost/asio/use_awaitable.hpp>

#include "auth/user_store.h"
#include "common/clock.h"
#include "gateway/gateway.h"
#include "infra/pg/async.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

namespace {

struct Credentials {
  std::string email;
  std::string password;
};

Result<Credentials> ParseCredentials(const net::Request& request) {
  Result<nlohmann::json> body = ParseJsonBody(request);
  if (!body.ok()) return body.error();
  auto email = body->find("email");
  auto password = body->find("password");
  if (email == body->end() || !email->is_string())
    return MakeError(Code::kBadRequest, "email must be a string");
  if (password == body->end() || !password->is_string())
    return MakeError(Code::kBadRequest, "password must be a string");
  return Credentials{email->get<std::string>(), password->get<std::string>()};
}

nlohmann::json OrderRowToJson(const pg::Rows& rows, size_t r) {
  return {{"id", rows.GetInt64(r, 0).value_or(0)},
          {"reservation_id", std::string(rows.Get(r, 1))},
          {"sale_id", rows.GetInt64(r, 2).value_or(0)},
          {"quantity", rows.GetInt64(r, 3).value_or(0)},
          {"price_cents", rows.GetInt64(r, 4).value_or(0)},
          {"status", std::string(rows.Get(r, 5))},
          {"reserved_at_ms", rows.GetInt64(r, 6).value_or(0)}};
}

// {token, user} for a freshly registered or logged-in user.
net::Response TokenResponse(http::status status, const auth::JwtCodec& jwt,
                            const AuthConfig& config, const auth::User& user) {
  int64_t now = NowEpochMs() / 1000;
  std::string token = jwt.Sign({user.id, user.role, now, now + config.token_ttl_s});
  return Json(
      status,
      {{"token", token},
       {"user", {{"id", user.id}, {"email", user.email}, {"role", auth::RoleName(user.role)}}}});
}

constexpr const char* kOrderColumns =
    "id, reservation_id, sale_id, quantity, price_cents, status, reserved_at_ms";

}  // namespace

asio::awaitable<Result<net::Response>> Gateway::Register(const net::Request& request) {
  Result<Credentials> creds = ParseCredentials(request);
  if (!creds.ok()) co_return creds.error();
  auth::PasswordCost cost = shared_.config.auth.password_cost == "min"
                                ? auth::PasswordCost::kMinimum
                                : auth::PasswordCost::kInteractive;
  Credentials c = std::move(*creds);
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [c, cost](pg::Connection* db) -> Result<auth::User> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    return auth::RegisterUser(*db, c.email, c.password, cost);
  };
  Result<auth::User> user =
      co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!user.ok()) co_return user.error();
  co_return TokenResponse(http::status::created, shared_.jwt, shared_.config.auth, *user);
}

asio::awaitable<Result<net::Response>> Gateway::Login(const net::Request& request) {
  Result<Credentials> creds = ParseCredentials(request);
  if (!creds.ok()) co_return creds.error();
  Credentials c = std::move(*creds);
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [c](pg::Connection* db) -> Result<auth::User> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    return auth::LoginUser(*db, c.email, c.password);
  };
  Result<auth::User> user =
      co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!user.ok()) co_return user.error();
  co_return TokenResponse(http::status::ok, shared_.jwt, shared_.config.auth, *user);
}

asio::awaitable<Result<net::Response>> Gateway::ListOrders(const auth::Claims& caller) {
  const int64_t user_id = caller.user_id;
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [user_id](pg::Connection* db) -> Result<nlohmann::json> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    auto rows = db->Exec(std::string("SELECT ") + kOrderColumns +
                             " FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT 100",
                         {std::to_string(user_id)});
    if (!rows.ok()) return rows.error();
    nlohmann::json list = nlohmann::json::array();
    for (size_t r = 0; r < rows->size(); ++r) list.push_back(OrderRowToJson(*rows, r));
    return list;
  };
  Result<nlohmann::json> orders =
      co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!orders.ok()) co_return orders.error();
  co_return Json(http::status::ok, {{"orders", *orders}});
}

asio::awaitable<Result<net::Response>> Gateway::GetOrder(const auth::Claims& caller,
                                                         int64_t order_id) {
  const int64_t user_id = caller.user_id;
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [user_id, order_id](pg::Connection* db) -> Result<nlohmann::json> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    // Another user's order is reported as missing: ids are not secrets, orders are.
    auto rows = db->Exec(
        std::string("SELECT ") + kOrderColumns + " FROM orders WHERE id = $1 AND user_id = $2",
        {std::to_string(order_id), std::to_string(user_id)});
    if (!rows.ok()) return rows.error();
    if (rows->size() == 0) return MakeError(Code::kNotFound, "no such order");
    return OrderRowToJson(*rows, 0);
  };
  Result<nlohmann::json> order =
      co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!order.ok()) co_return order.error();
  co_return Json(http::status::ok, *order);
}

}  // namespace minishop::gateway
