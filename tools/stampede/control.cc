#include "control.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "infra/pg/connection.h"
#include "net/http_client.h"

namespace stampede {
using minishop::Code;
using minishop::MakeError;
namespace http = minishop::net::http;

std::pair<int, nlohmann::json> Api::Call(const std::string& method, const std::string& target,
                                         const std::string& body, const std::string& token) const {
  minishop::net::BlockingRequest req;
  req.method = http::string_to_verb(method);
  req.target = target;
  req.body = body;
  if (!token.empty()) req.headers["Authorization"] = "Bearer " + token;
  auto res = minishop::net::Fetch(host, port, req, std::chrono::seconds(30));
  if (!res.ok()) return {0, nlohmann::json{{"error", res.error().message}}};
  return {res->result_int(), nlohmann::json::parse(res->body(), nullptr, false)};
}

minishop::Status Api::Login(const std::string& email, const std::string& password) {
  auto [status, body] = Call("POST", "/api/v1/auth/login",
                             nlohmann::json{{"email", email}, {"password", password}}.dump());
  if (status != 200 || !body.is_object() || !body.contains("token"))
    return MakeError(Code::kUnauthenticated, "admin login failed (" + std::to_string(status) + "): " + body.dump());
  admin_token = body["token"].get<std::string>();
  return minishop::OkStatus();
}

minishop::Result<int64_t> Api::CreateSale(int64_t stock, int64_t limit_per_user, int64_t starts_at_ms,
                                          int64_t ends_at_ms, const std::string& name) {
  nlohmann::json sale = {{"product_name", name},          {"price_cents", 100},
                         {"stock", stock},                {"limit_per_user", limit_per_user},
                         {"starts_at_ms", starts_at_ms},  {"ends_at_ms", ends_at_ms}};
  auto [status, body] = Call("POST", "/api/v1/admin/sales", sale.dump(), admin_token);
  if (status != 201 || !body.is_object()) {
    return MakeError(Code::kInternal, "creating the sale failed (" + std::to_string(status) + "): " + body.dump());
  }
  if (body.contains("id")) return body["id"].get<int64_t>();
  if (body.contains("sale") && body["sale"].contains("id")) return body["sale"]["id"].get<int64_t>();
  return MakeError(Code::kInternal, "no sale id in " + body.dump());
}

minishop::Result<nlohmann::json> Api::Stats(int64_t sale_id) const {
  auto [status, body] = Call("GET", "/api/v1/admin/sales/" + std::to_string(sale_id) + "/stats", "", admin_token);
  if (status != 200 || !body.is_object())
    return MakeError(Code::kUnavailable, "stats failed (" + std::to_string(status) + "): " + body.dump());
  return body;
}

bool InvariantReport::ok() const {
  for (const Check& c : checks)
    if (!c.ok) return false;
  return !checks.empty();
}

nlohmann::json InvariantReport::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Check& c : checks) list.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  return {{"ok", ok()},   {"checks", list},           {"stats", stats},
          {"sql", sql},   {"settled", settled},       {"settle_wait_s", settle_wait_s},
          {"last_order_epoch_ms", last_order_epoch_ms}, {"last_reserved_epoch_ms", last_reserved_epoch_ms}};
}

