#include "order/idempotency_store.h"

namespace minishop::order {

Result<KeyClaim> ClaimKey(pg::Connection& db, const KeyRef& ref) {
  const std::string user = std::to_string(ref.user_id);
  // Only for a user who exists: an unknown one owns no order (kNotFound), and the key's
  // foreign key must not surface as a database error.
  auto inserted = db.Exec(
      "INSERT INTO idempotency_keys (user_id, scope, key, request_hash)"
      " SELECT $1::bigint, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1::bigint)"
      " ON CONFLICT DO NOTHING",
      {user, ref.scope, ref.key, ref.fingerprint});
  if (!inserted.ok()) return inserted.error();
  if (inserted->affected() == 1) return KeyClaim{};
  auto rows = db.Exec(
      "SELECT request_hash, state, response_status, response_body,"
      " created_at < now() - interval '60 seconds'"
      " FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3",
      {user, ref.scope, ref.key});
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) {
    auto user_row = db.Exec("SELECT 1 FROM users WHERE id = $1::bigint", {user});
    if (!user_row.ok()) return user_row.error();
    if (user_row->size() == 0) return MakeError(Code::kNotFound, "no such order");
    return ClaimKey(db, ref);  // forgotten meanwhile: claim again
  }
  KeyClaim claim;
  if (rows->Get(0, 0) != ref.fingerprint) {
    claim.kind = KeyClaim::Kind::kMismatch;
  } else if (rows->Get(0, 1) == "done") {
    claim.kind = KeyClaim::Kind::kReplay;
    claim.answer.status = static_cast<int>(rows->GetInt64(0, 2).value_or(500));
    claim.answer.body = std::string(rows->Get(0, 3));
  } else if (rows->Get(0, 4) == "t") {
    // Abandoned by a process that died mid-request: take it over.
    auto taken = db.Exec(
        "UPDATE idempotency_keys SET created_at = now() WHERE user_id = $1 AND scope = $2"
        " AND key = $3 AND state = 'started' AND created_at < now() - interval '60 seconds'",
        {user, ref.scope, ref.key});
    if (!taken.ok()) return taken.error();
    claim.kind = taken->affected() == 1 ? KeyClaim::Kind::kNew : KeyClaim::Kind::kInProgress;
  } else {
    claim.kind = KeyClaim::Kind::kInProgress;
  }
  return claim;
}

Status StoreAnswer(pg::Connection& db, const KeyRef& ref, const StoredAnswer& answer) {
  auto rows = db.Exec(
      "UPDATE idempotency_keys SET state = 'done', response_status = $4, response_body = $5"
      " WHERE user_id = $1 AND scope = $2 AND key = $3",
      {std::to_string(ref.user_id), ref.scope, ref.key, std::to_string(answer.status),
       answer.body});
  if (!rows.ok()) return rows.error();
  return OkStatus();
}

Status ForgetKey(pg::Connection& db, const KeyRef& ref) {
  auto rows = db.Exec(
      "DELETE FROM idempotency_keys WHERE user_id = $1 AND scope = $2 AND key = $3"
      " AND state = 'started'",
      {std::to_string(ref.user_id), ref.scope, ref.key});
  if (!rows.ok()) return rows.error();
  return OkStatus();
}

}  // namespace minishop::order
