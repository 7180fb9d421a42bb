#include "infra/pg/migrate.h"

#include <gtest/gtest.h>

namespace minishop::pg {
namespace {

TEST(OrderMigrationsTest, SortsByNumericVersionNotByName) {
  auto m = OrderMigrations({{"0010_ten.sql", "B"}, {"2_two.sql", "A"}, {"0001_init.sql", "C"}});
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].version, 1);
  EXPECT_EQ((*m)[1].version, 2);
  EXPECT_EQ((*m)[2].version, 10);
  EXPECT_EQ((*m)[2].name, "0010_ten.sql");
  EXPECT_EQ((*m)[2].sql, "B");
}

TEST(OrderMigrationsTest, RejectsDuplicateVersions) {
  auto m = OrderMigrations({{"0001_a.sql", ""}, {"1_b.sql", ""}});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.code(), Code::kInternal);
}

TEST(OrderMigrationsTest, RejectsNamesWithoutVersion) {
  EXPECT_FALSE(OrderMigrations({{"init.sql", ""}}).ok());
  EXPECT_FALSE(OrderMigrations({{"0001init.sql", ""}}).ok());
  EXPECT_FALSE(OrderMigrations({{"0001", ""}}).ok());
}

TEST(EmbeddedMigrationsTest, HoldTheInitialSchemaInOrder) {
  auto m = OrderMigrations(EmbeddedMigrationFiles());
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_FALSE(m->empty());
  EXPECT_EQ(m->front().version, 1);
  EXPECT_NE(m->front().sql.find("CREATE TABLE orders"), std::string::npos);
}

}  // namespace
}  // namespace minishop::pg
