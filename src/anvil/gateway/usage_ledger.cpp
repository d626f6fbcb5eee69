#include "anvil/gateway/usage_ledger.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "anvil/core/log.h"

namespace anvil::gateway {

using core::Result;
using core::Status;
using store::KeyUsageTotals;
using store::UsageRecord;

namespace {

constexpr size_t kShards = 16;
constexpr std::chrono::milliseconds kFirstRetryDelay{50};
constexpr std::chrono::milliseconds kMaxRetryDelay{5000};

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

}  // namespace

struct UsageLedger::Shard {
  mutable std::mutex mu;
  std::unordered_map<std::string, KeyUsageTotals, KeyHash, std::equal_to<>> totals;
};

UsageLedger::UsageLedger(UsageLedgerOptions options, store::UsageStore store)
    : options_(std::move(options)), store_(std::move(store)) {
  for (size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
  queue_.reserve(std::min(options_.queue_capacity, options_.batch_size));
}

Result<std::unique_ptr<UsageLedger>> UsageLedger::open(UsageLedgerOptions options) {
  if (options.queue_capacity == 0 || options.batch_size == 0) {
    return Status::invalid_argument(fmt::format(
        "usage ledger: expected a queue capacity and a batch size of at least 1, found {} and {}",
        options.queue_capacity, options.batch_size));
  }
  // The writer must wake when the queue is full, which a larger batch size would never reach.
  options.batch_size = std::min(options.batch_size, options.queue_capacity);
  ANVIL_ASSIGN_OR_RETURN(auto store, store::UsageStore::open(options.database));
  ANVIL_ASSIGN_OR_RETURN(auto totals, store.key_totals());
  std::unique_ptr<UsageLedger> ledger(new UsageLedger(std::move(options), std::move(store)));
  for (auto& [key, t] : totals) ledger->shard_of(key).totals.emplace(key, t);

  auto& reg = *ledger->options_.metrics;
  auto& m = ledger->metrics_;
  ANVIL_ASSIGN_OR_RETURN(m.written, reg.counter("anvil_usage_ledger_records_total",
                                                "Usage records committed to the ledger"));
  ANVIL_ASSIGN_OR_RETURN(m.duplicates, reg.counter("anvil_usage_ledger_duplicates_total",
                                                   "Usage records skipped: their request id was already recorded"));
  ANVIL_ASSIGN_OR_RETURN(m.full_waits, reg.counter("anvil_usage_ledger_queue_full_waits_total",
                                                   "record() calls that found the queue full and waited"));
  ANVIL_ASSIGN_OR_RETURN(m.dropped, reg.counter("anvil_usage_ledger_dropped_total",
                                                "Usage records lost because the database kept failing"));
  ANVIL_ASSIGN_OR_RETURN(m.write_errors, reg.counter("anvil_usage_ledger_write_errors_total",
                                                     "Failed ledger commits (each is retried)"));
  ANVIL_ASSIGN_OR_RETURN(m.queue_depth, reg.gauge("anvil_usage_ledger_queue_depth",
                                                  "Usage records waiting for the ledger writer"));
  ANVIL_ASSIGN_OR_RETURN(m.commit_seconds,
                         reg.histogram("anvil_usage_ledger_commit_seconds", "Time to commit one batch",
                                       core::exponential_buckets(0.0005, 2, 14)));
  ledger->writer_ = std::thread([l = ledger.get()] { l->writer_loop(); });
  return ledger;
}

UsageLedger::~UsageLedger() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;  // close() already reported how it went
  }
  Status s = close();
  if (!s.ok()) core::log::error("usage ledger: closing: {}", s.to_string());
}

UsageLedger::Shard& UsageLedger::shard_of(std::string_view key_id) const {
  return *shards_[KeyHash{}(key_id) % shards_.size()];
}

