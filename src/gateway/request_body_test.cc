#include "gateway/request_body.h"

#include <gtest/gtest.h>

#include "gateway/http_errors.h"

namespace minishop::gateway {
namespace {

net::Request WithBody(std::string body, std::string content_type = "application/json") {
  net::Request r;
  r.message.body() = std::move(body);
  if (!content_type.empty()) r.message.set(net::http::field::content_type, content_type);
  return r;
}

TEST(ParseJsonBodyTest, AcceptsObjectsAndEmptyBody) {
  EXPECT_TRUE(ParseJsonBody(WithBody("{\"a\":1}")).ok());
  auto empty = ParseJsonBody(WithBody(""));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->is_object());
  EXPECT_TRUE(ParseJsonBody(WithBody("{}", "application/json; charset=utf-8")).ok());
  EXPECT_TRUE(ParseJsonBody(WithBody("{}", "")).ok());
}

TEST(ParseJsonBodyTest, RejectsMalformedAndNonObjects) {
  EXPECT_TRUE(ParseJsonBody(WithBody("{\"a\":")).Is(kInvalidJson));
  EXPECT_TRUE(ParseJsonBody(WithBody("[1,2]")).Is(kInvalidJson));
  EXPECT_TRUE(ParseJsonBody(WithBody("\xff")).Is(kInvalidJson));
  EXPECT_TRUE(ParseJsonBody(WithBody("{\"a\":\"\xc3\"}")).Is(kInvalidJson));
  EXPECT_TRUE(ParseJsonBody(WithBody("{}", "text/plain")).Is(kUnsupportedMediaType));
}

// RFC 7493 §2.3: a body with a duplicate key means different things to different readers.
TEST(ParseJsonBodyTest, RejectsDuplicateKeysAtAnyDepth) {
  for (const char* body : {R"({"quantity":1,"quantity":5})", R"({"a":{"b":1,"b":1}})",
                           R"({"a":[{"x":1},{"y":2,"y":3}]})", R"({"a":1,"\u0061":2})"}) {
    Result<nlohmann::json> r = ParseJsonBody(WithBody(body));
    EXPECT_TRUE(r.Is(kInvalidJson)) << body;
  }
  // The same key in sibling objects is no duplicate.
  EXPECT_TRUE(ParseJsonBody(WithBody(R"({"a":{"k":1},"b":{"k":2},"c":[{"k":3},{"k":4}]})")).ok());
}

TEST(ParseJsonBodyTest, RejectsStringsHoldingNul) {
  EXPECT_TRUE(ParseJsonBody(WithBody(R"({"email":"a\u0000b"})")).Is(kInvalidJson));
  EXPECT_TRUE(ParseJsonBody(WithBody(R"({"a\u0000":1})")).Is(kInvalidJson));
  EXPECT_TRUE(ParseJsonBody(WithBody(R"({"a":["\u0000"]})")).Is(kInvalidJson));
}

TEST(ParseJsonBodyTest, ContentTypeMustBeJsonItselfNotMerelyMentionIt) {
  for (const char* ok : {"application/json", "Application/JSON", "application/json; charset=utf-8",
                         " application/json ;charset=UTF-8"}) {
    EXPECT_TRUE(ParseJsonBody(WithBody("{}", ok)).ok()) << ok;
  }
  for (const char* bad : {"text/plain; q=application/json", "application/jsonx",
                          "application/json-patch+json", "multipart/form-data"}) {
    EXPECT_TRUE(ParseJsonBody(WithBody("{}", bad)).Is(kUnsupportedMediaType)) << bad;
  }
}

}  // namespace
}  // namespace minishop::gateway
