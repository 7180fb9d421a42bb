// PaymentProvider: what MiniShop needs from a payment service — charge an order's amount,
// refund a charge — as coroutines on the calling event loop. SimulatedPaymentProvider
// stands in for a real one: it answers after payment.latency_ms and declines
// payment.failure_percent of the charges. One instance per event loop; call it only from
// that loop.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "common/config.h"
#include "common/result.h"

namespace minishop::order {

struct ChargeRequest {
  int64_t order_id = 0;
  int64_t user_id = 0;
  int64_t amount_cents = 0;
  std::string idempotency_key;  // a real provider deduplicates retried charges by it
};

struct ChargeResult {
  bool approved = false;
  std::string reference;       // the provider's id of the charge (when approved)
  std::string decline_reason;  // when not approved
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  // Charges the amount. A decline is a value (approved = false); kUnavailable/kDeadlineExceeded
  // when the provider cannot be reached (the outcome is then unknown to the caller).
  virtual boost::asio::awaitable<Result<ChargeResult>> Charge(const ChargeRequest& request) = 0;
  // Gives back a charge that could not be applied (the order closed meanwhile).
  virtual boost::asio::awaitable<Status> Refund(const std::string& reference) = 0;
};

class SimulatedPaymentProvider final : public PaymentProvider {
 public:
  SimulatedPaymentProvider(boost::asio::any_io_executor executor, const PaymentConfig& config);
  boost::asio::awaitable<Result<ChargeResult>> Charge(const ChargeRequest& request) override;
  boost::asio::awaitable<Status> Refund(const std::string& reference) override;

 private:
  boost::asio::awaitable<void> Delay();
  boost::asio::any_io_executor executor_;
  const PaymentConfig config_;
  std::mt19937_64 rng_;
};

// The provider this build uses (the simulated one), bound to `executor`'s loop.
std::unique_ptr<PaymentProvider> MakePaymentProvider(boost::asio::any_io_executor executor,
                                                     const PaymentConfig& config);

}  // namespace minishop::order
