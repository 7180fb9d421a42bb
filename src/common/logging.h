// Structured logging: one JSON object per line on stderr (spdlog), fields ts, level,
// thread, msg and, when given, trace_id. Safe to call from any thread after InitLogging.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace minishop {

// Installs the JSON-lines logger as spdlog's default. `level` is a spdlog level name
// ("debug", "info", "warn", ...). Call once from main before any thread starts.
void InitLogging(std::string_view level);

// Escapes `text` for inclusion inside a JSON string.
std::string JsonEscape(std::string_view text);

}  // namespace minishop
