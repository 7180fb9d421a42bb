#include "infra/amqp/connection.h"

#include <gtest/gtest.h>

#include "infra/amqp/consumer.h"
#include "infra/amqp/publisher.h"

namespace minishop::amqp {
namespace {

TEST(AmqpOptionsTest, TakeEverySettingFromConfig) {
  AmqpConfig c;
  c.host = "mq";
  c.port = 5673;
  c.vhost = "/shop";
  c.queue = "q";
  c.exchange = "x";
  c.dead_letter_exchange = "dlx";
  c.dead_letter_queue = "dlq";
  ConnectOptions o = ConnectOptions::FromConfig(c);
  EXPECT_EQ(o.host, "mq");
  EXPECT_EQ(o.port, 5673);
  EXPECT_EQ(o.vhost, "/shop");
  Topology t = Topology::FromConfig(c);
  EXPECT_EQ(t.exchange, "x");
  EXPECT_EQ(t.queue, "q");
  EXPECT_EQ(t.dead_letter_exchange, "dlx");
  EXPECT_EQ(t.dead_letter_queue, "dlq");
}

TEST(AmqpOptionsTest, FindHeaderReturnsFirstMatchOrEmpty) {
  Headers h = {{"traceparent", "00-abc"}, {"x", "1"}, {"x", "2"}};
  EXPECT_EQ(FindHeader(h, "traceparent"), "00-abc");
  EXPECT_EQ(FindHeader(h, "x"), "1");
  EXPECT_EQ(FindHeader(h, "missing"), "");
}

TEST(AmqpConnectTest, UnreachableBrokerIsUnavailable) {
  ConnectOptions o;
  o.port = 1;
  o.timeout = std::chrono::milliseconds(500);
  Topology t{"x", "q", "dlx", "dlq"};
  EXPECT_EQ(Publisher::Open(o, t).code(), Code::kUnavailable);
  EXPECT_EQ(Consumer::Open(o, t, "q", 10).code(), Code::kUnavailable);
  EXPECT_EQ(DeclareTopology(o, t).code(), Code::kUnavailable);
}

}  // namespace
}  // namespace minishop::amqp
