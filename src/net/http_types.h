// The request and response types every HTTP handler sees, and the one table that maps
// an error Code to an HTTP status.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
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

// The HTTP status of each Code (the single mapping table).
http::status StatusFor(Code code);

// {"error":{"code":"<CodeName>","message":"…"}} with StatusFor(code); 429/503 carry
// Retry-After: `retry_after_s`.
Response ErrorResponse(Code code, std::string_view message, unsigned version = 11,
                       int retry_after_s = 1);
Response ErrorResponse(const Error& error, unsigned version = 11);

// A JSON response with the given status and an already-serialised body.
Response JsonResponse(http::status status, std::string body, unsigned version = 11);

}  // namespace minishop::net
