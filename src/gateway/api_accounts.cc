// Account endpoints of the Gateway: register and log in (the gateway's own state: users).
#include <boost/asio/use_awaitable.hpp>

#include "auth/user_store.h"
#include "common/clock.h"
#include "gateway/gateway.h"
#include "gateway/request_body.h"
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
    return MakeError(Code::kInvalidArgument, "email must be a string");
  if (password == body->end() || !password->is_string())
    return MakeError(Code::kInvalidArgument, "password must be a string");
  return Credentials{email->get<std::string>(), password->get<std::string>()};
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

}  // namespace

asio::awaitable<Result<net::Response>> Gateway::Register(Call& call) {
  Result<Credentials> creds = ParseCredentials(call.request);
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

asio::awaitable<Result<net::Response>> Gateway::Login(Call& call) {
  Result<Credentials> creds = ParseCredentials(call.request);
  if (!creds.ok()) co_return creds.error();
  Credentials c = std::move(*creds);
  auto job = [c](pg::Connection* db) -> Result<auth::User> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    return auth::LoginUser(*db, c.email, c.password);
  };
  Result<auth::User> user =
      co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!user.ok()) co_return user.error();
  co_return TokenResponse(http::status::ok, shared_.jwt, shared_.config.auth, *user);
}

}  // namespace minishop::gateway
