#include "net/http_framing.h"

#include <boost/beast/http/rfc7230.hpp>
#include <string>
#include <vector>

namespace minishop::net {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::optional<Error> FramingError(const http::request_header<>& header) {
  auto te = header.equal_range(http::field::transfer_encoding);
  if (te.first == te.second) return std::nullopt;
  if (header.version() < 11) {
    return MakeError(Code::kInvalidArgument, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  }
  if (header.count(http::field::content_length) != 0) {
    return MakeError(Code::kInvalidArgument,
                     "a request must not carry both Transfer-Encoding and "
                     "Content-Length");
  }
  // Several fields form one list (RFC 9110 §5.3); every coding, in order.
  std::vector<std::string_view> codings;
  for (auto it = te.first; it != te.second; ++it) {
    for (const auto& coding : http::token_list(it->value())) {
      codings.emplace_back(coding.data(), coding.size());
    }
  }
  if (codings.empty() || !IEquals(codings.back(), "chunked")) {
    return MakeError(Code::kInvalidArgument, "Transfer-Encoding must end with chunked");
  }
  for (size_t i = 0; i + 1 < codings.size(); ++i) {
    if (IEquals(codings[i], "chunked"))
      return MakeError(Code::kInvalidArgument, "chunked must be applied only once");
  }
  if (codings.size() > 1) {
    // gzip, deflate, compress or an unknown coding under the chunked one: no decoder here.
    return MakeError(Code::kUnimplemented, "transfer coding '" + std::string(codings.front()) +
                                                "' is not implemented; send chunked only");
  }
  return std::nullopt;
}

}  // namespace minishop::net
