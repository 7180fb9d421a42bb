// Whether reservations of a sale are still in flight — in its outbox stream, held by a
// relay, in RabbitMQ, or held by an order worker that has not committed them — and waiting
// until they are not. A rebuild from PostgreSQL must not start before: a reservation that
// became an order after the rebuild read PostgreSQL would be missing from the rebuilt
// stock, and its unit could be sold twice. The argument is in docs/consistency.md
// ("Recovery after Redis lost its data"). Blocking; any thread.
#pragma once

#include <cstdint>

#include "common/config.h"
#include "common/held_work.h"
#include "common/result.h"
#include "infra/redis/sync_client.h"

namespace minishop::inventory {

// This process's own relay and order worker, when it runs them (null otherwise): what lets
// a rebuild prove that nothing is in flight instead of waiting for it. They must outlive
// every call that uses the probe.
struct PipelineProbe {
  const HeldWork* relay = nullptr;
  const HeldWork* worker = nullptr;
};

// Returns once every reservation of sale `sale_id` made before it lost its Redis meta hash
// is an order in PostgreSQL. With `probe` naming both stages and the worker the queue's
// only consumer, one look proves it when nothing is in flight, and the wait lasts only as
// long as something is; otherwise it waits until the queue and the outbox look empty twice,
// 500 ms apart, and 500 ms more. kDeadlineExceeded after config.inventory.rebuild_drain_timeout_ms;
// kUnavailable when Redis cannot be reached.
Status WaitForNothingInFlight(const Config& config, redis::SyncClient& redis, int64_t sale_id,
                              const PipelineProbe& probe);

}  // namespace minishop::inventory
