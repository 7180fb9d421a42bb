#include "auth/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/password.h"

namespace minishop::auth {
namespace {
using namespace std::literals;

const std::string kSecret = "0123456789abcdef0123456789abcdef";

Claims SomeClaims() { return Claims{42, Role::kUser, 1000, 5000}; }

TEST(JwtTest, VerifiesWhatItSigned) {
  JwtCodec codec(kSecret);
  auto claims = codec.Verify(codec.Sign(SomeClaims()), 2000);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->user_id, 42);
  EXPECT_EQ(claims->role, Role::kUser);
  EXPECT_EQ(claims->expires_at_s, 5000);
}

TEST(JwtTest, SignatureMatchesAKnownAnswer) {
  // The well-known jwt.io HS256 example (secret "your-256-bit-secret"): its signature must
  // check out, so Verify gets past the signature and stops at the claims it lacks.
  JwtCodec codec("your-256-bit-secret");
  std::string token =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwia"
      "WF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
  auto claims = codec.Verify(token, 2000);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.error().message, "malformed token claims");
  token[token.rfind('.') + 1] = 'T';  // first signature character: all 6 bits count
  EXPECT_EQ(codec.Verify(token, 2000).error().message, "bad token signature");
}

// Signs an arbitrary payload with the standard header, as a forger holding the key could.
std::string SignPayload(const std::string& payload) {
  std::string input =
      Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + Base64UrlEncode(payload);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
}

TEST(JwtTest, OddButSignedPayloadsGetTheGeneralParsersAnswer) {
  // Payloads outside the plain shape Sign writes fall back to the full JSON parser, so
  // each gets the same answer it always got.
  JwtCodec codec(kSecret);
  struct Case {
    std::string payload;
    std::string error;  // empty: accepted
  } cases[] = {
      {R"({ "sub" : "7", "role":"user", "exp":5000 })", ""},
      {R"({"sub":"7","role":"user","exp":5000,"name":"x"})", ""},
      {R"({"sub":" 7","role":"user","exp":5000})", ""},  // std::stoll skips the space
      {R"({"sub":"7","role":"user","exp":05000})", "malformed token claims"},
      {R"({"sub":"7","role":"user","exp":5000.0})", "malformed token claims"},
      {R"({"sub":7,"role":"user","exp":5000})", "malformed token claims"},
      {R"({"sub":"7x","role":"user","exp":5000})", "malformed token subject"},
      {R"({"sub":"0","role":"user","exp":5000})", "malformed token subject"},
      {R"({"sub":"7","role":"root","exp":5000})", "unknown role"},
      {R"({"sub":"7","role":"user","exp":5000})", ""},
      {R"({"sub":"7","role":"user","exp":1999})", "token expired"},
      {R"({"sub":"7","role":"user"})", "malformed token claims"},
      {R"({"sub":"7","role":"admin","exp":5000,"iat":1})", ""},
  };
  for (const Case& c : cases) {
    auto claims = codec.Verify(SignPayload(c.payload), 2000);
    if (c.error.empty()) {
      ASSERT_TRUE(claims.ok()) << c.payload << ": " << claims.error().message;
      EXPECT_EQ(claims->user_id, 7) << c.payload;
    } else {
      ASSERT_FALSE(claims.ok()) << c.payload;
      EXPECT_EQ(claims.error().message, c.error) << c.payload;
    }
  }
}

TEST(JwtTest, RejectsExpiredToken) {
  JwtCodec codec(kSecret);
  auto claims = codec.Verify(codec.Sign(SomeClaims()), 5000);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.code(), Code::kUnauthenticated);
  EXPECT_EQ(claims.error().message, "token expired");
}

TEST(JwtTest, RejectsTokenSignedWithAnotherSecret) {
  JwtCodec mine(kSecret), theirs("ffffffffffffffffffffffffffffffff");
  auto claims = mine.Verify(theirs.Sign(SomeClaims()), 2000);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.error().message, "bad token signature");
}

