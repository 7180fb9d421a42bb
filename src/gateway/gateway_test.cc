#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <set>

namespace minishop::gateway {
namespace {
namespace http = net::http;

const Gateway::Routes& Routes() { return Gateway::RouteTable(); }

TEST(GatewayRoutesTest, EveryAdminRouteNeedsTheAdminRole) {
  int admin_routes = 0;
  for (const auto& r : Routes().routes()) {
    if (r.pattern.starts_with("/api/v1/admin/")) {
      ++admin_routes;
      EXPECT_EQ(r.access, net::Access::kAdmin) << r.pattern;
    } else {
      EXPECT_NE(r.access, net::Access::kAdmin) << r.pattern;
    }
  }
  EXPECT_EQ(admin_routes, 4);
}

TEST(GatewayRoutesTest, EverythingAboutAShopperNeedsTheirToken) {
  for (const auto& r : Routes().routes()) {
    const bool shopper = r.pattern.starts_with("/api/v1/orders") ||
                         r.pattern.ends_with("/purchase") || r.pattern.ends_with("/order");
    if (shopper) {
      EXPECT_EQ(r.access, net::Access::kUser) << r.pattern;
    }
  }
}

TEST(GatewayRoutesTest, OnlyAuthTimeAndTheCatalogAreOpen) {
  std::set<std::string> open;
  for (const auto& r : Routes().routes()) {
    if (r.access == net::Access::kAnyone) open.insert(r.pattern);
  }
  EXPECT_EQ(open, (std::set<std::string>{"/api/v1/time", "/api/v1/auth/register",
                                         "/api/v1/auth/login", "/api/v1/sales",
                                         "/api/v1/sales/{id}"}));
}

TEST(GatewayRoutesTest, NoRouteIsInternalOrServedTwice) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : Routes().routes()) {
    EXPECT_TRUE(r.pattern.starts_with("/api/v1/")) << r.pattern;
    EXPECT_NE(r.access, net::Access::kService) << r.pattern;
    EXPECT_TRUE(seen.emplace(std::string(http::to_string(r.method)), r.pattern).second)
        << r.pattern;
  }
}

TEST(GatewayRoutesTest, MatchesIdsAndTellsWhichMethodsAPathHas) {
  auto m = Routes().Find(http::verb::post, net::SplitPath("/api/v1/sales/42/purchase"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.ids[0], 42);
  auto wrong = Routes().Find(http::verb::get, net::SplitPath("/api/v1/sales/42/purchase"));
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_TRUE(wrong.path_known);
  EXPECT_EQ(wrong.allow, "POST");
  auto bad_id = Routes().Find(http::verb::get, net::SplitPath("/api/v1/sales/x"));
  EXPECT_EQ(bad_id.route, nullptr);
  EXPECT_FALSE(bad_id.path_known);
}

}  // namespace
}  // namespace minishop::gateway
