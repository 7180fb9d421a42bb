// The operator commands over inventory/reconcile.h: `minishop reconcile --sale ID
// [--repair]` and `minishop inventory rebuild --sale ID`. Each prints one JSON report on
// stdout and returns the exit code: 0 consistent (or repaired/rebuilt), 3 drift found and
// not repaired, 1 failure. Blocking; called from main only.
#pragma once

#include <cstdint>

#include "common/config.h"

namespace minishop::app {

int RunReconcile(const Config& config, int64_t sale_id, bool repair);
int RunRebuild(const Config& config, int64_t sale_id);

}  // namespace minishop::app
