#include "auth/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <nlohmann/json.hpp>

namespace minishop::auth {
namespace {

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

// HMAC-SHA256 with a per-thread MAC context keyed once: OpenSSL 3's one-shot HMAC()
// fetches the digest and sets up the key on every call, which dominated token checks.
class ThreadHmac {
 public:
  ThreadHmac() {
    mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    ctx_ = EVP_MAC_CTX_new(mac_);
  }
  ~ThreadHmac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }
  ThreadHmac(const ThreadHmac&) = delete;
  ThreadHmac& operator=(const ThreadHmac&) = delete;

  std::string Sign(std::string_view key, std::string_view data) {
    bool same_key = key == key_;
    if (!same_key) {
      key_.assign(key);
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>("SHA256"), 0),
          OSSL_PARAM_construct_end()};
      EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key_.data()), key_.size(), params);
    } else {
      EVP_MAC_init(ctx_, nullptr, 0, nullptr);  // same key: just reset the state
    }
    EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t len = 0;
    EVP_MAC_final(ctx_, mac, &len, sizeof(mac));
    return std::string(reinterpret_cast<const char*>(mac), len);
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string key_;
};

std::string HmacSha256(std::string_view key, std::string_view data) {
  thread_local ThreadHmac hmac;
  return hmac.Sign(key, data);
}

Error Unauthorized(std::string message) {
  return MakeError(Code::kUnauthorized, std::move(message));
}

}  // namespace

std::string_view RoleName(Role role) { return role == Role::kAdmin ? "admin" : "user"; }

std::string Base64UrlEncode(std::string_view data) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(data[k]); };
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == data.size()) {
    uint32_t v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == data.size()) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string& out) {
  if (text.size() % 4 == 1) return false;
  out.clear();
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '-')
      v = 62;
    else if (ch == '_')
      v = 63;
    else
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return true;
}

std::string JwtCodec::Sign(const Claims& claims) const {
  nlohmann::json payload = {{"sub", std::to_string(claims.user_id)},
                            {"role", RoleName(claims.role)},
                            {"iat", claims.issued_at_s},
                            {"exp", claims.expires_at_s}};
  std::string signing_input = Base64UrlEncode(kHeader) + "." + Base64UrlEncode(payload.dump());
  std::string signature = Base64UrlEncode(HmacSha256(secret_, signing_input));
  return signing_input + "." + signature;
}

Result<Claims> JwtCodec::Verify(std::string_view token, int64_t now_s) const {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return Unauthorized("malformed token");
  std::string header, payload, signature;
  if (!Base64UrlDecode(token.substr(0, dot1), header) ||
      !Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1), payload) ||
      !Base64UrlDecode(token.substr(dot2 + 1), signature))
    return Unauthorized("malformed token");
  nlohmann::json h = nlohmann::json::parse(header, nullptr, false);
  if (!h.is_object() || !h.contains("alg") || h["alg"] != "HS256")
    return Unauthorized("unsupported token algorithm");
  std::string expected = HmacSha256(secret_, token.substr(0, dot2));
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0)
    return Unauthorized("bad token signature");
  nlohmann::json p = nlohmann::json::parse(payload, nullptr, false);
  if (!p.is_object() || !p.contains("sub") || !p["sub"].is_string() || !p.contains("exp") ||
      !p["exp"].is_number_integer() || !p.contains("role") || !p["role"].is_string())
    return Unauthorized("malformed token claims");
  Claims claims;
  try {
    size_t used = 0;
    const std::string sub = p["sub"].get<std::string>();
    claims.user_id = std::stoll(sub, &used);
    if (used != sub.size() || claims.user_id <= 0) return Unauthorized("malformed token subject");
  } catch (const std::exception&) {
    return Unauthorized("malformed token subject");
  }
  claims.expires_at_s = p["exp"].get<int64_t>();
  claims.issued_at_s = p.value("iat", int64_t{0});
  const std::string role = p["role"].get<std::string>();
  if (role == "admin")
    claims.role = Role::kAdmin;
  else if (role == "user")
    claims.role = Role::kUser;
  else
    return Unauthorized("unknown role");
  if (claims.expires_at_s <= now_s) return Unauthorized("token expired");
  return claims;
}

}  // namespace minishop::auth
