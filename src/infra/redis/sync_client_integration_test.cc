// SyncClient against a real Redis: replies, pipelines, error replies, reconnection.
#include <gtest/gtest.h>

#include "harness/servers.h"
#include "infra/redis/sync_client.h"

namespace minishop::redis {
namespace {

using testing::SharedRedis;

TEST(SyncClientIntegrationTest, CommandReturnsTypedReplies) {
  SyncClient c("127.0.0.1", SharedRedis().port(), std::chrono::milliseconds(2000));
  auto set = c.Command({"SET", "sync:k", std::string("a\0b", 3)});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->type, Reply::Type::kStatus);
  auto get = c.Command({"GET", "sync:k"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->str, std::string("a\0b", 3));
  auto missing = c.Command({"GET", "sync:missing"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());
}

TEST(SyncClientIntegrationTest, ErrorRepliesAreReturnedOrFailedOnRequest) {
  SyncClient c("127.0.0.1", SharedRedis().port(), std::chrono::milliseconds(2000));
  auto returned = c.Command({"NOSUCHCOMMAND"});
  ASSERT_TRUE(returned.ok());
  EXPECT_TRUE(returned->is_error());
  auto failed = c.Command({"NOSUCHCOMMAND"}, SyncClient::ErrorReplies::kFail);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), Code::kInternal);
  EXPECT_TRUE(c.Command({"PING"}).ok());  // the connection is still usable
}

TEST(SyncClientIntegrationTest, PipelineAnswersEveryCommandInOrder) {
  SyncClient c("127.0.0.1", SharedRedis().port(), std::chrono::milliseconds(2000));
  std::vector<std::vector<std::string>> cmds = {{"DEL", "sync:n"}};
  for (int i = 0; i < 1000; ++i) cmds.push_back({"INCR", "sync:n"});
  auto replies = c.Pipeline(cmds);
  ASSERT_TRUE(replies.ok()) << replies.error().message;
  ASSERT_EQ(replies->size(), 1001u);
  for (int i = 1; i <= 1000; ++i) EXPECT_EQ((*replies)[i].integer, i);
}

TEST(SyncClientIntegrationTest, ReconnectsOnTheNextCallAfterARestart) {
  SyncClient c("127.0.0.1", SharedRedis().port(), std::chrono::milliseconds(2000));
  ASSERT_TRUE(c.Command({"PING"}).ok());
  ASSERT_TRUE(SharedRedis().Restart().ok());
  auto during = c.Command({"PING"});
  if (!during.ok()) {
    EXPECT_EQ(during.code(), Code::kUnavailable);
  }
  auto after = c.Command({"PING"});
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->str, "PONG");
}

}  // namespace
}  // namespace minishop::redis
