// The stampede tool end to end against a real MiniShop (the shared test harness): a tiny
// run must pass its own invariant checks, and after one order row is tampered with the
// checker must fail. Asserts behaviour only, never timing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "harness/servers.h"
#include "integration/minishop_system.h"

namespace minishop::testing {
namespace {
namespace fs = std::filesystem;

// The credentials MiniShopSystem gives its server (tests/integration/minishop_system.cc).
constexpr const char* kAdminEmail = "admin@test.local";
constexpr const char* kAdminPassword = "admin-password-for-tests";
constexpr const char* kJwtSecret = "integration-test-secret-0123456789abcdef";

int Shell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

TEST(StampedeToolTest, TinyRunPassesAndATamperedOrderIsDetected) {
  const std::string name = "stampede_tool";
  auto sys = MiniShopSystem::Start(name);
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  const std::string dir = ::testing::TempDir() + "stampede-tool-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string conninfo = SharedPostgres().ConnInfo(name);

  // Bulk provisioning writes working tokens.
  const std::string tokens = dir + "/tokens.txt";
  ASSERT_EQ(Shell("MINISHOP_POSTGRES_CONNINFO=" + Quote(conninfo) + " MINISHOP_AUTH_JWT_SECRET=" +
                  Quote(kJwtSecret) + " " + MINISHOP_BINARY + " users provision --count 300 --prefix tool --out " +
                  Quote(tokens) + " >" + dir + "/provision.log 2>&1"),
            0);
  std::ifstream in(tokens);
  int64_t id = 0;
  std::string token;
  ASSERT_TRUE(in >> id >> token);
  EXPECT_EQ(s.Call(net::http::verb::get, "/api/v1/orders", "", token).status, 200);

  const std::string common = " --url http://127.0.0.1:" +
                             std::to_string(s.port()) + " --admin-email " + kAdminEmail + " --pg " +
                             Quote(conninfo) + " --settle-timeout 20";
  ASSERT_EQ(Shell("STAMPEDE_ADMIN_PASSWORD=" + Quote(kAdminPassword) + " " +
                  std::string(STAMPEDE_BINARY) + " run --url http://127.0.0.1:" + std::to_string(s.port()) +
                  " --admin-email " + kAdminEmail + " --pg " + Quote(conninfo) +
                  " --tokens " + Quote(tokens) + " --stock 100 --connections 20 --duration 1 --quiet" +
                  " --scenarios ceiling,purchase,soldout,instock --out " + Quote(dir) + " >" + dir +
                  "/run.log 2>&1"),
            0)
      << "see " << dir << "/run.log";

  nlohmann::json result;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".json") result = nlohmann::json::parse(std::ifstream(entry.path()));
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(result["invariants_ok"], true);
  int64_t sale = 0;
  for (const auto& phase : result["phases"]) {
    if (phase["name"] == "purchase") {
      sale = phase["sale_id"].get<int64_t>();
      EXPECT_EQ(phase["status"]["202"], 100) << phase.dump();
    }
  }
  ASSERT_GT(sale, 0);
  // The ceiling is measured before and after the scenarios; the ratios use their mean.
  ASSERT_EQ(result["ceiling_rates"].size(), 2u) << result.dump();
  EXPECT_DOUBLE_EQ(result["ceiling_rate"].get<double>(),
                   (result["ceiling_rates"][0].get<double>() + result["ceiling_rates"][1].get<double>()) / 2);

  // One buyer now holds two orders: I2 is broken and the checker must say so.
  const std::string check = "STAMPEDE_ADMIN_PASSWORD=" + Quote(kAdminPassword) + " " +
                            STAMPEDE_BINARY + " check" + common + " --sale " + std::to_string(sale);
  ASSERT_EQ(Shell(check + " >" + dir + "/check-ok.log 2>&1"), 0);
  auto tampered = s.db().Exec(
      "UPDATE orders SET user_id = (SELECT min(user_id) FROM orders WHERE sale_id = $1) "
      "WHERE id = (SELECT max(id) FROM orders WHERE sale_id = $1)",
      {std::to_string(sale)});
  ASSERT_TRUE(tampered.ok()) << tampered.error().message;
  EXPECT_EQ(Shell(check + " >" + dir + "/check-tampered.log 2>&1"), 3) << "see " << dir;
}

}  // namespace
}  // namespace minishop::testing
