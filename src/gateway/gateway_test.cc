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
  EXPECT_EQ(ParseJsonBody(WithBody("{\"a\":")).code(), Code::kBadRequest);
  EXPECT_EQ(ParseJsonBody(WithBody("[1,2]")).code(), Code::kBadRequest);
  EXPECT_EQ(ParseJsonBody(WithBody("{}", "text/plain")).code(), Code::kUnsupportedMediaType);
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
