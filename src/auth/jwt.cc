#include "auth/jwt.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

namespace minishop::auth {
namespace {

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
// kHeader in base64url: the header segment of every token Sign makes. A token carrying
// exactly this segment needs no header decode and no JSON parse.
constexpr std::string_view kHeaderSegment = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
constexpr size_t kMacBytes = 32;
// Payloads up to this size are checked in a stack buffer.
constexpr size_t kMaxFastPayload = 512;

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

  // Writes the 32-byte MAC of `data` under `key` to `out`.
  void Sign(std::string_view key, std::string_view data, unsigned char* out) {
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
    size_t len = 0;
    EVP_MAC_final(ctx_, out, &len, kMacBytes);
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  std::string key_;
};

Error Unauthorized(std::string message) {
  return MakeError(Code::kUnauthenticated, std::move(message));
}

void HmacSha256(std::string_view key, std::string_view data, unsigned char* out) {
  thread_local ThreadHmac hmac;
  hmac.Sign(key, data, out);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[kMacBytes];
  HmacSha256(key, data, mac);
  return std::string(reinterpret_cast<const char*>(mac), kMacBytes);
}

// Base64url decoding into `out` (room for `cap` bytes): the decoded length, or -1 for a
// character outside the alphabet, an impossible length or too little room. Same rules as
// Base64UrlDecode.
// The 6-bit value of each base64url character; -1 outside the alphabet.
constexpr std::array<int8_t, 256> kBase64UrlValues = [] {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return values;
}();

ptrdiff_t DecodeInto(std::string_view text, char* out, size_t cap) {
  if (text.size() % 4 == 1 || text.size() / 4 * 3 + 2 > cap) return -1;
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    const int v = kBase64UrlValues[static_cast<unsigned char>(ch)];
    if (v < 0) return -1;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return static_cast<ptrdiff_t>(n);
}

// The claims of a payload in the plain shape Sign writes: one flat JSON object without
// whitespace or escapes whose "sub" is a string of 1..18 digits, "exp" (and "iat", if
// present) integers and "role" a string. False for anything else, which the general
// parser then judges (so odd but valid payloads get exactly the same answer).
bool ParsePlainClaims(std::string_view json, Claims& claims, std::string_view& role) {
  if (json.size() < 2 || json.front() != '{' || json.back() != '}') return false;
  bool have_sub = false, have_exp = false, have_iat = false, have_role = false;
  size_t i = 1;
  auto string_at = [&json](size_t& at, std::string_view& out) {
    if (at >= json.size() || json[at] != '"') return false;
    size_t end = at + 1;
    while (end < json.size() && json[end] != '"') {
      auto c = static_cast<unsigned char>(json[end]);
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;  // escapes, non-ASCII
      ++end;
    }
    if (end >= json.size()) return false;
    out = json.substr(at + 1, end - at - 1);
    at = end + 1;
    return true;
  };
  auto integer_at = [&json](size_t& at, int64_t& out) {
    size_t start = at;
    bool negative = at < json.size() && json[at] == '-';
    if (negative) ++at;
    if (at + 1 < json.size() && json[at] == '0' && json[at + 1] >= '0' && json[at + 1] <= '9') {
      at = start;  // a leading zero is not JSON
      return false;
    }
    int64_t v = 0;
    size_t digits = 0;
    while (at < json.size() && json[at] >= '0' && json[at] <= '9' && digits < 18) {
      v = v * 10 + (json[at] - '0');
      ++at;
      ++digits;
    }
    if (digits == 0 || (at < json.size() && json[at] != ',' && json[at] != '}')) {
      at = start;
      return false;
    }
    out = negative ? -v : v;
    return true;
  };
  for (;;) {
    std::string_view key;
    if (!string_at(i, key) || i >= json.size() || json[i] != ':') return false;
    ++i;
    if (key == "sub" || key == "role") {
      bool& seen = key == "sub" ? have_sub : have_role;
      std::string_view value;
      if (seen || !string_at(i, value)) return false;
      seen = true;
      if (key == "role") {
        role = value;
      } else {
        if (value.empty() || value.size() > 18) return false;
        int64_t id = 0;
        for (char c : value) {
          if (c < '0' || c > '9') return false;
          id = id * 10 + (c - '0');
        }
        claims.user_id = id;
      }
    } else if (key == "exp" || key == "iat") {
      bool& seen = key == "exp" ? have_exp : have_iat;
      int64_t value = 0;
      if (seen || !integer_at(i, value)) return false;
      seen = true;
      (key == "exp" ? claims.expires_at_s : claims.issued_at_s) = value;
    } else {
      return false;  // another claim: the general parser decides
    }
    if (i >= json.size()) return false;
    if (json[i] == '}') break;
    if (json[i] != ',') return false;
    ++i;
  }
  return i == json.size() - 1 && have_sub && have_exp && have_role;
}

// The checks that follow a good signature, on parsed claims.
Result<Claims> FinishClaims(Claims claims, std::string_view role, int64_t now_s) {
  if (claims.user_id <= 0) return Unauthorized("malformed token subject");
  if (role == "admin")
    claims.role = Role::kAdmin;
  else if (role == "user")
    claims.role = Role::kUser;
  else
    return Unauthorized("unknown role");
  if (claims.expires_at_s <= now_s) return Unauthorized("token expired");
  return claims;
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
  out.resize(text.size() / 4 * 3 + 2);
  ptrdiff_t n = DecodeInto(text, out.data(), out.size());
  if (n < 0) {
    out.clear();
    return false;
  }
  out.resize(static_cast<size_t>(n));
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

namespace {
std::atomic<uint64_t> next_codec_id{1};

// Tokens verified on this thread, direct-mapped by a hash of their bytes.
struct VerifiedToken {
  uint64_t codec = 0;  // 0: empty
  std::string token;
  Claims claims;
};
constexpr size_t kVerifiedSlots = 1024;
constexpr size_t kMaxCachedToken = 512;
}  // namespace

JwtCodec::JwtCodec(std::string secret)
    : secret_(std::move(secret)), id_(next_codec_id.fetch_add(1, std::memory_order_relaxed)) {}

Result<Claims> JwtCodec::Verify(std::string_view token, int64_t now_s) const {
  thread_local std::vector<VerifiedToken> verified(kVerifiedSlots);
  VerifiedToken& slot = verified[std::hash<std::string_view>{}(token) % kVerifiedSlots];
  if (slot.codec == id_ && slot.token == token) {
    if (slot.claims.expires_at_s <= now_s) return Unauthorized("token expired");
    return slot.claims;
  }
  Result<Claims> claims = VerifyUncached(token, now_s);
  if (claims.ok() && token.size() <= kMaxCachedToken) {
    slot.codec = id_;
    slot.token.assign(token);
    slot.claims = *claims;
  }
  return claims;
}

Result<Claims> JwtCodec::VerifyUncached(std::string_view token, int64_t now_s) const {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return Unauthorized("malformed token");
  std::string_view payload_text = token.substr(dot1 + 1, dot2 - dot1 - 1);
  // The common case, a token in exactly the shape Sign makes, is checked without heap
  // allocations; anything else takes the general path below.
  if (token.substr(0, dot1) == kHeaderSegment && payload_text.size() <= kMaxFastPayload) {
    char payload[kMaxFastPayload];
    char signature[kMacBytes + 3];
    ptrdiff_t payload_len = DecodeInto(payload_text, payload, sizeof(payload));
    ptrdiff_t signature_len = DecodeInto(token.substr(dot2 + 1), signature, sizeof(signature));
    if (payload_len >= 0 && signature_len >= 0) {
      unsigned char expected[kMacBytes];
      HmacSha256(secret_, token.substr(0, dot2), expected);
      if (signature_len != static_cast<ptrdiff_t>(kMacBytes) ||
          CRYPTO_memcmp(signature, expected, kMacBytes) != 0)
        return Unauthorized("bad token signature");
      Claims claims;
      std::string_view role;
      std::string_view json(payload, static_cast<size_t>(payload_len));
      if (ParsePlainClaims(json, claims, role)) return FinishClaims(claims, role, now_s);
    }
  }
  return VerifyGeneral(token, now_s);
}

Result<Claims> JwtCodec::VerifyGeneral(std::string_view token, int64_t now_s) const {
  size_t dot1 = token.find('.');
  size_t dot2 = token.find('.', dot1 + 1);
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
  return FinishClaims(claims, role, now_s);
}

}  // namespace minishop::auth
