#include "net/router.h"

#include <gtest/gtest.h>

namespace minishop::net {
namespace {
namespace http = boost::beast::http;

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

TEST(QueryIdTest, FindsANamedPositiveId) {
  EXPECT_EQ(QueryId("/p?user=7&quantity=2", "user"), 7);
  EXPECT_EQ(QueryId("/p?user=7&quantity=2", "quantity"), 2);
  EXPECT_EQ(QueryId("/p?xuser=7", "user"), std::nullopt);
  EXPECT_EQ(QueryId("/p?user=-1", "user"), std::nullopt);
  EXPECT_EQ(QueryId("/p?user=", "user"), std::nullopt);
  EXPECT_EQ(QueryId("/p", "user"), std::nullopt);
}

TEST(RouterTest, MatchesLiteralsAndIdsAndListsOtherMethods) {
  Router<int> router;
  router.Add(http::verb::get, "/a/{id}", Access::kAnyone, "a", 1);
  router.Add(http::verb::post, "/a/{id}", Access::kUser, "a", 2);
  router.Add(http::verb::get, "/a/{id}/b/{id}", Access::kAnyone, "a", 3);
  auto get = router.Find(http::verb::get, SplitPath("/a/5"));
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(get.route->handler, 1);
  EXPECT_EQ(get.ids[0], 5);
  auto two = router.Find(http::verb::get, SplitPath("/a/5/b/6?x=1"));
  ASSERT_NE(two.route, nullptr);
  EXPECT_EQ(two.ids[0], 5);
  EXPECT_EQ(two.ids[1], 6);
  auto del = router.Find(http::verb::delete_, SplitPath("/a/5"));
  EXPECT_EQ(del.route, nullptr);
  EXPECT_TRUE(del.path_known);
  EXPECT_EQ(del.allow, "GET, POST");
  EXPECT_FALSE(router.Find(http::verb::get, SplitPath("/a/0")).path_known);
  EXPECT_FALSE(router.Find(http::verb::get, SplitPath("/a/5/c/6")).path_known);
}

}  // namespace
}  // namespace minishop::net
