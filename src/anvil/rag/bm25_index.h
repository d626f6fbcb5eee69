// The BM25 inverted index of a collection: chunk id -> analyzed terms (+ filterable metadata),
// scored exactly like Lucene 9's BM25Similarity, updated incrementally, saved atomically.
// Scoring: docs/BM25.md. File layout: docs/BM25_INDEX_FORMAT.md. Filters: docs/FILTERS.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/rag/bm25/metadata_store.h"
#include "anvil/rag/bm25/string_pool.h"
#include "anvil/rag/filter.h"

namespace anvil::rag {

struct Bm25Params {
  float k1 = 0.9f;  // term-frequency saturation, >= 0: 0 ignores tf, large values approach raw tf
  float b = 0.4f;   // length normalization in [0, 1]: 0 ignores chunk length, 1 normalizes fully
  // Score with Lucene's one-byte lossy chunk length (exact below 40 terms, then 4 significant
  // bits), as Anserini/Lucene do; false uses the exact length.
  bool lucene_norms = true;

  friend bool operator==(const Bm25Params&, const Bm25Params&) = default;
};

struct Bm25Hit {
  int64_t id = 0;  // chunk id
  float score = 0;

  friend bool operator==(const Bm25Hit&, const Bm25Hit&) = default;
};

struct Bm25Stats {
  uint64_t docs = 0;          // chunks indexed, including those without terms
  uint64_t scored_docs = 0;   // chunks with at least one term: N in the idf
  uint64_t terms = 0;         // distinct terms present in at least one chunk
  uint64_t postings = 0;      // (term, chunk) pairs
  uint64_t total_length = 0;  // sum of chunk lengths, in terms
  double avgdl = 0;           // total_length / scored_docs
  uint64_t dead_slots = 0;    // removed chunks whose postings await compaction
  uint64_t memory_bytes = 0;
};

// Thread safety: const methods (search, save, stats, metadata) may run concurrently with each
// other; the non-const ones (add, remove, update, compact, set_params, assignment) need exclusive
// access, e.g. a std::shared_mutex held by the caller. Searches keep per-thread scratch
// (9 bytes per slot of the largest index the thread searched).
class Bm25Index {
 public:
  // Params are checked with validate_params(); invalid ones are an invariant violation here.
  explicit Bm25Index(Bm25Params params = {});

  // kInvalidArgument unless k1 is finite and >= 0 and b is in [0, 1].
  static core::Status validate_params(const Bm25Params& params);

  // Indexes chunk `id`. `terms` are its analyzed terms in text order with repeats (a term's
  // count is its frequency; the number of non-empty terms is the chunk length). `metadata` is a
  // JSON object of scalars and arrays of scalars (nested objects become dotted names).
  // kAlreadyExists when `id` is already indexed.
  core::Status add(int64_t id, std::span<const std::string> terms,
                   const boost::json::object& metadata = {});
  // kNotFound when `id` is not indexed. Statistics (N, df, avgdl) are exact right after.
  core::Status remove(int64_t id);
  // remove (when present) + add.
  core::Status update(int64_t id, std::span<const std::string> terms,
                      const boost::json::object& metadata = {});

  bool contains(int64_t id) const { return slot_of_.count(id) != 0; }
  std::size_t size() const { return slot_of_.size(); }
  // The stored (flattened) metadata of a chunk; kNotFound when not indexed.
  core::Result<boost::json::object> metadata(int64_t id) const;

  // The `k` best chunks for the bag of words `query_terms` (a term repeated n times weighs n
  // times), best first; equal scores in ascending chunk id. Terms unknown to the index are
  // ignored. With a filter, only chunks whose metadata matches are scored.
  std::vector<Bm25Hit> search(std::span<const std::string> query_terms, std::size_t k,
                              const Filter* filter = nullptr) const;

  // Writes the index to `path` atomically (temporary file in the same folder, fsync, rename,
  // fsync of the folder). Removed chunks are left out.
  core::Status save(const std::filesystem::path& path) const;
  // Reads and fully validates a saved index. Errors name the file and the problem:
  // "bm25 index /x/y.idx: bad magic: expected 'ANVLBM25', found 'GIF89a\x00\x01'" (kCorrupt),
  // an unknown format version is kUnsupported, a missing file kNotFound.
  static core::Result<Bm25Index> load(const std::filesystem::path& path);

  // Drops the postings, terms and metadata of removed chunks and renumbers the rest. Runs by
  // itself when removed postings pass a quarter of all postings; results do not change.
  void compact();

  Bm25Stats stats() const;
  // Heap bytes held by the index (capacities of its buffers and tables).
  std::size_t memory_bytes() const;

  // The store's change sequence number this index reflects; saved and loaded with it.
  uint64_t applied_seq() const { return applied_seq_; }
  void set_applied_seq(uint64_t seq) { applied_seq_ = seq; }

  const Bm25Params& params() const { return params_; }
  // Scoring parameters apply from the next search; nothing is reindexed.
  core::Status set_params(const Bm25Params& params);

 private:
  // The postings list of one term: entries in ascending slot order, each
  // varint((gap << 1) | (tf == 1)) then varint(tf) when tf != 1; gap = slot - previous slot
  // (the first entry's gap is its slot).
  struct TermPostings {
    std::vector<uint8_t> bytes;
    uint32_t last_slot = 0;  // slot of the last entry
    uint32_t df = 0;         // live chunks holding the term (exact)
    uint32_t count = 0;      // entries in `bytes`, removed chunks included
  };
  // A chunk's position in slot order. Slots only grow until compaction renumbers them.
  struct Slot {
    int64_t id = 0;
    uint32_t length = 0;      // number of terms
    uint8_t norm = 0;         // Lucene's one-byte encoding of `length`
    bool live = true;
    uint32_t unique_terms = 0;
    uint64_t terms_offset = 0;  // into doc_terms_: ascending term ids, delta varints
  };

  void append_posting(uint32_t term, uint32_t slot, uint32_t tf);
  Bm25Index compacted() const;
  void maybe_compact();
  bool has_garbage() const { return dead_slots_ > 0 || live_terms_ != terms_.size(); }

  // Serialization (bm25/index_file.cpp).
  std::string encode() const;
  static core::Result<Bm25Index> decode(std::string_view file);

  Bm25Params params_;
  uint64_t applied_seq_ = 0;
  bm25::StringPool terms_;                   // term id -> term
  std::vector<TermPostings> postings_;       // by term id
  std::vector<Slot> slots_;
  std::vector<uint8_t> doc_terms_;           // per slot, its distinct term ids (for remove)
  std::unordered_map<int64_t, uint32_t> slot_of_;  // live chunk id -> slot
  bm25::MetadataStore metadata_;             // row = slot

  uint64_t scored_docs_ = 0;   // live chunks with length > 0
  uint64_t total_length_ = 0;  // over live chunks
  uint64_t live_postings_ = 0;
  uint64_t dead_postings_ = 0;
  uint64_t live_terms_ = 0;    // terms with df > 0
  uint64_t dead_slots_ = 0;
};

}  // namespace anvil::rag
