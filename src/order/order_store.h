// Batched, idempotent writes of reserved orders to PostgreSQL (table `orders`, see
// migrations/0001_init.sql). Blocking; runs on the order worker's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "infra/pg/connection.h"
#include "order/reservation.h"

namespace minishop::order {

// An order row as PostgreSQL has it.
struct StoredOrder {
  std::string reservation_id;
  int64_t order_id = 0;
  int64_t sale_id = 0;
  std::string status;  // awaiting_payment | paid | cancelled | expired
  int64_t user_id = 0;
  int64_t quantity = 0;
};

struct WriteResult {
  std::vector<StoredOrder> orders;  // one per distinct accepted reservation of the batch
  std::vector<size_t> rejected;     // indexes into the batch of poison reservations
  int64_t inserted = 0;             // rows new in this call (the rest existed already)
};

// The PostgreSQL text form of a text[] value, e.g. {"a","b\"c"}. Pure.
std::string TextArray(const std::vector<std::string>& values);
// The PostgreSQL text form of a bigint[] value, e.g. {1,2}. Pure.
std::string IntArray(const std::vector<int64_t>& values);

// Inserts the orders of `batch` whose reservation_id is new, in one transaction with one
// multi-row INSERT … ON CONFLICT (reservation_id, reserved_at_ms) DO NOTHING, and returns the row
// of every reservation (so redeliveries learn their order id too). If the batch violates a check or
// foreign key (unknown sale or user), retries one row at a time and reports the offending
// reservations in `rejected` instead of failing. Errors (nothing is half-written; a retry
// is safe): kUnavailable / kDeadlineExceeded when PostgreSQL is down or slow, kInternal otherwise.
Result<WriteResult> WriteOrders(pg::Connection& conn, const std::vector<Reservation>& batch);

}  // namespace minishop::order
