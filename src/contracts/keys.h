// contracts/: what MiniShop's roles agree on — the Redis keys of a sale and the scripts
// that change them, the outbox entries, and the reservation messages on RabbitMQ. Each is
// written by one role and read by others, often in another process, so each is defined
// once, here, and every role includes it (as leveldb's db/log_format.h serves both its log
// reader and writer). A change here is a change for every reader.
//
//   keys.h              this file: the key layout, who writes and who reads each key, and
//                       the messages on RabbitMQ
//   reservation_wire.h  one reservation as JSON, as the relay and the order worker write it
//   sale_scripts.h      the Lua scripts that change a sale's keys, with their KEYS, ARGV
//                       and replies
//
// Every key of one sale shares the hash tag {s<id>}, so one Lua script can touch all of them
// on one Redis Cluster node. W: written by, R: read by.
//
//   ms:{s<id>}:meta      hash    start_ms, end_ms, limit, price_cents, stock_total
//     W inventory: the warm-up, and a rebuild, which writes it last (it opens the sale)
//     R seckill purchase and status scripts; the order worker's readmit script (limit);
//       inventory (a sale without it has lost its Redis state)
//   ms:{s<id>}:stock     string  units left
//     W inventory warm-up (SET NX) and repair; the seckill purchase script (takes units);
//       order scripts: stock return and void (give back), readmit and cache (take again)
//     R inventory (catalog, stats, reconciliation)
//   ms:{s<id>}:buyers    hash    <user_id> -> units counted toward that user's limit
//     W as the stock
//     R inventory (stats, reconciliation)
//   ms:{s<id>}:status    hash    u:<user_id> -> the user's latest reservation id
//                                <reservation_id> -> "pending" | "failed"
//                                  | "<state>:<order_id>" (awaiting_payment, paid, cancelled
//                                    or expired)
//                                k:<user_id>:<idempotency key> -> the reservation made
//                                  with that key (never changes)
//     W seckill purchase script (pending, k:); order worker (<state>:<order_id> once the order is
//       written, failed when voided, pending again when readmitted); the stock return
//       (cancelled or expired: lifecycle jobs, gateway cancel); gateway pay (paid);
//       inventory repair
//     R seckill status script (GET /sales/{id}/order); inventory (reconciliation)
//   ms:{s<id>}:outbox    stream  one entry per reservation, fields:
//                                rid, sale, user, qty, price, ts (epoch ms), tp (traceparent)
//     W seckill purchase script (XADD); gateway admin (a replayed dead letter, XADD);
//       inventory warm-up and rebuild, and the relay, create the consumer group "relay"
//     R relay (group "relay"; XACK + XDEL once RabbitMQ confirmed); inventory (XLEN: stats,
//       the rebuild's in-flight check)
//   ms:{s<id>}:returned  hash    o:<order_id> -> units returned to stock for that closed order
//                                  (written once: the stock-return script's guard)
//                                kept_units -> returned units whose buyer quota was kept
//                                r:<reservation_id>:<ts_ms> -> units of a voided reservation
//     W order scripts: stock return (o:, kept_units), void (r:), readmit and cache (drop
//       r:); inventory repair
//     R inventory (stats, reconciliation)
//   ms:{s<id>}:idem:<user_id>:<key>  string  a purchase's Idempotency-Key; the gateway's own
//   ms:sales             set     ids of sales whose outbox the relay drains
//     W inventory (warm-up, rebuild)  R relay
// Leases (ms:lock:<name>, infra/redis/lock.h) belong to the role that takes them.
//
// A reservation id is "<sale_id>-<user_id>-<n>" where n is the index of the user's first
// unit in this reservation (1-based). It is deterministic, unique per (sale, user, unit) and
// is, with the reservation's ts, the idempotency key of the order row (UNIQUE
// (reservation_id, reserved_at_ms): an id is reused only after its units were returned to
// a sale that lets returning shoppers buy again).
//
// The AMQP messages the relay publishes (persistent, content-type application/json) carry
// a JSON array of up to relay.reservations_per_message reservations, each
// {"reservation_id":"…","sale_id":N,"user_id":N,"qty":N,"price_cents":N,"ts_ms":N,
// "traceparent":"…"} (written by reservation_wire.h); header "traceparent" is the first
// one's. A body that is a single such object is one reservation (the shape of a reservation
// dead-lettered by the order worker). The dead letters MiniShop publishes itself (rather
// than a message it rejects whole) carry headers x-minishop-reason (why) and
// x-minishop-source: "order" for a reservation, "outbox" for an outbox entry the relay
// could not read, whose body is {"stream":"<outbox key>","id":"<entry id>","fields":{…}}
// (the gateway's replay puts it back into that stream). A message republished from the
// dead-letter queue by an operator carries header x-minishop-replayed: 1 (its reservations
// may have been voided: order/saga.h).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace minishop::contracts {

// A sale's key is kSaleKeyPrefix, the sale id in decimal, kSaleTagEnd, then the key's
// suffix. The pieces are public for code that renders keys without allocating
// (seckill::SaleKeys) or parses them (the relay, from stream names).
inline constexpr std::string_view kSaleKeyPrefix = "ms:{s";
inline constexpr std::string_view kSaleTagEnd = "}";
inline constexpr std::string_view kMetaSuffix = ":meta";
inline constexpr std::string_view kStockSuffix = ":stock";
inline constexpr std::string_view kBuyersSuffix = ":buyers";
inline constexpr std::string_view kStatusSuffix = ":status";
inline constexpr std::string_view kOutboxSuffix = ":outbox";
inline constexpr std::string_view kReturnedSuffix = ":returned";

// The key `suffix` of sale `sale_id`.
inline std::string SaleKey(int64_t sale_id, std::string_view suffix) {
  std::string key(kSaleKeyPrefix);
  key += std::to_string(sale_id);
  key += kSaleTagEnd;
  key += suffix;
  return key;
}
inline std::string SaleTag(int64_t sale_id) { return SaleKey(sale_id, ""); }
inline std::string MetaKey(int64_t sale_id) { return SaleKey(sale_id, kMetaSuffix); }
inline std::string StockKey(int64_t sale_id) { return SaleKey(sale_id, kStockSuffix); }
inline std::string BuyersKey(int64_t sale_id) { return SaleKey(sale_id, kBuyersSuffix); }
inline std::string StatusKey(int64_t sale_id) { return SaleKey(sale_id, kStatusSuffix); }
inline std::string OutboxKey(int64_t sale_id) { return SaleKey(sale_id, kOutboxSuffix); }
inline std::string ReturnedKey(int64_t sale_id) { return SaleKey(sale_id, kReturnedSuffix); }
inline constexpr const char* kActiveSalesKey = "ms:sales";
inline constexpr const char* kRelayGroup = "relay";
inline constexpr const char* kReplayedHeader = "x-minishop-replayed";

// The sale id of an outbox key (OutboxKey); nullopt for any other string.
inline std::optional<int64_t> SaleOfOutboxKey(std::string_view key) {
  if (!key.starts_with(kSaleKeyPrefix) || !key.ends_with(kOutboxSuffix)) return std::nullopt;
  key.remove_prefix(kSaleKeyPrefix.size());
  key.remove_suffix(kOutboxSuffix.size());
  if (!key.ends_with(kSaleTagEnd)) return std::nullopt;
  key.remove_suffix(kSaleTagEnd.size());
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (key.empty() || ec != std::errc() || end != key.data() + key.size()) return std::nullopt;
  return id;
}

}  // namespace minishop::contracts
