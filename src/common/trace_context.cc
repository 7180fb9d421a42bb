#include "common/trace_context.h"

#include <cstdio>

namespace minishop {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsAllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

std::optional<std::string> NormalizeTraceParent(std::string_view value) {
  value = TrimOws(value);
  if (value.size() < kTraceParentSize) return std::nullopt;
  const std::string_view version = value.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" && value.size() != kTraceParentSize) return std::nullopt;
  if (value.size() > kTraceParentSize && value[kTraceParentSize] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  const std::string_view trace_id = value.substr(3, 32), parent_id = value.substr(36, 16),
                         flags = value.substr(53, 2);
  if (!IsLowerHex(trace_id) || !IsLowerHex(parent_id) || !IsLowerHex(flags)) return std::nullopt;
  if (IsAllZero(trace_id) || IsAllZero(parent_id)) return std::nullopt;
  std::string out;
  out.reserve(kTraceParentSize);
  out.append("00-").append(trace_id).append("-").append(parent_id).append("-").append(flags);
  return out;
}

bool IsCanonicalTraceParent(std::string_view value) {
  return value.size() == kTraceParentSize && value.substr(0, 2) == "00" &&
         NormalizeTraceParent(value).has_value();
}

std::string MakeTraceParent(uint64_t trace_hi, uint64_t trace_lo, uint64_t parent_id) {
  if (trace_hi == 0 && trace_lo == 0) trace_lo = 1;
  if (parent_id == 0) parent_id = 1;
  char buf[kTraceParentSize + 1];
  std::snprintf(
      buf, sizeof(buf), "00-%016llx%016llx-%016llx-01", static_cast<unsigned long long>(trace_hi),
      static_cast<unsigned long long>(trace_lo), static_cast<unsigned long long>(parent_id));
  return std::string(buf, kTraceParentSize);
}

}  // namespace minishop
