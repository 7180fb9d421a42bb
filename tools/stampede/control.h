// The control plane of a run against MiniShop: admin login, sale creation, the stats
// endpoint and the direct-SQL invariant checks. Blocking calls, made from the main thread
// before and after the load phases, never during them.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace stampede {

struct Api {
  std::string host;
  int port = 0;
  std::string admin_token;

  // {status, parsed body} of one request with Connection: close; status 0 on no answer.
  std::pair<int, nlohmann::json> Call(const std::string& method, const std::string& target,
                                      const std::string& body = "", const std::string& token = "") const;
  minishop::Status Login(const std::string& email, const std::string& password);
  // Creates a sale (admin) and returns its id.
  minishop::Result<int64_t> CreateSale(int64_t stock, int64_t limit_per_user, int64_t starts_at_ms,
                                       int64_t ends_at_ms, const std::string& name);
  minishop::Result<nlohmann::json> Stats(int64_t sale_id) const;
};

// What the load generator itself saw of one sale: every reservation id it was given, and
// every answer that left the outcome open (503 "timeout": the purchase script was sent to
// Redis but its reply was lost, so it may have run; the server names the order endpoint
// where the buyer finds out).
struct ClientView {
  std::map<std::string, int64_t> reservations;  // reservation id → units
  int64_t units = 0;  // units in those reservations
  bool complete = false;  // true when this run was the only client of the sale
  std::vector<int64_t> request_user;  // user id of each rendered request, by index
  std::map<int64_t, int64_t> unknown;  // user id → outcome-unknown answers

  void AddReservation(const std::string& rid, int64_t qty) {
    if (reservations.emplace(rid, qty).second) units += qty;
  }
  void Merge(const ClientView& other) {
    for (const auto& [rid, qty] : other.reservations) AddReservation(rid, qty);
    for (const auto& [user, n] : other.unknown) unknown[user] += n;
  }
};

struct InvariantReport {
  struct Check {
    std::string name;
    bool ok = true;
    std::string detail;
  };
  std::vector<Check> checks;
  nlohmann::json stats;        // last stats endpoint answer
  nlohmann::json sql;          // counts read by SQL
  int64_t last_order_epoch_ms = 0;     // max(orders.created_at) of the sale
  int64_t last_reserved_epoch_ms = 0;  // max(orders.reserved_at_ms): Redis's clock, in the script
  bool settled = false;        // every reserved unit reached PostgreSQL in time
  double settle_wait_s = 0;
  bool ok() const;
  nlohmann::json ToJson() const;
};

// Waits until sale `sale_id`'s outbox is empty and every reserved unit is an order in
// PostgreSQL (its stats endpoint says so), or `timeout_s` passes.
struct Settled {
  bool settled = false;
  double wait_s = 0;
  nlohmann::json stats;  // the last stats answer
};
Settled WaitSettled(const Api& api, int64_t sale_id, double timeout_s);

// WaitSettled (up to `settle_timeout_s`), then checks I1–I4 twice: the stats endpoint's
// booleans, and by direct SQL on `conninfo` (plus, when `view` is complete, the exact set
// of reservation ids the clients were told about).
InvariantReport CheckInvariants(const Api& api, const std::string& conninfo, int64_t sale_id,
                                const ClientView& view, double settle_timeout_s);

}  // namespace stampede
