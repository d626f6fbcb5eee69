// Per-chunk filterable metadata of the BM25 index: field names, strings and scalar values are
// interned once; each chunk is a short row of (field id, value id) pairs. Nested objects are
// flattened to dotted names ({"a": {"b": 1}} is field "a.b"). Layout: docs/BM25_INDEX_FORMAT.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/rag/bm25/byte_io.h"
#include "anvil/rag/bm25/id_hash_table.h"
#include "anvil/rag/bm25/string_pool.h"
#include "anvil/rag/filter_eval.h"

namespace anvil::rag::bm25 {

class MetadataStore {
 public:
  static constexpr uint32_t kNone = IdHashTable::kNone;

  enum class Kind : uint8_t { kBool = 0, kInt = 1, kDouble = 2, kString = 3, kArray = 4 };

  // Appends a row built from `metadata` and returns its index (0, 1, 2, ... in order). Nulls,
  // and arrays or objects inside arrays, are not filterable and are left out.
  uint32_t add_row(const boost::json::object& metadata);
  // Appends a copy of `other`'s row `row` (used when compacting).
  uint32_t copy_row(const MetadataStore& other, uint32_t row);

  std::size_t rows() const { return row_offsets_.size() - 1; }
  std::size_t fields() const { return fields_.size(); }
  std::size_t values() const { return values_.size(); }

  uint32_t find_field(std::string_view name) const { return fields_.find(name); }

  // Calls fn(const filter_eval::Scalar&) for each scalar of `field` in `row` until fn returns
  // true; returns false when the row lacks the field (the filter evaluator's Source contract).
  template <class Fn>
  bool for_each(uint32_t row, uint32_t field, Fn&& fn) const {
    const Pair* begin = pairs_.data() + row_offsets_[row];
    const Pair* end = pairs_.data() + row_offsets_[row + 1];
    for (const Pair* p = begin; p != end; ++p) {
      if (p->field != field) continue;
      const Value& v = values_[p->value];
      if (v.kind == Kind::kArray) {
        for (uint32_t k = 0; k < v.count; ++k) {
          if (fn(scalar(array_elems_[v.payload + k]))) break;
        }
      } else {
        fn(scalar(p->value));
      }
      return true;
    }
    return false;
  }

  // The row as a flat JSON object (dotted field names).
  boost::json::object row_json(uint32_t row) const;

  // The META section of the index file, and its validating reader; `rows` is the expected row
  // count. Errors are kCorrupt and name the offending item and byte offset.
  void encode(std::string& out) const;
  core::Status decode(ByteReader& in, std::size_t rows);

  void clear();
  std::size_t memory_bytes() const;

 private:
  struct Value {
    Kind kind = Kind::kBool;
    filter_eval::Scalar::Time time = filter_eval::Scalar::Time::kNo;  // kString only
    uint32_t count = 0;    // kArray: number of elements
    uint64_t payload = 0;  // bool 0/1 | int64 bits | double bits | string id | array_elems_ offset
    int64_t time_us = 0;   // kString with time == kYes
  };
  struct Pair {
    uint32_t field;
    uint32_t value;
  };

  filter_eval::Scalar scalar(uint32_t value) const;
  uint32_t intern_scalar(const boost::json::value& v);  // kNone when not a filterable scalar
  uint32_t intern_value(Value v, const uint32_t* elems);
  uint32_t import_value(const MetadataStore& from, uint32_t value);
  void flatten(const boost::json::object& obj, std::string& prefix, int depth,
               std::vector<Pair>& row);
  void finish_row(std::vector<Pair>& row);
  static uint64_t hash_value(const Value& v, const uint32_t* elems);

  StringPool fields_;
  StringPool strings_;
  std::vector<Value> values_;
  std::vector<uint32_t> array_elems_;  // element value ids of all arrays, concatenated
  IdHashTable value_table_;
  std::vector<uint64_t> row_offsets_ = {0};  // row r is pairs_[row_offsets_[r], row_offsets_[r + 1])
  std::vector<Pair> pairs_;                  // sorted by field id within a row
};

}  // namespace anvil::rag::bm25
