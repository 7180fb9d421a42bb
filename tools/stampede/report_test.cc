#include "report.h"

#include <gtest/gtest.h>

namespace stampede {
namespace {

Phase WithStatuses(std::string name, std::map<int, uint64_t> statuses) {
  Phase p;
  p.name = std::move(name);
  p.rate = 1000;
  p.rec = std::make_shared<Recorder>(Clock::now(), 100);
  p.rec->by_status = std::move(statuses);
  return p;
}

TEST(ReportTest, OnlyReservationsCountAsServedWhileStockRemains) {
  EXPECT_DOUBLE_EQ(ServedRate(WithStatuses("instock", {{202, 900}, {503, 100}})), 900);
  // A stale token file answers 401 quickly: that is no purchase at all.
  EXPECT_DOUBLE_EQ(ServedRate(WithStatuses("instock", {{401, 1000}})), 0);
  EXPECT_DOUBLE_EQ(WantedShare(WithStatuses("instock open", {{202, 999}, {500, 1}})), 0.999);
}

TEST(ReportTest, SoldOutPhasesCountOnlySoldOutAndLimitAnswers) {
  EXPECT_DOUBLE_EQ(ServedRate(WithStatuses("soldout", {{410, 600}, {409, 200}, {404, 200}})), 800);
  EXPECT_DOUBLE_EQ(WantedShare(WithStatuses("soldout open", {{401, 10}})), 0);
  EXPECT_DOUBLE_EQ(ServedRate(WithStatuses("ceiling", {{200, 1}})), 1000);
  EXPECT_DOUBLE_EQ(WantedShare(WithStatuses("soldout", {})), 0);
}

}  // namespace
}  // namespace stampede
