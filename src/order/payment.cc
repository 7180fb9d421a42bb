#include "order/payment.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace minishop::order {
namespace asio = boost::asio;

SimulatedPaymentProvider::SimulatedPaymentProvider(asio::any_io_executor executor,
                                                   const PaymentConfig& config)
    : executor_(std::move(executor)), config_(config), rng_(std::random_device{}()) {}

std::unique_ptr<PaymentProvider> MakePaymentProvider(asio::any_io_executor executor,
                                                     const PaymentConfig& config) {
  return std::make_unique<SimulatedPaymentProvider>(std::move(executor), config);
}

asio::awaitable<void> SimulatedPaymentProvider::Delay() {
  if (config_.latency_ms <= 0) co_return;
  asio::steady_timer timer(executor_);
  timer.expires_after(std::chrono::milliseconds(config_.latency_ms));
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;
}

asio::awaitable<Result<ChargeResult>> SimulatedPaymentProvider::Charge(
    const ChargeRequest& request) {
  co_await Delay();
  ChargeResult charge;
  if (static_cast<int>(rng_() % 100) < config_.failure_percent) {
    charge.decline_reason = "the card was declined";
    co_return charge;
  }
  charge.approved = true;
  charge.reference =
      "sim-" + std::to_string(request.order_id) + "-" + std::to_string(rng_() % 1'000'000'000);
  co_return charge;
}

asio::awaitable<Status> SimulatedPaymentProvider::Refund(const std::string&) {
  co_await Delay();
  co_return OkStatus();
}

}  // namespace minishop::order
