// The internal API between MiniShop services: calls over HTTP/1.1 under /internal/v1/,
// authenticated by a shared service token (docs/architecture.md says why a token and not
// the user's JWT).
//
// An answer that reached the called handler is always 200: its body is the call's value,
// or, with the header `Minishop-Outcome: error`, the Error the call returned as
// {"error":{"code":"<CodeName>","message":"…"}}. Anything else — another status, a broken
// connection, a deadline — means the call did not complete, and the caller sees
// kUnavailable or kDeadlineExceeded.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "net/http_types.h"
#include "net/router.h"

namespace minishop::net {

inline constexpr std::string_view kServiceTokenHeader = "Minishop-Service-Token";
inline constexpr std::string_view kOutcomeHeader = "Minishop-Outcome";
inline constexpr std::string_view kInternalPrefix = "/internal/v1/";

// An internal endpoint: answers a call from another service (already authenticated) with
// RpcValue, or with an Error that the server sends as RpcError.
using InternalHandler =
    std::function<boost::asio::awaitable<Result<Response>>(Request&, const PathIds&)>;
using InternalRouter = Router<InternalHandler>;

// Whether the request carries exactly one service token equal to `token` (compared in
// constant time). An empty `token` matches nothing.
bool HasServiceToken(const Request& request, std::string_view token);

// A call's value: 200 with `json` (already serialised) as the body.
Response RpcValue(std::string json, unsigned version = 11);
// Awaits `call` and answers its JSON value with RpcValue, or passes its error on.
boost::asio::awaitable<Result<Response>> RpcJson(
    boost::asio::awaitable<Result<nlohmann::json>> call, unsigned version);
// A call's error value: 200, Minishop-Outcome: error, the error as ErrorJson.
Response RpcError(const Error& error, unsigned version = 11);

// {"code":"<CodeName>","reason":"…","message":"…"}, and back: the reason is kept when it
// names one of the `known` outcomes (the called service's), else only the generic code;
// nullopt for JSON that is not such an object.
nlohmann::json ErrorJson(const Error& error);
std::optional<Error> ErrorFromJson(const nlohmann::json& json, std::span<const Outcome> known);

// What a call's answer carries: the value's body, or the Error the callee returned (its
// reason restored from `known`). kUnavailable (naming `service`) for a status other than 200
// or an unreadable error body.
Result<std::string> RpcOutcome(const Response& response, std::string_view service,
                               std::span<const Outcome> known = {});

}  // namespace minishop::net
