// Publisher and Consumer against a real RabbitMQ: batched confirms, manual acks,
// dead-lettering, broker errors and restarts.
#include <gtest/gtest.h>

#include <set>

#include "harness/servers.h"
#include "infra/amqp/consumer.h"
#include "infra/amqp/publisher.h"

namespace minishop::amqp {
namespace {

using testing::SharedRabbit;

ConnectOptions Options() {
  ConnectOptions o;
  o.port = SharedRabbit().port();
  return o;
}

// Each test gets its own queues so that tests never see each other's messages.
Topology TopologyFor(const std::string& name) {
  return Topology{"t." + name, "t." + name + ".q", "t." + name + ".dlx", "t." + name + ".dead"};
}

Message ToQueue(const Topology& t, std::string body) {
  return Message{t.exchange, t.queue, std::move(body), {{"traceparent", "00-tp"}}};
}

// Collects `n` deliveries (or what arrives within a generous deadline); with `ack`, acks
// each received chunk so that the prefetch window keeps moving.
std::vector<Delivery> Receive(Consumer& c, size_t n, bool ack = false) {
  std::vector<Delivery> all;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (all.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto got = c.Next(n - all.size(), std::chrono::milliseconds(200));
    EXPECT_TRUE(got.ok()) << got.error().message;
    if (!got.ok()) break;
    if (ack && !got->empty()) {
      EXPECT_TRUE(c.Ack(got->back().tag, /*multiple=*/true).ok());
    }
    for (auto& d : *got) all.push_back(std::move(d));
  }
  return all;
}

TEST(AmqpIntegrationTest, ConfirmedBatchesArriveWholeAtTheConsumer) {
  Topology t = TopologyFor("confirm");
  auto pub = Publisher::Open(Options(), t);
  ASSERT_TRUE(pub.ok()) << pub.error().message;
  constexpr int kMessages = 10'000;
  for (int start = 0; start < kMessages; start += 1000) {
    std::vector<Message> batch;
    for (int i = start; i < start + 1000; ++i) batch.push_back(ToQueue(t, std::to_string(i)));
    Status s = (*pub)->PublishConfirmed(batch);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  auto consumer = Consumer::Open(Options(), t, t.queue, 500);
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  std::vector<Delivery> got = Receive(**consumer, kMessages, /*ack=*/true);
  ASSERT_EQ(got.size(), static_cast<size_t>(kMessages));
  std::set<std::string> bodies;
  for (const Delivery& d : got) {
    bodies.insert(d.body);
    EXPECT_EQ(FindHeader(d.headers, "traceparent"), "00-tp");
  }
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kMessages));
  auto more = (*consumer)->Next(1, std::chrono::milliseconds(300));
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
}

TEST(AmqpIntegrationTest, UnackedMessagesAreRedelivered) {
  Topology t = TopologyFor("redeliver");
  auto pub = Publisher::Open(Options(), t);
  ASSERT_TRUE(pub.ok());
  ASSERT_TRUE((*pub)->PublishConfirmed({ToQueue(t, "a"), ToQueue(t, "b")}).ok());
  {
    auto c = Consumer::Open(Options(), t, t.queue, 10);
    ASSERT_TRUE(c.ok());
    auto got = Receive(**c, 2);
    ASSERT_EQ(got.size(), 2u);
    ASSERT_TRUE((*c)->Ack(got[0].tag, false).ok());
  }  // closed with "b" unacked
  auto c = Consumer::Open(Options(), t, t.queue, 10);
  ASSERT_TRUE(c.ok());
  auto again = Receive(**c, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].body, "b");
  EXPECT_TRUE(again[0].redelivered);
}

TEST(AmqpIntegrationTest, RejectedMessagesGoToTheDeadLetterQueue) {
  Topology t = TopologyFor("reject");
  auto pub = Publisher::Open(Options(), t);
  ASSERT_TRUE(pub.ok());
  ASSERT_TRUE((*pub)->PublishConfirmed({ToQueue(t, "good"), ToQueue(t, "poison")}).ok());
  auto c = Consumer::Open(Options(), t, t.queue, 10);
  ASSERT_TRUE(c.ok());
  auto got = Receive(**c, 2);
  ASSERT_EQ(got.size(), 2u);
  ASSERT_TRUE((*c)->Reject(got[1].tag).ok());
  ASSERT_TRUE((*c)->Ack(got[0].tag, false).ok());

  auto dead = Consumer::Open(Options(), t, t.dead_letter_queue, 10);
  ASSERT_TRUE(dead.ok());
  auto dl = Receive(**dead, 1);
  ASSERT_EQ(dl.size(), 1u);
  EXPECT_EQ(dl[0].body, "poison");
  EXPECT_EQ(FindHeader(dl[0].headers, "traceparent"), "00-tp");
}

TEST(AmqpIntegrationTest, UnroutableMessageFailsTheBatch) {
  Topology t = TopologyFor("unroutable");
  auto pub = Publisher::Open(Options(), t);
  ASSERT_TRUE(pub.ok());
  Status s = (*pub)->PublishConfirmed({Message{t.exchange, "no-such-binding", "x", {}}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.error().message.find("unroutable"), std::string::npos);
  EXPECT_TRUE((*pub)->PublishConfirmed({ToQueue(t, "fine")}).ok());  // still usable
}

TEST(AmqpIntegrationTest, UnknownExchangeBreaksThePublisher) {
  Topology t = TopologyFor("noexchange");
  auto pub = Publisher::Open(Options(), t);
  ASSERT_TRUE(pub.ok());
  Status s = (*pub)->PublishConfirmed({Message{"no-such-exchange", "q", "x", {}}});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE((*pub)->broken());
  EXPECT_EQ((*pub)->PublishConfirmed({ToQueue(t, "x")}).code(), Code::kUnavailable);
}

TEST(AmqpIntegrationTest, ConfirmedMessagesSurviveABrokerRestart) {
  Topology t = TopologyFor("restart");
  auto pub = Publisher::Open(Options(), t);
  ASSERT_TRUE(pub.ok());
  ASSERT_TRUE((*pub)->PublishConfirmed({ToQueue(t, "kept")}).ok());
  ASSERT_TRUE(SharedRabbit().Restart().ok());

  Status after = (*pub)->Poll();
  if (after.ok()) after = (*pub)->PublishConfirmed({ToQueue(t, "lost?")});
  EXPECT_FALSE(after.ok());  // the old connection is gone
  EXPECT_EQ((*pub)->PublishConfirmed({}).code(), Code::kUnavailable);

  auto fresh = Publisher::Open(Options(), t);
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  ASSERT_TRUE((*fresh)->PublishConfirmed({ToQueue(t, "new")}).ok());
  auto c = Consumer::Open(Options(), t, t.queue, 10);
  ASSERT_TRUE(c.ok());
  auto got = Receive(**c, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].body, "kept");
  EXPECT_EQ(got[1].body, "new");
}

}  // namespace
}  // namespace minishop::amqp
