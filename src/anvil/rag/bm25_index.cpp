#include "anvil/rag/bm25_index.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "anvil/rag/bm25/lucene_norms.h"
#include "anvil/rag/bm25/varint.h"
#include "anvil/rag/filter_eval.h"

namespace anvil::rag {
namespace {

using core::Status;

// Automatic compaction runs when removed postings exceed a quarter of all postings (or removed
// chunks a quarter of all slots), once there are enough of them to be worth an O(index) pass.
constexpr uint64_t kCompactMinDeadPostings = 50000;
constexpr uint64_t kCompactMinDeadSlots = 5000;

// Per-thread scratch of a search, kept between searches so that a query allocates nothing
// once warm. Invariant between searches: acc and state are all zero, touched is empty.
struct SearchScratch {
  std::vector<double> acc;       // [slots] summed term scores (Lucene sums floats as doubles)
  std::vector<uint8_t> state;    // [slots] kUnseen / kAccepted / kRejected
  std::vector<uint32_t> touched; // slots whose acc/state are set
};
constexpr uint8_t kUnseen = 0;
constexpr uint8_t kAccepted = 1;
constexpr uint8_t kRejected = 2;  // removed, or filtered out

SearchScratch& search_scratch(std::size_t slots) {
  thread_local SearchScratch s;
  if (s.acc.size() < slots) {
    s.acc.resize(slots, 0.0);
    s.state.resize(slots, kUnseen);
  }
  return s;
}

// A chunk's stored metadata seen through the filter evaluator's Source contract.
class RowSource {
 public:
  RowSource(const bm25::MetadataStore& store, const std::vector<uint32_t>& field_ids)
      : store_(store), field_ids_(field_ids) {}
  void set_row(uint32_t row) { row_ = row; }

  template <class Fn>
  bool for_each(uint32_t field, Fn&& fn) const {
    const uint32_t id = field_ids_[field];
    return id != bm25::MetadataStore::kNone && store_.for_each(row_, id, fn);
  }

