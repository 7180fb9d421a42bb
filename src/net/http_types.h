// The request and response types every HTTP handler sees, and the JSON error body.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace minishop::net {

namespace http = boost::beast::http;

struct Request {
  http::request<http::string_body> message;
  boost::asio::ip::address remote;
  int64_t received_us = 0;  // steady clock, when the request was read whole
};

using Response = http::response<http::string_body>;

// Handles requests of one event loop. Created per loop, called only from that loop's
// thread; Handle must not block (await asynchronous work instead) and must not throw.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual boost::asio::awaitable<Response> Handle(Request& request) = 0;
};

// The HTTP server's own refusals of a request that never reached a handler (net maps
// these, and only these, to statuses itself: 413, 431, 414; the API's errors are mapped in
// gateway/http_errors.h).
inline constexpr Outcome kPayloadTooLarge{Code::kInvalidArgument, "payload_too_large"};
inline constexpr Outcome kHeadersTooLarge{Code::kInvalidArgument, "headers_too_large"};
inline constexpr Outcome kUriTooLong{Code::kInvalidArgument, "uri_too_long"};

// The status of a refusal by the HTTP server itself: the outcomes above, 400 for other
// invalid requests, 501 for kUnimplemented, 500 otherwise.
http::status ProtocolStatus(const Error& error);

// {"error":{"code":"<code>","message":"…"}} with `status`; Retry-After: `retry_after_s`
// when it is positive. The one writer of the error body, for every protocol mapping.
Response JsonError(http::status status, std::string_view code, std::string_view message,
                   unsigned version = 11, int retry_after_s = 0);

// A JSON response with the given status and an already-serialised body.
Response JsonResponse(http::status status, std::string body, unsigned version = 11);

// The request's Idempotency-Key header (the IETF httpapi Idempotency-Key draft), if
// present; kInvalidArgument for several Idempotency-Key fields or a value outside 1..200
// printable ASCII characters (0x20..0x7E: it is stored in Redis and PostgreSQL and logged).
Result<std::optional<std::string>> IdempotencyKeyOf(const Request& request);

}  // namespace minishop::net
