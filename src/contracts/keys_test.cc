#include "contracts/keys.h"

#include <gtest/gtest.h>

#include "contracts/sale_scripts.h"

namespace minishop::contracts {
namespace {

TEST(KeysTest, EveryKeyOfASaleSharesItsHashTag) {
  for (const std::string& key :
       {MetaKey(42), StockKey(42), BuyersKey(42), StatusKey(42), OutboxKey(42), ReturnedKey(42)}) {
    EXPECT_EQ(key.rfind("ms:{s42}:", 0), 0u) << key;
  }
}

TEST(KeysTest, SaleOfOutboxKeyReadsBackTheSaleOfAnOutboxKey) {
  EXPECT_EQ(SaleOfOutboxKey(OutboxKey(7)), 7);
  EXPECT_EQ(SaleOfOutboxKey(OutboxKey(9'000'000'000)), 9'000'000'000);
  EXPECT_EQ(SaleOfOutboxKey(StatusKey(7)), std::nullopt);
  EXPECT_EQ(SaleOfOutboxKey("ms:{s}:outbox"), std::nullopt);
  EXPECT_EQ(SaleOfOutboxKey("ms:{s7x}:outbox"), std::nullopt);
  EXPECT_EQ(SaleOfOutboxKey("ms:{s7:outbox"), std::nullopt);
  EXPECT_EQ(SaleOfOutboxKey("ms:sales"), std::nullopt);
}

TEST(KeysTest, LedgerKeysAreInTheOrderTheScriptsIndexThem) {
  const std::vector<std::string> want = {StockKey(7), BuyersKey(7), StatusKey(7), ReturnedKey(7),
                                         MetaKey(7)};
  EXPECT_EQ(LedgerKeys(7), want);
}

}  // namespace
}  // namespace minishop::contracts
