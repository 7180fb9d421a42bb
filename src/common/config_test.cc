#include "common/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace minishop {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/minishop-config-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsWithoutFile) {
  auto c = LoadConfig("", {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_FALSE(c->instance_id.empty());
}

TEST(ConfigTest, FileOverridesDefaults) {
  auto path = WriteTemp("[server]\nport = 9001\nthreads = 3\n[redis]\nhost = \"10.0.0.1\"\n");
  auto c = LoadConfig(path, {});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.port, 9001);
  EXPECT_EQ(c->server.threads, 3);
  EXPECT_EQ(c->redis.host, "10.0.0.1");
  std::remove(path.c_str());
}

TEST(ConfigTest, EnvironmentOverridesFile) {
  auto path = WriteTemp("[server]\nport = 9001\n");
  auto c = LoadConfig(path, {{"MINISHOP_SERVER_PORT", "9002"}, {"MINISHOP_INSTANCE_ID", "a1"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.port, 9002);
  EXPECT_EQ(c->instance_id, "a1");
  std::remove(path.c_str());
}

TEST(ConfigTest, RejectsUnknownKey) {
  auto path = WriteTemp("[server]\nprot = 9001\n");
  auto c = LoadConfig(path, {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Code::kInvalidArgument);
  EXPECT_NE(c.error().message.find("server.prot"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ConfigTest, RejectsWrongType) {
  auto path = WriteTemp("[server]\nport = \"eighty\"\n");
  auto c = LoadConfig(path, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("wrong type"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ConfigTest, RejectsBadEnvironmentNumber) {
  auto c = LoadConfig("", {{"MINISHOP_SERVER_PORT", "80x"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("MINISHOP_SERVER_PORT"), std::string::npos);
}

TEST(ConfigTest, RejectsShortJwtSecret) {
  auto c = LoadConfig("", {{"MINISHOP_AUTH_JWT_SECRET", "short"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.code(), Code::kInvalidArgument);
}

TEST(ConfigTest, RejectsMalformedToml) {
  auto path = WriteTemp("[server\nport = 1\n");
  auto c = LoadConfig(path, {});
  ASSERT_FALSE(c.ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace minishop
