// SeckillClient: SeckillApi over the internal API of seckill instances elsewhere
// (seckill/seckill_endpoints.h), load-balanced by a net::Upstream. It keeps a sold-out flag
// of its own, learnt from the answers, so that after a sell-out the gateway answers 410
// without a hop, as the local service does without a Redis call.
//
// One per event loop; call only from that loop.
#pragma once

#include <memory>

#include "common/metrics.h"
#include "net/upstream.h"
#include "seckill/seckill_api.h"
#include "seckill/sold_out_flags.h"

namespace minishop::seckill {

class SeckillClient final : public SeckillApi {
 public:
  SeckillClient(std::shared_ptr<net::Upstream> upstream, MetricsRegistry& metrics);

  std::optional<Error> QuickAnswer(int64_t sale_id, int64_t quantity) override;
  boost::asio::awaitable<Result<Admission>> Purchase(PurchaseRequest request) override;
  boost::asio::awaitable<Result<ReservationStatus>> Status(int64_t sale_id,
                                                           int64_t user_id) override;

 private:
  std::shared_ptr<net::Upstream> upstream_;
  SoldOutFlags sold_out_{500};
  Counter& rejected_locally_;
};

}  // namespace minishop::seckill
