#include "infra/pg/connection.h"

#include <gtest/gtest.h>

namespace minishop::pg {
namespace {

TEST(CodeForSqlStateTest, MapsConstraintViolationsToCallerErrors) {
  EXPECT_EQ(CodeForSqlState("23505"), Code::kConflict);
  EXPECT_EQ(CodeForSqlState("23514"), Code::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("23503"), Code::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("22P02"), Code::kInvalidArgument);
}

TEST(CodeForSqlStateTest, MapsRetryableServerStatesToUnavailable) {
  EXPECT_EQ(CodeForSqlState("08006"), Code::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57P01"), Code::kUnavailable);
  EXPECT_EQ(CodeForSqlState("40001"), Code::kUnavailable);
  EXPECT_EQ(CodeForSqlState("40P01"), Code::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57014"), Code::kDeadlineExceeded);
}

TEST(CodeForSqlStateTest, MapsEverythingElseToInternal) {
  EXPECT_EQ(CodeForSqlState("42P01"), Code::kInternal);
  EXPECT_EQ(CodeForSqlState(""), Code::kInternal);
}

TEST(ConnectionTest, OpenReportsUnreachableServerAsUnavailable) {
  auto conn = Connection::Open("host=127.0.0.1 port=1 connect_timeout=2");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.code(), Code::kUnavailable);
  EXPECT_NE(conn.error().message.find("connect"), std::string::npos);
}

}  // namespace
}  // namespace minishop::pg
