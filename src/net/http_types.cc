#include "net/http_types.h"

#include "common/json_text.h"
#include "common/logging.h"

namespace minishop::net {

http::status StatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return http::status::ok;
    case Code::kBadRequest:
    case Code::kInvalidJson:
      return http::status::bad_request;
    case Code::kUnauthorized:
      return http::status::unauthorized;
    case Code::kForbidden:
      return http::status::forbidden;
    case Code::kNotFound:
      return http::status::not_found;
    case Code::kMethodNotAllowed:
      return http::status::method_not_allowed;
    case Code::kConflict:
      return http::status::conflict;
    case Code::kLimitReached:
      return http::status::conflict;
    case Code::kSoldOut:
      return http::status::gone;
    case Code::kNotStarted:
      return static_cast<http::status>(425);  // Too Early
    case Code::kEnded:
      return http::status::forbidden;
    case Code::kPayloadTooLarge:
      return http::status::payload_too_large;
    case Code::kHeadersTooLarge:
      return http::status::request_header_fields_too_large;
    case Code::kUriTooLong:
      return http::status::uri_too_long;
    case Code::kUnsupportedMediaType:
      return http::status::unsupported_media_type;
    case Code::kNotImplemented:
      return http::status::not_implemented;
    case Code::kRateLimited:
      return http::status::too_many_requests;
    case Code::kUnavailable:
      return http::status::service_unavailable;
    case Code::kTimeout:
      return http::status::service_unavailable;
    case Code::kRecovering:
      return http::status::service_unavailable;
    case Code::kInternal:
      return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

Response JsonResponse(http::status status, std::string body, unsigned version) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

Response ErrorResponse(Code code, std::string_view message, unsigned version, int retry_after_s) {
  constexpr std::string_view kOpen = "{\"error\":{\"code\":\"", kMiddle = "\",\"message\":\"",
                             kClose = "\"}}";
  const std::string_view name = CodeName(code);
  std::string body;
  // One allocation: the whole body is sized before it is written.
  body.reserve(kOpen.size() + name.size() + kMiddle.size() + message.size() + kClose.size());
  body.append(kOpen).append(name).append(kMiddle);
  if (IsPlainJsonText(message)) {
    body.append(message);
  } else {
    body.append(JsonEscape(message));
  }
  body.append(kClose);
  Response res = JsonResponse(StatusFor(code), std::move(body), version);
  if (code == Code::kRateLimited || code == Code::kUnavailable || code == Code::kTimeout ||
      code == Code::kRecovering) {
    res.set(http::field::retry_after, std::to_string(retry_after_s));
  }
  return res;
}

Response ErrorResponse(const Error& error, unsigned version) {
  return ErrorResponse(error.code, error.message, version);
}

}  // namespace minishop::net
