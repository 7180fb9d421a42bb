// SyncClient against a real Redis: replies, pipelines, error replies, reconnection, and
// scripts run through it after Redis forgot them.
#include <gtest/gtest.h>

#include <map>

#include "harness/servers.h"
#include "infra/redis/script_runner.h"
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

TEST(SyncClientIntegrationTest, HashEntriesReadsEveryFieldInPages) {
  SyncClient c("127.0.0.1", SharedRedis().port(), std::chrono::milliseconds(2000));
  std::vector<std::vector<std::string>> cmds = {{"DEL", "sync:h", "sync:small"},
                                                {"HSET", "sync:small", "only", "1"}};
  for (int i = 0; i < 5000; ++i) cmds.push_back({"HSET", "sync:h", "f" + std::to_string(i), std::to_string(i)});
  ASSERT_TRUE(c.Pipeline(cmds, SyncClient::ErrorReplies::kFail).ok());
  auto all = c.HashEntries("sync:h");  // a hash table: several HSCAN pages
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::map<std::string, std::string> seen;
  for (const HashField& f : *all) seen[f.field] = f.value;
  ASSERT_EQ(seen.size(), 5000u);
  EXPECT_EQ(seen["f0"], "0");
  EXPECT_EQ(seen["f4999"], "4999");
  auto small = c.HashEntries("sync:small");  // a listpack: one page
  ASSERT_TRUE(small.ok());
  ASSERT_EQ(small->size(), 1u);
  EXPECT_EQ(small->front().value, "1");
  auto none = c.HashEntries("sync:absent");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(c.Command({"SET", "sync:k", "x"}).ok());
  EXPECT_EQ(c.HashEntries("sync:k").code(), Code::kInternal);  // WRONGTYPE
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

TEST(SyncClientIntegrationTest, ScriptsRunInOnePipelineEvenAfterAScriptFlush) {
  SyncClient c("127.0.0.1", SharedRedis().port(), std::chrono::milliseconds(2000));
  const Script incr("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  ASSERT_TRUE(c.Command({"DEL", "sync:script"}).ok());
  ASSERT_TRUE(c.Command({"SCRIPT", "FLUSH"}).ok());
  std::vector<ScriptCall> calls;
  for (int i = 1; i <= 3; ++i) calls.push_back({{"sync:script"}, {std::to_string(i)}});
  auto replies = EvalScriptEach(c, incr, calls);  // NOSCRIPT for each: re-sent as EVAL
  ASSERT_TRUE(replies.ok()) << replies.error().message;
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].integer, 1);
  EXPECT_EQ((*replies)[2].integer, 6);
  auto again = EvalScriptEach(c, incr, calls);  // cached now
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[2].integer, 12);
  const Script broken("return redis.call('NOSUCHCOMMAND')");
  EXPECT_EQ(EvalScriptEach(c, broken, calls).code(), Code::kInternal);
}

}  // namespace
}  // namespace minishop::redis
