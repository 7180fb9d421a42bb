// Pieces for writing a fixed-shape JSON object straight into a string on a hot path; the
// library (nlohmann::json) stays in charge of anything that needs escaping.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace minishop {

// True when `text` goes into a JSON string as it is: printable ASCII without '"' or '\\'.
inline bool IsPlainJsonText(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

// Appends `v` in decimal, as JSON writes an integer.
inline void AppendDecimal(std::string& out, int64_t v) {
  char buf[20];
  char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  out.append(buf, static_cast<size_t>(end - buf));
}

}  // namespace minishop
