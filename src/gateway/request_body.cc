#include "gateway/request_body.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "gateway/http_errors.h"

namespace minishop::gateway {
namespace http = net::http;

Result<nlohmann::json> ParseStrictJson(std::string_view text) {
  // Per open object, the keys seen so far; a duplicate or a NUL (which no later store keeps:
  // PostgreSQL text refuses it) marks the whole body invalid.
  std::vector<std::vector<std::string>> keys;
  const char* problem = nullptr;
  auto check = [&keys, &problem](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) {
      keys.emplace_back();
    } else if (event == Event::object_end) {
      keys.pop_back();
    } else if (event == Event::key || (event == Event::value && parsed.is_string())) {
      const std::string& s = parsed.get_ref<const std::string&>();
      if (s.find('\0') != std::string::npos && problem == nullptr)
        problem = "strings in the body must not contain U+0000";
      if (event == Event::key) {
        std::vector<std::string>& seen = keys.back();
        if (std::find(seen.begin(), seen.end(), s) != seen.end()) {
          if (problem == nullptr) problem = "duplicate object key in the body (RFC 7493 §2.3)";
        } else {
          seen.push_back(s);
        }
      }
    }
    return true;
  };
  nlohmann::json body = nlohmann::json::parse(text, check, /*allow_exceptions=*/false);
  if (body.is_discarded()) return MakeError(kInvalidJson, "body is not valid JSON");
  if (problem != nullptr) return MakeError(kInvalidJson, problem);
  return body;
}

bool IsJsonMediaType(std::string_view content_type) {
  // RFC 9110 §8.3.1: type/subtype, then parameters after ';'; case-insensitive.
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (type.size() != kJson.size()) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != kJson[i]) return false;
  }
  return true;
}

Result<nlohmann::json> ParseJsonBody(const net::Request& request) {
  const auto& msg = request.message;
  auto ct = msg.find(http::field::content_type);
  if (ct != msg.end() && !IsJsonMediaType(ct->value()))
    return MakeError(kUnsupportedMediaType, "body must be application/json");
  if (msg.body().empty()) return nlohmann::json::object();
  Result<nlohmann::json> body = ParseStrictJson(msg.body());
  if (!body.ok()) return body;
  if (!body->is_object()) return MakeError(kInvalidJson, "body must be a JSON object");
  return body;
}

}  // namespace minishop::gateway
