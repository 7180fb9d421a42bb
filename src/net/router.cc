#include "net/router.h"

#include <charconv>

namespace minishop::net {

PathSegments SplitPath(std::string_view target) {
  target = target.substr(0, target.find('?'));
  PathSegments out;
  size_t i = 0;
  while (i < target.size()) {
    size_t j = target.find('/', i);
    if (j == std::string_view::npos) j = target.size();
    if (j > i) out.push_back(target.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t v = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::optional<int64_t> QueryId(std::string_view target, std::string_view name) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return ParseId(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace minishop::net
