#include "gateway/gateway.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(ParseJsonBody(WithBody("{\"a\":")).code(), Code::kInvalidJson);
  EXPECT_EQ(ParseJsonBody(WithBody("[1,2]")).code(), Code::kInvalidJson);
  EXPECT_EQ(ParseJsonBody(WithBody("\xff")).code(), Code::kInvalidJson);
  EXPECT_EQ(ParseJsonBody(WithBody("{\"a\":\"\xc3\"}")).code(), Code::kInvalidJson);
  EXPECT_EQ(ParseJsonBody(WithBody("{}", "text/plain")).code(), Code::kUnsupportedMediaType);
}

// RFC 7493 §2.3: a body with a duplicate key means different things to different readers.
TEST(ParseJsonBodyTest, RejectsDuplicateKeysAtAnyDepth) {
  for (const char* body : {R"({"quantity":1,"quantity":5})", R"({"a":{"b":1,"b":1}})",
                           R"({"a":[{"x":1},{"y":2,"y":3}]})", R"({"a":1,"\u0061":2})"}) {
    Result<nlohmann::json> r = ParseJsonBody(WithBody(body));
    EXPECT_EQ(r.code(), Code::kInvalidJson) << body;
  }
  // The same key in sibling objects is no duplicate.
  EXPECT_TRUE(ParseJsonBody(WithBody(R"({"a":{"k":1},"b":{"k":2},"c":[{"k":3},{"k":4}]})")).ok());
}

TEST(ParseJsonBodyTest, RejectsStringsHoldingNul) {
  EXPECT_EQ(ParseJsonBody(WithBody(R"({"email":"a\u0000b"})")).code(), Code::kInvalidJson);
  EXPECT_EQ(ParseJsonBody(WithBody(R"({"a\u0000":1})")).code(), Code::kInvalidJson);
  EXPECT_EQ(ParseJsonBody(WithBody(R"({"a":["\u0000"]})")).code(), Code::kInvalidJson);
}

TEST(ParseJsonBodyTest, ContentTypeMustBeJsonItselfNotMerelyMentionIt) {
  for (const char* ok : {"application/json", "Application/JSON", "application/json; charset=utf-8",
                         " application/json ;charset=UTF-8"}) {
    EXPECT_TRUE(ParseJsonBody(WithBody("{}", ok)).ok()) << ok;
  }
  for (const char* bad : {"text/plain; q=application/json", "application/jsonx",
                          "application/json-patch+json", "multipart/form-data"}) {
    EXPECT_EQ(ParseJsonBody(WithBody("{}", bad)).code(), Code::kUnsupportedMediaType) << bad;
  }
}

TEST(ParseIdTest, AcceptsOnlyPositiveDecimals) {
  EXPECT_EQ(ParseId("42"), 42);
  EXPECT_FALSE(ParseId("0"));
  EXPECT_FALSE(ParseId("-1"));
  EXPECT_FALSE(ParseId("4x"));
  EXPECT_FALSE(ParseId(""));
  EXPECT_FALSE(ParseId("99999999999999999999"));
}

TEST(SplitPathTest, DropsQueryAndEmptySegments) {
  auto p = SplitPath("/api/v1//sales/7/?x=1");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], "api");
  EXPECT_EQ(p[3], "7");
  auto deep = SplitPath("/a/b/c/d/e/f/g/h/i/j");  // more segments than kept inline
  ASSERT_EQ(deep.size(), 10u);
  EXPECT_EQ(deep[9], "j");
}

}  // namespace
}  // namespace minishop::gateway
