#include "http_wire.h"

#include <gtest/gtest.h>

namespace stampede {
namespace {

TEST(HttpWireTest, ParsesContentLengthResponse) {
  std::string raw = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}extra";
  ParsedResponse r;
  size_t used = 0;
  ASSERT_EQ(ParseResponse(raw, r, used), ParseState::kDone);
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "{\"a\":1}");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(used, raw.size() - 5);
}

TEST(HttpWireTest, NeedsMoreUntilBodyIsComplete) {
  std::string raw = "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345";
  ParsedResponse r;
  size_t used = 0;
  EXPECT_EQ(ParseResponse(raw, r, used), ParseState::kNeedMore);
  EXPECT_EQ(ParseResponse("HTTP/1.1 200 OK\r\nConte", r, used), ParseState::kNeedMore);
}

TEST(HttpWireTest, ParsesChunkedAndConnectionClose) {
  std::string raw = "HTTP/1.1 410 Gone\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  ParsedResponse r;
  size_t used = 0;
  ASSERT_EQ(ParseResponse(raw, r, used), ParseState::kDone);
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(r.body, "abcde");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(used, raw.size());
}

TEST(HttpWireTest, ReadsRetryAfterSecondsOnly) {
  ParsedResponse r;
  size_t used = 0;
  std::string shed = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(ParseResponse(shed, r, used), ParseState::kDone);
  EXPECT_EQ(r.retry_after_s, 2);
  // An HTTP date is not a number of seconds; and the next response does not inherit it.
  std::string dated =
      "HTTP/1.1 503 Service Unavailable\r\nretry-after: Fri, 27 Nov 2026 07:28:00 GMT\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(ParseResponse(dated, r, used), ParseState::kDone);
  EXPECT_EQ(r.retry_after_s, 0);
  r.retry_after_s = 5;
  ASSERT_EQ(ParseResponse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", r, used), ParseState::kDone);
  EXPECT_EQ(r.retry_after_s, 0);
}

TEST(HttpWireTest, RejectsGarbage) {
  ParsedResponse r;
  size_t used = 0;
  EXPECT_EQ(ParseResponse("SSH-2.0-OpenSSH\r\n\r\n", r, used), ParseState::kBad);
  EXPECT_EQ(ParseResponse("HTTP/1.1 200 OK\r\n\r\n", r, used), ParseState::kBad);  // no length
}

TEST(HttpWireTest, RendersRequestAndUrl) {
  std::string req = RenderRequest("POST", "/p", "127.0.0.1:80", {"Authorization: Bearer t"}, "");
  EXPECT_EQ(req, "POST /p HTTP/1.1\r\nHost: 127.0.0.1:80\r\nAuthorization: Bearer t\r\nContent-Length: 0\r\n\r\n");
  Url u;
  ASSERT_TRUE(ParseUrl("http://127.0.0.1:8080/api/v1/x?y=1", u));
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/api/v1/x?y=1");
  EXPECT_FALSE(ParseUrl("https://127.0.0.1/", u));
  EXPECT_FALSE(ParseUrl("http://127.0.0.1:99999/", u));
}

}  // namespace
}  // namespace stampede
