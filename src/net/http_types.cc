#include "net/http_types.h"

#include "common/json_text.h"
#include "common/logging.h"

namespace minishop::net {

http::status ProtocolStatus(const Error& error) {
  if (error.Is(kPayloadTooLarge)) return http::status::payload_too_large;
  if (error.Is(kHeadersTooLarge)) return http::status::request_header_fields_too_large;
  if (error.Is(kUriTooLong)) return http::status::uri_too_long;
  if (error.code == Code::kInvalidArgument) return http::status::bad_request;
  if (error.code == Code::kUnimplemented) return http::status::not_implemented;
  return http::status::internal_server_error;
}

Response JsonResponse(http::status status, std::string body, unsigned version) {
  Response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

Response JsonError(http::status status, std::string_view code, std::string_view message,
                   unsigned version, int retry_after_s) {
  constexpr std::string_view kOpen = "{\"error\":{\"code\":\"", kMiddle = "\",\"message\":\"",
                             kClose = "\"}}";
  std::string body;
  // One allocation: the whole body is sized before it is written.
  body.reserve(kOpen.size() + code.size() + kMiddle.size() + message.size() + kClose.size());
  body.append(kOpen).append(code).append(kMiddle);
  if (IsPlainJsonText(message)) {
    body.append(message);
  } else {
    body.append(JsonEscape(message));
  }
  body.append(kClose);
  Response res = JsonResponse(status, std::move(body), version);
  if (retry_after_s > 0) res.set(http::field::retry_after, std::to_string(retry_after_s));
  return res;
}

Result<std::optional<std::string>> IdempotencyKeyOf(const Request& request) {
  auto it = request.message.find("Idempotency-Key");
  if (it == request.message.end()) return std::optional<std::string>();
  if (request.message.count("Idempotency-Key") != 1)
    return MakeError(Code::kInvalidArgument, "send one Idempotency-Key header, not several");
  std::string_view value = it->value();
  if (value.empty() || value.size() > 200)
    return MakeError(Code::kInvalidArgument, "Idempotency-Key must be 1..200 characters");
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e)
      return MakeError(Code::kInvalidArgument, "Idempotency-Key must be printable ASCII (0x20..0x7E)");
  }
  return std::optional<std::string>(std::string(value));
}

}  // namespace minishop::net