 private:
  const bm25::MetadataStore& store_;
  const std::vector<uint32_t>& field_ids_;
  uint32_t row_ = 0;
};

// Best first: higher score, then lower chunk id.
bool better(const Bm25Hit& a, const Bm25Hit& b) {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

}  // namespace

Bm25Index::Bm25Index(Bm25Params params) : params_(params) {
  assert(validate_params(params).ok());
}

Status Bm25Index::validate_params(const Bm25Params& params) {
  if (!std::isfinite(params.k1) || params.k1 < 0) {
    return Status::invalid_argument(
        fmt::format("bm25: k1 must be a finite number >= 0, found {}", params.k1));
  }
  if (!(params.b >= 0 && params.b <= 1)) {
    return Status::invalid_argument(fmt::format("bm25: b must be in [0, 1], found {}", params.b));
  }
  return {};
}

Status Bm25Index::set_params(const Bm25Params& params) {
  ANVIL_RETURN_IF_ERROR(validate_params(params));
  params_ = params;
  return {};
}

void Bm25Index::append_posting(uint32_t term, uint32_t slot, uint32_t tf) {
  TermPostings& p = postings_[term];
  const uint64_t gap = p.count == 0 ? slot : slot - p.last_slot;
  bm25::put_varint(p.bytes, (gap << 1) | (tf == 1 ? 1 : 0));
  if (tf != 1) bm25::put_varint(p.bytes, tf);
  p.last_slot = slot;
  ++p.count;
  if (p.df++ == 0) ++live_terms_;
}

Status Bm25Index::add(int64_t id, std::span<const std::string> terms,
                      const boost::json::object& metadata) {
  if (contains(id)) {
    return Status::already_exists(fmt::format("bm25 index: chunk {} is already indexed", id));
  }
  if (slots_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
    return Status::resource_exhausted("bm25 index: more than 2^32 - 2 chunk slots; compact first");
  }
  // Term ids of the chunk, sorted, so that equal terms are runs (run length = tf).
  std::vector<uint32_t> ids;
  ids.reserve(terms.size());
  for (const std::string& t : terms) {
    if (!t.empty()) ids.push_back(terms_.intern(t));
  }
  if (postings_.size() < terms_.size()) postings_.resize(terms_.size());
  std::sort(ids.begin(), ids.end());

  const auto slot = static_cast<uint32_t>(slots_.size());
  Slot s;
  s.id = id;
  s.length = static_cast<uint32_t>(std::min<std::size_t>(ids.size(), std::numeric_limits<uint32_t>::max()));
  s.norm = bm25::length_to_norm(s.length);
  s.terms_offset = doc_terms_.size();
  uint32_t previous = 0;
  for (std::size_t k = 0; k < ids.size();) {
    std::size_t run_end = k;
    while (run_end < ids.size() && ids[run_end] == ids[k]) ++run_end;
    append_posting(ids[k], slot, static_cast<uint32_t>(run_end - k));
    bm25::put_varint(doc_terms_, ids[k] - previous);
    previous = ids[k];
    ++s.unique_terms;
    k = run_end;
  }
  slots_.push_back(s);
  metadata_.add_row(metadata);
  slot_of_.emplace(id, slot);
  live_postings_ += s.unique_terms;
  total_length_ += s.length;
  if (s.length > 0) ++scored_docs_;
  return {};
}

Status Bm25Index::remove(int64_t id) {
  auto it = slot_of_.find(id);
  if (it == slot_of_.end()) {
    return Status::not_found(fmt::format("bm25 index: chunk {} is not indexed", id));
  }
  Slot& s = slots_[it->second];
  const uint8_t* p = doc_terms_.data() + s.terms_offset;
  uint64_t term = 0;
  for (uint32_t k = 0; k < s.unique_terms; ++k) {
    uint64_t delta = 0;
    p = bm25::get_varint_unchecked(p, delta);
    term += delta;
    if (--postings_[term].df == 0) --live_terms_;
  }
  live_postings_ -= s.unique_terms;
  dead_postings_ += s.unique_terms;
  total_length_ -= s.length;
  if (s.length > 0) --scored_docs_;
  s.live = false;
  ++dead_slots_;
  slot_of_.erase(it);
  maybe_compact();
  return {};
}

Status Bm25Index::update(int64_t id, std::span<const std::string> terms,
                         const boost::json::object& metadata) {
  if (contains(id)) ANVIL_RETURN_IF_ERROR(remove(id));
  return add(id, terms, metadata);
}

core::Result<boost::json::object> Bm25Index::metadata(int64_t id) const {
  auto it = slot_of_.find(id);
  if (it == slot_of_.end()) {
    return Status::not_found(fmt::format("bm25 index: chunk {} is not indexed", id));
  }
  return metadata_.row_json(it->second);
}

std::vector<Bm25Hit> Bm25Index::search(std::span<const std::string> query_terms, std::size_t k,
                                       const Filter* filter) const {
  std::vector<Bm25Hit> hits;
  if (k == 0 || scored_docs_ == 0) return hits;

  // Bag of words: distinct known terms with their counts (Anserini boosts a term by its count).
  std::vector<uint32_t> ids;
  ids.reserve(query_terms.size());
  for (const std::string& t : query_terms) {
    uint32_t id = t.empty() ? bm25::StringPool::kNone : terms_.find(t);
    if (id != bm25::StringPool::kNone && postings_[id].df > 0) ids.push_back(id);
  }
  if (ids.empty()) return hits;
  std::sort(ids.begin(), ids.end());

  // Lucene 9 BM25Similarity, in its float arithmetic:
  //   idf = (float) ln(1 + (N - df + 0.5) / (df + 0.5))       (double inside)
  //   avgdl = (float) (sumTotalTermFreq / (double) N)
  //   normInverse = 1f / (k1 * ((1 - b) + b * dl / avgdl))     (dl decoded from the norm byte)
  //   score = weight - weight / (1f + freq * normInverse),  weight = boost * idf
  const float k1 = params_.k1;
  const float b = params_.b;
  const auto n_docs = static_cast<double>(scored_docs_);
  const auto avgdl = static_cast<float>(static_cast<double>(total_length_) / n_docs);
  float norm_cache[256];
  if (params_.lucene_norms) {
    const auto& lengths = bm25::norm_length_table();
    for (int i = 0; i < 256; ++i) norm_cache[i] = 1.0f / (k1 * ((1 - b) + b * lengths[i] / avgdl));
  }

  SearchScratch& scratch = search_scratch(slots_.size());
  std::vector<uint32_t> field_ids;
  const bool filtering = filter != nullptr && !filter->is_trivial();
  if (filtering) {
    for (const std::string& name : filter->fields()) field_ids.push_back(metadata_.find_field(name));
  }
  RowSource source(metadata_, field_ids);

  // Term-at-a-time: each postings list adds its term's score into per-slot accumulators.
  for (std::size_t q = 0; q < ids.size();) {
    const uint32_t term = ids[q];
    std::size_t run_end = q;
    while (run_end < ids.size() && ids[run_end] == term) ++run_end;
    const auto boost = static_cast<float>(run_end - q);
    q = run_end;

    const TermPostings& tp = postings_[term];
    const auto df = static_cast<double>(tp.df);
    const auto idf = static_cast<float>(std::log(1 + (n_docs - df + 0.5) / (df + 0.5)));
    const float weight = boost * idf;
    const uint8_t* p = tp.bytes.data();
    uint64_t slot = 0;
    for (uint32_t e = 0; e < tp.count; ++e) {
      uint64_t word = 0;
      p = bm25::get_varint_unchecked(p, word);
      slot = e == 0 ? (word >> 1) : slot + (word >> 1);
      uint64_t tf = 1;
      if ((word & 1) == 0) p = bm25::get_varint_unchecked(p, tf);

      uint8_t& state = scratch.state[slot];
      if (state == kRejected) continue;
      const Slot& s = slots_[slot];
      if (state == kUnseen) {
        scratch.touched.push_back(static_cast<uint32_t>(slot));
        bool accept = s.live;
        if (accept && filtering) {
          source.set_row(static_cast<uint32_t>(slot));
          accept = filter_eval::evaluate(filter->root(), source);
        }
        state = accept ? kAccepted : kRejected;
        if (!accept) continue;
      }
      const float norm_inverse =
          params_.lucene_norms
              ? norm_cache[s.norm]
              : 1.0f / (k1 * ((1 - b) + b * static_cast<float>(s.length) / avgdl));
      const float freq = static_cast<float>(tf);
      scratch.acc[slot] += static_cast<double>(weight - weight / (1.0f + freq * norm_inverse));
    }
  }

  // Bounded heap of the k best; its front is the worst kept.
  hits.reserve(std::min<std::size_t>(k, scratch.touched.size()));
  for (uint32_t slot : scratch.touched) {
    if (scratch.state[slot] == kAccepted) {
      Bm25Hit hit{slots_[slot].id, static_cast<float>(scratch.acc[slot])};
      if (hits.size() < k) {
        hits.push_back(hit);
        std::push_heap(hits.begin(), hits.end(), better);
      } else if (better(hit, hits.front())) {
        std::pop_heap(hits.begin(), hits.end(), better);
        hits.back() = hit;
        std::push_heap(hits.begin(), hits.end(), better);
      }
    }
    scratch.acc[slot] = 0.0;
    scratch.state[slot] = kUnseen;
  }
  scratch.touched.clear();
  std::sort_heap(hits.begin(), hits.end(), better);
  return hits;
}

Bm25Index Bm25Index::compacted() const {
  Bm25Index out(params_);
  out.applied_seq_ = applied_seq_;

  std::vector<uint32_t> new_slot(slots_.size(), bm25::StringPool::kNone);
  out.slots_.reserve(slot_of_.size());
  out.slot_of_.reserve(slot_of_.size());
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].live) continue;
    new_slot[s] = static_cast<uint32_t>(out.slots_.size());
    out.slot_of_.emplace(slots_[s].id, new_slot[s]);
    out.slots_.push_back(slots_[s]);
    out.metadata_.copy_row(metadata_, static_cast<uint32_t>(s));
  }

  // Terms still in use keep their relative order, so chunk term lists stay sorted.
  std::vector<uint32_t> new_term(terms_.size(), bm25::StringPool::kNone);
  out.terms_.reserve(live_terms_, terms_.total_bytes());
  out.postings_.reserve(live_terms_);
  for (uint32_t t = 0; t < terms_.size(); ++t) {
    const TermPostings& old = postings_[t];
    if (old.df == 0) continue;
    new_term[t] = out.terms_.intern(terms_.get(t));
    out.postings_.emplace_back();
    TermPostings& fresh = out.postings_.back();
    const uint8_t* p = old.bytes.data();
    uint64_t slot = 0;
    for (uint32_t e = 0; e < old.count; ++e) {
      uint64_t word = 0, tf = 1;
      p = bm25::get_varint_unchecked(p, word);
      slot = e == 0 ? (word >> 1) : slot + (word >> 1);
      if ((word & 1) == 0) p = bm25::get_varint_unchecked(p, tf);
      if (new_slot[slot] == bm25::StringPool::kNone) continue;
      const uint64_t gap = fresh.count == 0 ? new_slot[slot] : new_slot[slot] - fresh.last_slot;
      bm25::put_varint(fresh.bytes, (gap << 1) | (tf == 1 ? 1 : 0));
      if (tf != 1) bm25::put_varint(fresh.bytes, tf);
      fresh.last_slot = new_slot[slot];
      ++fresh.count;
    }
    fresh.df = fresh.count;
    fresh.bytes.shrink_to_fit();
  }

  for (Slot& s : out.slots_) {
    const uint8_t* p = doc_terms_.data() + s.terms_offset;
    s.terms_offset = out.doc_terms_.size();
    uint64_t term = 0;
    uint32_t previous = 0;
    for (uint32_t k = 0; k < s.unique_terms; ++k) {
      uint64_t delta = 0;
      p = bm25::get_varint_unchecked(p, delta);
      term += delta;
      const uint32_t mapped = new_term[term];
      bm25::put_varint(out.doc_terms_, mapped - previous);
      previous = mapped;
    }
  }
  out.doc_terms_.shrink_to_fit();

  out.scored_docs_ = scored_docs_;
  out.total_length_ = total_length_;
  out.live_postings_ = live_postings_;
  out.live_terms_ = live_terms_;
  return out;
}

