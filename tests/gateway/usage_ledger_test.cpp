#include "anvil/gateway/usage_ledger.h"

#include <gtest/gtest.h>

#include <thread>

#include "testing/temp_dir.h"

namespace anvil::gateway {
namespace {

using anvil::testing::TempDir;
using namespace std::chrono_literals;

store::UsageRecord rec(const std::string& id, const std::string& key, double cost,
                       std::vector<std::string> tags = {}) {
  store::UsageRecord r;
  r.request_id = id;
  r.time_us = 1'700'000'000'000'000;
  r.key_id = key;
  r.tenant = "acme";
  r.model = "gpt";
  r.deployment = "gpt-a";
  r.operation = "chat";
  r.prompt_tokens = 10;
  r.completion_tokens = 5;
  r.cached_tokens = 2;
  r.cost_usd = cost;
  r.http_status = 200;
  r.outcome = "ok";
  r.attempts = 1;
  r.tags = std::move(tags);
  return r;
}

class UsageLedgerTest : public ::testing::Test {
 protected:
  std::unique_ptr<UsageLedger> open(UsageLedgerOptions o = {}) {
    o.database = dir_ / "anvil.db";
    o.metrics = &metrics_;
    auto l = UsageLedger::open(std::move(o));
    EXPECT_TRUE(l.ok()) << l.status().to_string();
    return l.ok() ? std::move(l).value() : nullptr;
  }

  int64_t rows() {
    auto s = store::UsageStore::open(dir_ / "anvil.db");
    EXPECT_TRUE(s.ok());
    return *s->count();
  }

  TempDir dir_;
  core::MetricsRegistry metrics_;
};

TEST_F(UsageLedgerTest, ConcurrentWritersLeaveExactlyOneRowPerRecord) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2500;
  auto ledger = open({.queue_capacity = 512, .batch_size = 128});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto s = ledger->record(rec("t" + std::to_string(t) + "-" + std::to_string(i), "k" + std::to_string(t % 3),
                                    0.125));
        ASSERT_TRUE(s.ok()) << s.to_string();
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(ledger->close().ok());
  auto st = ledger->stats();
  EXPECT_EQ(st.recorded, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(st.written, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(st.dropped, 0u);
  EXPECT_EQ(st.duplicates, 0u);
  EXPECT_EQ(rows(), kThreads * kPerThread);
  // Keys k0, k1, k2 got threads {0,3,6}, {1,4,7}, {2,5}.
  EXPECT_EQ(ledger->spent_usd("k0"), 3 * kPerThread * 0.125);
  EXPECT_EQ(ledger->spent_usd("k2"), 2 * kPerThread * 0.125);
  EXPECT_NE(metrics_.expose().find("anvil_usage_ledger_records_total 20000\n"), std::string::npos);
}

TEST_F(UsageLedgerTest, AQueueOfOneStillLosesNothing) {
  // Every record() after the first finds the queue full or nearly so and waits for the writer.
  auto ledger = open({.queue_capacity = 1, .batch_size = 64});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        ASSERT_TRUE(ledger->record(rec(std::to_string(t) + ":" + std::to_string(i), "k", 0.5)).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(ledger->close().ok());
  EXPECT_EQ(ledger->stats().written, 1200u);
  EXPECT_EQ(rows(), 1200);
}

TEST_F(UsageLedgerTest, CloseFlushesWhatIsQueued) {
  // The writer would wait an hour for a fuller batch; closing must not.
  auto ledger = open({.batch_size = 100000, .flush_interval = std::chrono::hours(1)});
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(ledger->record(rec("r" + std::to_string(i), "k", 0.25)).ok());
  ledger.reset();
  EXPECT_EQ(rows(), 100);
}

TEST_F(UsageLedgerTest, FlushCommitsEverythingRecordedBefore) {
  auto ledger = open({.batch_size = 100000, .flush_interval = std::chrono::hours(1)});
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ledger->record(rec("r" + std::to_string(i), "k", 0.25)).ok());
  ASSERT_TRUE(ledger->flush().ok());
  EXPECT_EQ(rows(), 10);
  ASSERT_TRUE(ledger->flush().ok());  // nothing queued: returns at once
  ASSERT_TRUE(ledger->record(rec("r0", "k", 0.25)).ok());
  ASSERT_TRUE(ledger->flush().ok());
  EXPECT_EQ(rows(), 10);  // r0 again: skipped as a duplicate
  EXPECT_EQ(ledger->stats().duplicates, 1u);
}

TEST_F(UsageLedgerTest, TagsAreStored) {
  auto ledger = open();
  ASSERT_TRUE(ledger->record(rec("tagged", "k", 1.0, {"env=prod", "team=search"})).ok());
  ASSERT_TRUE(ledger->flush().ok());
  auto s = store::UsageStore::open(dir_ / "anvil.db");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->tags_of("tagged"), (std::vector<std::string>{"env=prod", "team=search"}));
}

TEST_F(UsageLedgerTest, SpendIsInMemoryAtOnceAndReloadedAtStart) {
  {
    auto ledger = open({.batch_size = 100000, .flush_interval = std::chrono::hours(1)});
    ASSERT_TRUE(ledger->record(rec("a", "k1", 0.5)).ok());
    ASSERT_TRUE(ledger->record(rec("b", "k1", 0.25)).ok());
    ASSERT_TRUE(ledger->record(rec("c", "k2", 2.0)).ok());
    // Not committed yet (the writer waits for a fuller batch), already counted.
    EXPECT_EQ(ledger->spent_usd("k1"), 0.75);
    EXPECT_EQ(ledger->spent_usd("nobody"), 0.0);
    const SpendSource& source = *ledger;
    EXPECT_EQ(source.spent_usd("k2"), 2.0);
  }
  auto ledger = open();
  EXPECT_EQ(ledger->spent_usd("k1"), 0.75);
  auto t = ledger->key_totals("k1");
  EXPECT_EQ(t.requests, 2);
  EXPECT_EQ(t.prompt_tokens, 20);
  EXPECT_EQ(t.completion_tokens, 10);
  EXPECT_EQ(t.cached_tokens, 4);
}

TEST_F(UsageLedgerTest, AFailingDatabaseIsReportedAndRecordsAreCountedAsDropped) {
  auto ledger = open({.batch_size = 1});
  {
    auto db = store::Database::open(dir_ / "anvil.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("DROP TABLE usage_tags; DROP TABLE usage_records;").ok());
  }
  ASSERT_TRUE(ledger->record(rec("lost", "k", 1.0)).ok());
  auto f = ledger->flush();
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.message().find("no such table"), std::string::npos) << f.message();
  auto c = ledger->close();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("usage ledger: 1 records were not written"), std::string::npos) << c.message();
  EXPECT_EQ(ledger->stats().dropped, 1u);
  EXPECT_GE(ledger->stats().write_errors, 2u);
  auto after = ledger->record(rec("late", "k", 1.0));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.message(), "usage of request 'late' not recorded: the usage ledger is closed");
  // Spend counts for the key's budget even when its record could not be written.
  EXPECT_EQ(ledger->spent_usd("k"), 2.0);
}

TEST_F(UsageLedgerTest, RejectsAnEmptyQueue) {
  auto l = UsageLedger::open({.database = dir_ / "anvil.db", .queue_capacity = 0, .metrics = &metrics_});
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().message(),
            "usage ledger: expected a queue capacity and a batch size of at least 1, found 0 and 2048");
}

}  // namespace
}  // namespace anvil::gateway
