#include "common/result.h"

namespace minishop {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kBadRequest:
      return "bad_request";
    case Code::kInvalidJson:
      return "invalid_json";
    case Code::kUnauthorized:
      return "unauthorized";
    case Code::kForbidden:
      return "forbidden";
    case Code::kNotFound:
      return "not_found";
    case Code::kMethodNotAllowed:
      return "method_not_allowed";
    case Code::kConflict:
      return "conflict";
    case Code::kLimitReached:
      return "limit_reached";
    case Code::kSoldOut:
      return "sold_out";
    case Code::kNotStarted:
      return "not_started";
    case Code::kEnded:
      return "ended";
    case Code::kPayloadTooLarge:
      return "payload_too_large";
    case Code::kHeadersTooLarge:
      return "headers_too_large";
    case Code::kUriTooLong:
      return "uri_too_long";
    case Code::kUnsupportedMediaType:
      return "unsupported_media_type";
    case Code::kNotImplemented:
      return "not_implemented";
    case Code::kRateLimited:
      return "rate_limited";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kTimeout:
      return "timeout";
    case Code::kRecovering:
      return "recovering";
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace minishop
