#include "gateway/idempotency.h"

#include <openssl/evp.h>

#include "contracts/keys.h"

namespace minishop::gateway {

Result<std::optional<std::string>> IdempotencyKeyOf(const net::Request& request) {
  auto it = request.message.find("Idempotency-Key");
  if (it == request.message.end()) return std::optional<std::string>();
  if (request.message.count("Idempotency-Key") != 1)
    return MakeError(Code::kBadRequest, "send one Idempotency-Key header, not several");
  std::string_view value = it->value();
  if (value.empty() || value.size() > 200)
    return MakeError(Code::kBadRequest, "Idempotency-Key must be 1..200 characters");
  // The key is stored (Redis, PostgreSQL text) and echoed in logs: printable ASCII only, as
  // the IETF Idempotency-Key draft's sf-string allows.
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e)
      return MakeError(Code::kBadRequest, "Idempotency-Key must be printable ASCII (0x20..0x7E)");
  }
  return std::optional<std::string>(std::string(value));
}

std::string RequestFingerprint(std::string_view scope, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, scope.data(), scope.size());
  EVP_DigestUpdate(ctx, "\n", 1);
  EVP_DigestUpdate(ctx, body.data(), body.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Result<KeyClaim> ClaimKey(pg::Connection& db, const KeyRef& ref) {
  const std::string user = std::to_string(ref.user_id);
  auto inserted = db.Exec(
      "INSERT INTO idempotency_keys (user_id, scope, key, request_hash) VALUES ($1, $2, $3, $4)"
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
  if (rows->size() == 0) return ClaimKey(db, ref);  // forgotten meanwhile: claim again
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

std::string PurchaseKeyName(int64_t sale_id, int64_t user_id, std::string_view key) {
  return seckill::SaleTag(sale_id) + ":idem:" + std::to_string(user_id) + ":" + std::string(key);
}

bool IsFinalPurchaseAnswer(int status) {
  return status == 202 || status == 409 || status == 410 || status == 404 || status == 400;
}

}  // namespace minishop::gateway
