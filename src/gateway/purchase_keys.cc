#include "gateway/purchase_keys.h"

#include <openssl/evp.h>

#include "contracts/keys.h"

namespace minishop::gateway {

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


std::string PurchaseKeyName(int64_t sale_id, int64_t user_id, std::string_view key) {
  return contracts::SaleTag(sale_id) + ":idem:" + std::to_string(user_id) + ":" + std::string(key);
}

bool IsFinalPurchaseAnswer(int status) {
  return status == 202 || status == 409 || status == 410 || status == 404 || status == 400;
}

}  // namespace minishop::gateway
