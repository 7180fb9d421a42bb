// Checks of a sale's outcome shared by the whole-system tests: the invariants I1–I4 by
// direct SQL on the orders table, and the booleans of the admin stats endpoint. Each
// reports through GoogleTest (EXPECT/ASSERT), so call them from a test body.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "integration/minishop_system.h"

namespace minishop::testing {

// I1–I4 by direct SQL, independent of the stats endpoint, for a sale with a limit of one
// unit per user: at most `stock` units, one order per user, every order awaiting payment,
// and the orders' reservation ids exactly `known` (every reservation a client was told
// about, or could learn, is an order, and no other order exists).
void ExpectOrdersMatch(MiniShopSystem& sys, int64_t sale_id, int64_t stock,
                       const std::set<std::string>& known);

// The stats endpoint's I1–I4 booleans all hold.
void ExpectInvariants(const nlohmann::json& stats);

// A stampede on a sale of `stock` units, one per user, sold out: every 202 among `answers`
// names a distinct reservation and the others are 409 or 410, exactly `stock` were
// accepted; once settled, the stats' I1–I4 hold, Redis has no unit left, PostgreSQL has
// one order per unit and buyer, and the orders are exactly the accepted reservations.
void ExpectSoldExactlyOnce(MiniShopSystem& sys, int64_t sale_id, int64_t stock,
                           const std::vector<ApiResponse>& answers);

// The first `count` buyers among `tokens` (users without a reservation are skipped) see
// their order through GET /sales/{id}/order: awaiting payment, with its order id.
void ExpectBuyersSeeTheirOrders(MiniShopSystem& sys, int64_t sale_id,
                                const std::vector<std::string>& tokens, int count);

}  // namespace minishop::testing