void Bm25Index::compact() {
  if (has_garbage()) *this = compacted();
}

void Bm25Index::maybe_compact() {
  const bool postings_waste = dead_postings_ >= kCompactMinDeadPostings &&
                              dead_postings_ * 4 > dead_postings_ + live_postings_;
  const bool slots_waste = dead_slots_ >= kCompactMinDeadSlots && dead_slots_ * 4 > slots_.size();
  if (postings_waste || slots_waste) compact();
}

Bm25Stats Bm25Index::stats() const {
  Bm25Stats st;
  st.docs = slot_of_.size();
  st.scored_docs = scored_docs_;
  st.terms = live_terms_;
  st.postings = live_postings_;
  st.total_length = total_length_;
  st.avgdl = scored_docs_ == 0 ? 0.0 : static_cast<double>(total_length_) / static_cast<double>(scored_docs_);
  st.dead_slots = dead_slots_;
  st.memory_bytes = memory_bytes();
  return st;
}

std::size_t Bm25Index::memory_bytes() const {
  std::size_t bytes = sizeof(*this) + terms_.memory_bytes() +
                      postings_.capacity() * sizeof(TermPostings) +
                      slots_.capacity() * sizeof(Slot) + doc_terms_.capacity() +
                      metadata_.memory_bytes();
  for (const TermPostings& p : postings_) bytes += p.bytes.capacity();
  // unordered_map: a bucket pointer each, and a node (next pointer, key, value, cached hash) per
  // entry; glibc malloc adds 8 bytes a node and rounds to 16.
  bytes += slot_of_.bucket_count() * sizeof(void*) + slot_of_.size() * 32;
  return bytes;
}

}  // namespace anvil::rag
