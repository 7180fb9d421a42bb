// The one table from errors to HTTP answers of the public API: a domain Outcome's status
// first (sold_out → 410, not_started → 425, …), else the generic code's; the error body's
// "code" is the outcome's name or the generic code's public name (stable wire names:
// bad_request, unauthorized, forbidden, timeout, …). Pure functions; any thread.
#pragma once

#include "common/result.h"
#include "net/http_types.h"

namespace minishop::gateway {

// The API's own outcomes (HTTP-level, produced by the gateway).
inline constexpr Outcome kInvalidJson{Code::kInvalidArgument, "invalid_json"};
inline constexpr Outcome kUnsupportedMediaType{Code::kInvalidArgument, "unsupported_media_type"};
inline constexpr Outcome kMethodNotAllowed{Code::kInvalidArgument, "method_not_allowed"};
inline constexpr Outcome kRateLimited{Code::kResourceExhausted, "rate_limited"};

// The status an error is answered with.
net::http::status StatusFor(const Error& error);
// The error body's "code".
std::string_view PublicCode(const Error& error);
// The JSON error answer; 503 and 429 carry Retry-After: `retry_after_s`.
net::Response ErrorResponse(const Error& error, unsigned version = 11, int retry_after_s = 1);

}  // namespace minishop::gateway