namespace {

int64_t Int(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : -1;
}

// The buyer of a reservation id "<sale>-<user>-<n>"; 0 when it has another shape.
int64_t ReservationUser(const std::string& rid) {
  size_t a = rid.find('-'), b = rid.rfind('-');
  if (a == std::string::npos || b <= a) return 0;
  return std::atoll(rid.substr(a + 1, b - a - 1).c_str());
}

void SqlChecks(minishop::pg::Connection& db, int64_t sale_id, const ClientView& view, InvariantReport& out) {
  auto add = [&](std::string name, bool ok, std::string detail) {
    out.checks.push_back({std::move(name), ok, std::move(detail)});
  };
  const std::string id = std::to_string(sale_id);
  auto sale = db.Exec("SELECT stock_total, limit_per_user FROM sales WHERE id = $1", {id});
  if (!sale.ok() || sale->size() != 1) {
    add("sql", false, sale.ok() ? "sale not found" : sale.error().message);
    return;
  }
  const int64_t stock = sale->GetInt64(0, 0).value_or(0), limit = sale->GetInt64(0, 1).value_or(1);
  auto agg = db.Exec(
      "SELECT count(*), coalesce(sum(quantity), 0), count(DISTINCT user_id), "
      "coalesce((extract(epoch FROM max(created_at)) * 1000)::bigint, 0), "
      "coalesce(max(reserved_at_ms), 0) "
      "FROM orders WHERE sale_id = $1 AND status NOT IN ('cancelled', 'expired')",
      {id});
  auto per_user = db.Exec(
      "SELECT coalesce(max(units), 0) FROM (SELECT sum(quantity) AS units FROM orders "
      "WHERE sale_id = $1 AND status NOT IN ('cancelled', 'expired') GROUP BY user_id) u",
      {id});
  auto dup = db.Exec("SELECT count(*) - count(DISTINCT reservation_id) FROM orders WHERE sale_id = $1", {id});
  if (!agg.ok() || !per_user.ok() || !dup.ok()) {
    add("sql", false, "query failed");
    return;
  }
  const int64_t orders = agg->GetInt64(0, 0).value_or(0), units = agg->GetInt64(0, 1).value_or(0);
  const int64_t max_user = per_user->GetInt64(0, 0).value_or(0);
  out.last_order_epoch_ms = agg->GetInt64(0, 3).value_or(0);
  out.last_reserved_epoch_ms = agg->GetInt64(0, 4).value_or(0);
  out.sql = {{"stock_total", stock}, {"orders", orders}, {"units", units},
             {"distinct_buyers", agg->GetInt64(0, 2).value_or(0)}, {"max_units_per_user", max_user},
             {"duplicate_reservations", dup->GetInt64(0, 0).value_or(0)}};
  const int64_t redis_stock = Int(out.stats, "redis_stock");
  add("I1 no oversell (SQL)", units <= stock && (redis_stock < 0 || redis_stock + units == stock),
      "units in orders " + std::to_string(units) + ", stock " + std::to_string(stock) +
          ", redis stock " + std::to_string(redis_stock));
  add("I2 per-user limit (SQL)", max_user <= limit,
      "max units of one user " + std::to_string(max_user) + ", limit " + std::to_string(limit));
  if (!view.complete) return;
  auto rids = db.Exec("SELECT reservation_id FROM orders WHERE sale_id = $1", {id});
  if (!rids.ok()) {
    add("sql", false, rids.error().message);
    return;
  }
  std::set<std::string> in_pg;
  for (size_t r = 0; r < rids->size(); ++r) in_pg.emplace(rids->Get(r, 0));
  int64_t lost = 0, phantom = 0, unknown_found = 0;
  std::string example_lost, example_phantom;
  for (const auto& [rid, qty] : view.reservations)
    if (!in_pg.count(rid)) {
      if (lost++ == 0) example_lost = rid;
    }
  std::map<int64_t, int64_t> unknown = view.unknown;
  for (const auto& rid : in_pg) {
    if (view.reservations.count(rid)) continue;
    // An order of a buyer who was told "outcome unknown" is one the buyer can see through
    // the order endpoint: each such answer accounts for at most one order.
    auto it = unknown.find(ReservationUser(rid));
    if (it != unknown.end() && it->second > 0) {
      --it->second;
      ++unknown_found;
      continue;
    }
    if (phantom++ == 0) example_phantom = rid;
  }
  int64_t unknown_answers = 0;
  for (const auto& [user, n] : view.unknown) unknown_answers += n;
  out.sql["outcome_unknown_answers"] = unknown_answers;
  out.sql["orders_of_outcome_unknown_answers"] = unknown_found;
  add("I1 no oversell (client)", view.units <= stock,
      std::to_string(view.units) + " units accepted by 202 responses, stock " + std::to_string(stock));
  add("I3 no lost order (SQL vs 202s)", lost == 0,
      std::to_string(lost) + " of " + std::to_string(view.reservations.size()) +
          " accepted reservations have no order" + (lost ? " (e.g. " + example_lost + ")" : ""));
  add("I4 no phantom order (SQL vs 202s)", phantom == 0 && dup->GetInt64(0, 0).value_or(0) == 0,
      std::to_string(phantom) + " orders were never told to a client (" +
          std::to_string(unknown_found) + " belong to outcome-unknown answers)" +
          (phantom ? " (e.g. " + example_phantom + ")" : ""));
}

}  // namespace

Settled WaitSettled(const Api& api, int64_t sale_id, double timeout_s) {
  Settled out;
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  for (;;) {
    const auto asked = std::chrono::steady_clock::now();
    auto stats = api.Stats(sale_id);
    const auto took = std::chrono::steady_clock::now() - asked;
    if (stats.ok()) {
      out.stats = *stats;
      if (Int(out.stats, "outbox_backlog") == 0 &&
          Int(out.stats, "reserved_units") == Int(out.stats, "order_units_pg")) {
        out.settled = true;
        break;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    // Each stats call reads every order and buyer of the sale, so it costs the server and
    // PostgreSQL in proportion to the sale: polling back to back would slow the very
    // catch-up it waits for, so the pause grows with the call.
    std::this_thread::sleep_for(std::max<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(100), 3 * took));
  }
  out.wait_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

InvariantReport CheckInvariants(const Api& api, const std::string& conninfo, int64_t sale_id,
                                const ClientView& view, double settle_timeout_s) {
  InvariantReport out;
  Settled settled = WaitSettled(api, sale_id, settle_timeout_s);
  out.stats = std::move(settled.stats);
  out.settled = settled.settled;
  out.settle_wait_s = settled.wait_s;
  if (out.stats.is_object() && out.stats.contains("invariants")) {
    for (const auto& [name, value] : out.stats["invariants"].items())
      out.checks.push_back({name + " (stats endpoint)", value == true, ""});
  } else {
    out.checks.push_back({"stats endpoint", false, out.stats.dump()});
  }
  if (!conninfo.empty()) {
    auto db = minishop::pg::Connection::Open(conninfo);
    if (!db.ok()) {
      out.checks.push_back({"sql", false, db.error().message});
    } else {
      SqlChecks(**db, sale_id, view, out);
    }
  }
  return out;
}

}  // namespace stampede
