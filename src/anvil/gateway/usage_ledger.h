// The usage ledger's front: record() queues a request's usage record without touching the disk; a
// writer thread commits what is queued in batched SQLite transactions. It also keeps every key's
// spend and tokens in memory (loaded at start), which the rate limiter reads as its SpendSource.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "anvil/core/metrics.h"
#include "anvil/core/status.h"
#include "anvil/gateway/spend_source.h"
#include "anvil/store/usage_store.h"

namespace anvil::gateway {

struct UsageLedgerOptions {
  std::filesystem::path database;  // anvil.db
  // Records waiting for the writer, at most. Full: record() waits for room (counted), never drops
  // while the writer is healthy. 65,536 records are about 30 MB.
  size_t queue_capacity = 65536;
  // The writer commits when this many records wait, or flush_interval after the first of them
  // arrived, whichever comes first. Capped at queue_capacity.
  size_t batch_size = 2048;
  std::chrono::milliseconds flush_interval{5};
  core::MetricsRegistry* metrics = &core::MetricsRegistry::global();
};

// Counters since open, for tests, benchmarks and `/metrics` (which shows the same numbers).
struct UsageLedgerStats {
  uint64_t recorded = 0;    // record() calls accepted
  uint64_t written = 0;     // records committed to anvil.db
  uint64_t duplicates = 0;  // records whose request id was already in the ledger (skipped)
  uint64_t full_waits = 0;  // record() calls that found the queue full and waited
  uint64_t dropped = 0;     // records lost because the database kept failing (see docs)
  uint64_t write_errors = 0;
  uint64_t batches = 0;
};

class UsageLedger final : public SpendSource {
 public:
  // Opens (migrating) the database, loads every key's totals, starts the writer.
  static core::Result<std::unique_ptr<UsageLedger>> open(UsageLedgerOptions options);
  // close(), logging a failure.
  ~UsageLedger() override;
  UsageLedger(const UsageLedger&) = delete;
  UsageLedger& operator=(const UsageLedger&) = delete;

  // Thread-safe. Adds the record to its key's totals at once and queues it for the writer. Blocks
  // only while the queue is full. When the writer's last commit failed and the queue is full, the
  // record is dropped instead (counted, logged) and the failure is returned: a broken disk must
  // not stall every request. Also fails after close().
  core::Status record(store::UsageRecord record);

  // Returns once every record queued before the call is committed, or with the write error that
  // stopped them.
  core::Status flush();

  // Flushes, stops the writer and closes the database. Idempotent.
  core::Status close();

  // SpendSource: the key's total cost, from memory (a shard lock, a hash lookup).
  double spent_usd(std::string_view key_id) const override;
  store::KeyUsageTotals key_totals(std::string_view key_id) const;

  UsageLedgerStats stats() const;

 private:
  struct Shard;
  struct Metrics {
    core::Counter* written = nullptr;
    core::Counter* duplicates = nullptr;
    core::Counter* full_waits = nullptr;
    core::Counter* dropped = nullptr;
    core::Counter* write_errors = nullptr;
    core::Gauge* queue_depth = nullptr;
    core::Histogram* commit_seconds = nullptr;
  };

  UsageLedger(UsageLedgerOptions options, store::UsageStore store);
  Shard& shard_of(std::string_view key_id) const;
  void add_to_totals(const store::UsageRecord& r);
  void writer_loop();
  // Commits `batch`, retrying with backoff while the database fails, until it succeeds or the
  // ledger is closing and one more try failed.
  core::Status commit(std::vector<store::UsageRecord>& batch);

  UsageLedgerOptions options_;
  Metrics metrics_;
  std::vector<std::unique_ptr<Shard>> shards_;

  mutable std::mutex mu_;
  std::condition_variable writer_cv_;    // records arrived, a flush is waiting, or closing
  std::condition_variable room_cv_;      // the writer took the queue
  std::condition_variable written_cv_;   // the writer committed (or gave up on) a batch
  std::vector<store::UsageRecord> queue_;
  std::chrono::steady_clock::time_point first_queued_;
  uint64_t queued_seq_ = 0;   // records ever queued
  uint64_t done_seq_ = 0;     // records ever committed or given up on
  int flush_waiters_ = 0;
  bool failing_ = false;      // the last commit failed
  bool closing_ = false;
  bool closed_ = false;
  core::Status last_error_;
  UsageLedgerStats stats_;

  store::UsageStore store_;  // used by the writer thread only
  std::thread writer_;
};

}  // namespace anvil::gateway
