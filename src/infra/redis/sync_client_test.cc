#include "infra/redis/sync_client.h"

#include <gtest/gtest.h>

namespace minishop::redis {
namespace {

TEST(SyncClientTest, ReportsUnreachableServerAsUnavailable) {
  SyncClient client("127.0.0.1", 1, std::chrono::milliseconds(500));
  EXPECT_EQ(client.Connect().code(), Code::kUnavailable);
  auto reply = client.Command({"PING"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.code(), Code::kUnavailable);
  EXPECT_FALSE(client.connected());
}

TEST(SyncClientTest, EmptyPipelineNeedsAConnectionButSendsNothing) {
  SyncClient client("127.0.0.1", 1, std::chrono::milliseconds(500));
  EXPECT_EQ(client.Pipeline({}).code(), Code::kUnavailable);
}

}  // namespace
}  // namespace minishop::redis
