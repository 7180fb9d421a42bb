#include "order/order_store.h"

#include <gtest/gtest.h>

namespace minishop::order {
namespace {

TEST(TextArrayTest, QuotesEveryElementAndEscapesQuotesAndBackslashes) {
  EXPECT_EQ(TextArray({}), "{}");
  EXPECT_EQ(TextArray({"a"}), R"({"a"})");
  EXPECT_EQ(TextArray({"a,b", "", "NULL", R"(q"b\s)"}), R"({"a,b","","NULL","q\"b\\s"})");
}

}  // namespace
}  // namespace minishop::order
