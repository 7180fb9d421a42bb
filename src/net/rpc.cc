#include "net/rpc.h"

#include <nlohmann/json.hpp>

namespace minishop::net {

bool HasServiceToken(const Request& request, std::string_view token) {
  if (token.empty() || request.message.count(kServiceTokenHeader) != 1) return false;
  const std::string_view given = request.message[kServiceTokenHeader];
  if (given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

Response RpcValue(std::string json, unsigned version) {
  return JsonResponse(http::status::ok, std::move(json), version);
}

nlohmann::json ErrorJson(const Error& error) {
  return {{"code", CodeName(error.code)}, {"reason", error.reason}, {"message", error.message}};
}

std::optional<Error> ErrorFromJson(const nlohmann::json& json, std::span<const Outcome> known) {
  if (!json.is_object()) return std::nullopt;
  auto text = [&json](const char* key) -> std::optional<std::string> {
    auto it = json.find(key);
    if (it == json.end()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  std::optional<std::string> name = text("code"), reason = text("reason"), message = text("message");
  if (!name || !reason || !message) return std::nullopt;
  std::optional<Code> code = CodeFromName(*name);
  if (!code || *code == Code::kOk) return std::nullopt;
  Error error = MakeError(*code, std::move(*message));
  for (const Outcome& o : known) {
    if (o.code == *code && o.reason == *reason) error.reason = o.reason;
  }
  return error;
}

boost::asio::awaitable<Result<Response>> RpcJson(
    boost::asio::awaitable<Result<nlohmann::json>> call, unsigned version) {
  Result<nlohmann::json> value = co_await std::move(call);
  if (!value.ok()) co_return value.error();
  co_return RpcValue(value->dump(), version);
}

Response RpcError(const Error& error, unsigned version) {
  Response res = JsonResponse(http::status::ok, nlohmann::json{{"error", ErrorJson(error)}}.dump(),
                              version);
  res.set(kOutcomeHeader, "error");
  return res;
}

Result<std::string> RpcOutcome(const Response& response, std::string_view service,
                               std::span<const Outcome> known) {
  if (response.result() != http::status::ok) {
    return MakeError(Code::kUnavailable, std::string(service) + " answered " +
                                             std::to_string(response.result_int()));
  }
  if (response.find(kOutcomeHeader) == response.end()) return response.body();
  nlohmann::json body = nlohmann::json::parse(response.body(), nullptr, false);
  if (body.is_object() && body.contains("error")) {
    if (std::optional<Error> e = ErrorFromJson(body["error"], known)) return std::move(*e);
  }
  return MakeError(Code::kUnavailable, std::string(service) + " sent an unreadable error");
}

}  // namespace minishop::net
