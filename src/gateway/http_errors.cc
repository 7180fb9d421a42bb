#include "gateway/http_errors.h"

#include <array>

#include "order/order_api.h"
#include "seckill/seckill_api.h"

namespace minishop::gateway {
namespace http = net::http;

namespace {

struct NamedStatus {
  Outcome outcome;
  http::status status;
};

// Every named outcome the API answers with, and its status.
constexpr std::array kOutcomes{
    NamedStatus{seckill::kSoldOut, http::status::gone},
    NamedStatus{seckill::kLimitReached, http::status::conflict},
    NamedStatus{seckill::kNotStarted, static_cast<http::status>(425)},  // Too Early
    NamedStatus{seckill::kEnded, http::status::forbidden},
    NamedStatus{seckill::kRecovering, http::status::service_unavailable},
    NamedStatus{order::kPaymentDeclined, http::status::payment_required},
    NamedStatus{order::kKeyReused, http::status::unprocessable_entity},
    NamedStatus{kInvalidJson, http::status::bad_request},
    NamedStatus{kUnsupportedMediaType, http::status::unsupported_media_type},
    NamedStatus{kMethodNotAllowed, http::status::method_not_allowed},
    NamedStatus{kRateLimited, http::status::too_many_requests},
    NamedStatus{net::kPayloadTooLarge, http::status::payload_too_large},
    NamedStatus{net::kHeadersTooLarge, http::status::request_header_fields_too_large},
    NamedStatus{net::kUriTooLong, http::status::uri_too_long},
};

struct GenericStatus {
  http::status status;
  std::string_view name;
};

GenericStatus ForCode(Code code) {
  switch (code) {
    case Code::kOk:
      return {http::status::ok, "ok"};
    case Code::kInvalidArgument:
      return {http::status::bad_request, "bad_request"};
    case Code::kUnauthenticated:
      return {http::status::unauthorized, "unauthorized"};
    case Code::kPermissionDenied:
      return {http::status::forbidden, "forbidden"};
    case Code::kNotFound:
      return {http::status::not_found, "not_found"};
    case Code::kConflict:
      return {http::status::conflict, "conflict"};
    case Code::kFailedPrecondition:
      return {http::status::conflict, "failed_precondition"};
    case Code::kResourceExhausted:
      return {http::status::too_many_requests, "resource_exhausted"};
    case Code::kUnimplemented:
      return {http::status::not_implemented, "not_implemented"};
    case Code::kUnavailable:
      return {http::status::service_unavailable, "unavailable"};
    case Code::kDeadlineExceeded:
      return {http::status::service_unavailable, "timeout"};
    case Code::kInternal:
      return {http::status::internal_server_error, "internal"};
  }
  return {http::status::internal_server_error, "internal"};
}

}  // namespace

http::status StatusFor(const Error& error) {
  if (!error.reason.empty()) {
    for (const NamedStatus& n : kOutcomes) {
      if (error.Is(n.outcome)) return n.status;
    }
  }
  return ForCode(error.code).status;
}

std::string_view PublicCode(const Error& error) {
  return error.reason.empty() ? ForCode(error.code).name : error.reason;
}

net::Response ErrorResponse(const Error& error, unsigned version, int retry_after_s) {
  const http::status status = StatusFor(error);
  const bool retry = status == http::status::service_unavailable ||
                     status == http::status::too_many_requests;
  return net::JsonError(status, PublicCode(error), error.message, version,
                        retry ? retry_after_s : 0);
}

}  // namespace minishop::gateway