TEST(JwtTest, RejectsTamperedPayload) {
  JwtCodec codec(kSecret);
  std::string token = codec.Sign(SomeClaims());
  size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  std::string forged_payload =
      Base64UrlEncode(R"({"sub":"1","role":"admin","iat":1000,"exp":5000})");
  std::string forged = token.substr(0, dot1 + 1) + forged_payload + token.substr(dot2);
  auto claims = codec.Verify(forged, 2000);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.error().message, "bad token signature");
}

TEST(JwtTest, RejectsAlgNone) {
  JwtCodec codec(kSecret);
  std::string token = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                      Base64UrlEncode(R"({"sub":"1","role":"admin","iat":1,"exp":99999})") + ".";
  auto claims = codec.Verify(token, 2000);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.error().message, "unsupported token algorithm");
}

TEST(JwtTest, RejectsOtherAlgorithmEvenWithValidLookingSignature) {
  JwtCodec codec(kSecret);
  std::string token = codec.Sign(SomeClaims());
  std::string other_header = Base64UrlEncode(R"({"alg":"HS512","typ":"JWT"})");
  std::string swapped = other_header + token.substr(token.find('.'));
  auto claims = codec.Verify(swapped, 2000);
  ASSERT_FALSE(claims.ok());
  EXPECT_EQ(claims.code(), Code::kUnauthenticated);
}

TEST(JwtTest, RejectsMalformedTokens) {
  JwtCodec codec(kSecret);
  for (std::string bad : {"", "abc", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.e30"}) {
    auto claims = codec.Verify(bad, 2000);
    EXPECT_FALSE(claims.ok()) << bad;
    EXPECT_EQ(claims.code(), Code::kUnauthenticated) << bad;
  }
}

TEST(JwtTest, RecentlyVerifiedTokensStillExpireAndStayBoundToTheirSecret) {
  JwtCodec codec(kSecret);
  const std::string token = codec.Sign(SomeClaims());
  ASSERT_TRUE(codec.Verify(token, 2000).ok());
  auto again = codec.Verify(token, 2001);  // recognised by its bytes
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->user_id, 42);
  EXPECT_EQ(codec.Verify(token, 5000).code(), Code::kUnauthenticated);  // expiry still checked
  // Another codec (another secret) must not accept what the first one verified, even on
  // the same thread right after it did.
  JwtCodec other("another secret of at least 32 bytes!!");
  ASSERT_TRUE(codec.Verify(token, 2000).ok());
  EXPECT_EQ(other.Verify(token, 2000).code(), Code::kUnauthenticated);
  // A token differing in one byte is verified from scratch.
  std::string tampered = token;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(codec.Verify(tampered, 2000).code(), Code::kUnauthenticated);
}

TEST(Base64UrlTest, RoundTripsEveryByteAndLength) {
  std::string data;
  for (int b = 0; b < 256; ++b) data.push_back(static_cast<char>(b));
  for (size_t n = 0; n <= data.size(); ++n) {
    std::string out;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(data.substr(0, n)), out)) << n;
    EXPECT_EQ(out, data.substr(0, n));
  }
  std::string out;
  ASSERT_TRUE(Base64UrlDecode("AZaz09-_", out));
  EXPECT_EQ(out, "\x01\x96\xb3\xd3\xdf\xbf");
}

TEST(Base64UrlTest, RejectsCharactersOutsideTheUrlAlphabetAndImpossibleLengths) {
  std::string out;
  for (std::string_view bad : {"ab+d"sv, "ab/d"sv, "abc="sv, "ab d"sv,
                               "ab\x80"
                               "d"sv,
                               "ab\0d"sv, "abcde"sv}) {
    EXPECT_FALSE(Base64UrlDecode(bad, out)) << bad;
    EXPECT_TRUE(out.empty());
  }
}

TEST(PasswordTest, VerifiesOnlyTheRightPassword) {
  ASSERT_TRUE(InitCrypto());
  auto hash = HashPassword("correct horse", PasswordCost::kMinimum);
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horsE"));
  EXPECT_FALSE(VerifyPassword("not a hash", "correct horse"));
}

}  // namespace
}  // namespace minishop::auth
