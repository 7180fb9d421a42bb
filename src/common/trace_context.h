// W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/, §3.2): the one
// client-supplied value that travels with a reservation through Redis, RabbitMQ and into
// PostgreSQL. Every hop validates it with the same function, so a value that one hop
// accepted can never be refused by a later one. Pure functions: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace minishop {

// The canonical version-00 form, 55 bytes: "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>".
inline constexpr size_t kTraceParentSize = 55;

// Parses a `traceparent` header value and returns it in the version-00 form, or nullopt when
// the spec says to restart the trace: fields not lowercase hex, version "ff", an all-zero
// trace-id or parent-id, a version-00 value of another length than 55, or a higher version
// shorter than 55 bytes or not followed by '-' after the flags (§3.2.4: a higher version is
// read as far as version 00 defines it). Surrounding spaces and tabs (optional whitespace
// of an HTTP field) are ignored.
std::optional<std::string> NormalizeTraceParent(std::string_view value);

// True when `value` is already a canonical version-00 traceparent (what NormalizeTraceParent
// returns). Used by the back half, which only ever forwards canonical values.
bool IsCanonicalTraceParent(std::string_view value);

// A fresh canonical traceparent with the given random ids (a zero id is replaced by 1, as
// all-zero ids are invalid) and the sampled flag set.
std::string MakeTraceParent(uint64_t trace_hi, uint64_t trace_lo, uint64_t parent_id);

}  // namespace minishop