void UsageLedger::add_to_totals(const UsageRecord& r) {
  Shard& shard = shard_of(r.key_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.totals.find(std::string_view(r.key_id));
  if (it == shard.totals.end()) it = shard.totals.emplace(r.key_id, KeyUsageTotals{}).first;
  KeyUsageTotals& t = it->second;
  ++t.requests;
  t.prompt_tokens += r.prompt_tokens;
  t.completion_tokens += r.completion_tokens;
  t.cached_tokens += r.cached_tokens;
  t.cost_usd += r.cost_usd;
}

KeyUsageTotals UsageLedger::key_totals(std::string_view key_id) const {
  const Shard& shard = shard_of(key_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.totals.find(key_id);
  return it == shard.totals.end() ? KeyUsageTotals{} : it->second;
}

double UsageLedger::spent_usd(std::string_view key_id) const { return key_totals(key_id).cost_usd; }

Status UsageLedger::record(UsageRecord r) {
  // The spend happened whether or not the record reaches the disk, and the next budget check of
  // the key must see it at once.
  add_to_totals(r);
  std::unique_lock lock(mu_);
  auto refuse = [&](std::string_view why) {
    ++stats_.dropped;
    metrics_.dropped->inc();
    return Status::unavailable(fmt::format("usage of request '{}' not recorded: {}", r.request_id, why));
  };
  if (closing_) return refuse("the usage ledger is closed");
  if (queue_.size() >= options_.queue_capacity) {
    if (failing_) return refuse("the queue is full and the ledger's database fails: " + last_error_.message());
    ++stats_.full_waits;
    metrics_.full_waits->inc();
    room_cv_.wait(lock, [&] { return queue_.size() < options_.queue_capacity || failing_ || closing_; });
    if (queue_.size() >= options_.queue_capacity) {
      return refuse(closing_ ? std::string("the usage ledger closed")
                             : "the queue is full and the ledger's database fails: " + last_error_.message());
    }
  }
  const bool first = queue_.empty();
  if (first) first_queued_ = std::chrono::steady_clock::now();
  queue_.push_back(std::move(r));
  ++queued_seq_;
  ++stats_.recorded;
  metrics_.queue_depth->set(static_cast<double>(queue_.size()));
  const bool wake = first || queue_.size() == options_.batch_size;
  lock.unlock();
  if (wake) writer_cv_.notify_one();
  return {};
}

Status UsageLedger::flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = queued_seq_;
  if (done_seq_ >= target) return {};
  ++flush_waiters_;
  writer_cv_.notify_one();
  written_cv_.wait(lock, [&] { return done_seq_ >= target || failing_ || closed_; });
  --flush_waiters_;
  if (done_seq_ >= target && !failing_) return {};
  return last_error_.ok() ? Status::unavailable("usage ledger closed before the flush completed") : last_error_;
}

Status UsageLedger::close() {
  std::unique_lock lock(mu_);
  if (closing_) {
    written_cv_.wait(lock, [&] { return closed_; });
    return stats_.dropped > 0 ? last_error_ : Status{};
  }
  closing_ = true;
  lock.unlock();
  writer_cv_.notify_all();
  room_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  lock.lock();
  closed_ = true;
  written_cv_.notify_all();
  if (stats_.dropped > 0 && !last_error_.ok()) {
    return last_error_.with_context(fmt::format("usage ledger: {} records were not written", stats_.dropped));
  }
  return {};
}

UsageLedgerStats UsageLedger::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void UsageLedger::writer_loop() {
  std::vector<UsageRecord> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    writer_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
    if (queue_.empty()) break;  // closing, and everything is written
    // Wait for a fuller batch, but never longer than flush_interval after its first record.
    writer_cv_.wait_until(lock, first_queued_ + options_.flush_interval, [&] {
      return queue_.size() >= options_.batch_size || closing_ || flush_waiters_ > 0;
    });
    batch.swap(queue_);  // the queue keeps the capacity of the previous batch
    const uint64_t upto = queued_seq_;
    metrics_.queue_depth->set(0);
    lock.unlock();
    room_cv_.notify_all();
    Status s = commit(batch);
    batch.clear();
    // A burst (a slow disk, a starved writer) may have grown the queue towards its capacity;
    // keep no more than a few batches' worth once it has been written.
    if (batch.capacity() > 4 * options_.batch_size) batch.shrink_to_fit();
    lock.lock();
    done_seq_ = upto;
    if (!s.ok()) last_error_ = s;
    written_cv_.notify_all();
  }
}

Status UsageLedger::commit(std::vector<UsageRecord>& batch) {
  auto delay = kFirstRetryDelay;
  bool tried_while_closing = false;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    auto r = store_.insert(batch);
    if (r.ok()) {
      metrics_.commit_seconds->observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      metrics_.written->inc(static_cast<double>(r->inserted));
      metrics_.duplicates->inc(static_cast<double>(r->duplicates.size()));
      if (!r->duplicates.empty()) {
        core::log::warn("usage ledger: {} records skipped, their request ids were already recorded (first: '{}')",
                        r->duplicates.size(), r->duplicates.front());
      }
      std::lock_guard lock(mu_);
      stats_.written += static_cast<uint64_t>(r->inserted);
      stats_.duplicates += r->duplicates.size();
      ++stats_.batches;
      failing_ = false;
      return {};
    }
    metrics_.write_errors->inc();
    core::log::error("usage ledger: cannot commit {} records (retrying): {}", batch.size(), r.status().to_string());
    std::unique_lock lock(mu_);
    ++stats_.write_errors;
    failing_ = true;
    last_error_ = r.status();
    room_cv_.notify_all();     // writers blocked on a full queue now drop instead of waiting
    written_cv_.notify_all();  // flushes return the error
    if (closing_ && tried_while_closing) {
      stats_.dropped += batch.size();
      metrics_.dropped->inc(static_cast<double>(batch.size()));
      return r.status();
    }
    tried_while_closing = closing_;
    writer_cv_.wait_for(lock, delay, [&] { return closing_ && !tried_while_closing; });
    delay = std::min(delay * 2, kMaxRetryDelay);
  }
}

}  // namespace anvil::gateway
