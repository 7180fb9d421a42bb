// HS256 JSON Web Tokens: the only proof of identity MiniShop accepts. Stateless and
// thread-safe; Sign/Verify do not block and take ~microseconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace minishop::auth {

enum class Role { kUser, kAdmin };

std::string_view RoleName(Role role);

struct Claims {
  int64_t user_id = 0;  // "sub"
  Role role = Role::kUser;
  int64_t issued_at_s = 0;   // "iat"
  int64_t expires_at_s = 0;  // "exp"
};

class JwtCodec {
 public:
  // `secret` must be at least 32 bytes (checked at config load).
  explicit JwtCodec(std::string secret);

  std::string Sign(const Claims& claims) const;

  // Returns the claims of a token whose header is exactly HS256, whose signature matches
  // (constant-time compare) and which has not expired at `now_s`. Anything else —
  // malformed, other algorithm (including "none"), forged, expired — is kUnauthenticated
  // with a message naming the reason. Tokens in the shape Sign makes are checked without
  // heap allocations. A token this codec verified recently on this thread is recognised by
  // its exact bytes without recomputing the HMAC (shoppers send the same token with every
  // request); its expiry is checked again every time.
  Result<Claims> Verify(std::string_view token, int64_t now_s) const;

 private:
  Result<Claims> VerifyUncached(std::string_view token, int64_t now_s) const;
  // Verify for tokens outside the plain shape Sign makes (decodes and parses everything).
  Result<Claims> VerifyGeneral(std::string_view token, int64_t now_s) const;

  std::string secret_;
  uint64_t id_;  // unique per codec in this process, never reused: keys the verified cache
};

// Base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(std::string_view data);
// Returns false on a character outside the alphabet or an impossible length.
bool Base64UrlDecode(std::string_view text, std::string& out);

}  // namespace minishop::auth
