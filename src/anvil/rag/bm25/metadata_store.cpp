#include "anvil/rag/bm25/metadata_store.h"

#include <algorithm>
#include <bit>
#include <limits>

#include <boost/json.hpp>

#include "anvil/rag/filter_time.h"

namespace anvil::rag::bm25 {
namespace {

// Nested objects deeper than this are not flattened (Boost.JSON's own parser stops at 32).
constexpr int kMaxFlattenDepth = 16;

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

uint64_t MetadataStore::hash_value(const Value& v, const uint32_t* elems) {
  uint64_t h = mix_hash(static_cast<uint64_t>(v.kind) * 0x100000001B3ULL + v.count);
  if (v.kind == Kind::kArray) {
    for (uint32_t k = 0; k < v.count; ++k) h = mix_hash(h ^ elems[k]);
    return h;
  }
  return mix_hash(h ^ v.payload);
}

uint32_t MetadataStore::intern_value(Value v, const uint32_t* elems) {
  const uint64_t h = hash_value(v, elems);
  uint32_t id = value_table_.find(h, [&](uint32_t candidate) {
    const Value& c = values_[candidate];
    if (c.kind != v.kind || c.count != v.count) return false;
    if (v.kind != Kind::kArray) return c.payload == v.payload;
    return std::equal(elems, elems + v.count, array_elems_.begin() + static_cast<std::ptrdiff_t>(c.payload));
  });
  if (id != kNone) return id;
  if (v.kind == Kind::kArray) {
    v.payload = array_elems_.size();
    array_elems_.insert(array_elems_.end(), elems, elems + v.count);
  } else if (v.kind == Kind::kString) {
    std::optional<int64_t> t = parse_iso8601_micros(strings_.get(static_cast<uint32_t>(v.payload)));
    v.time = t ? filter_eval::Scalar::Time::kYes : filter_eval::Scalar::Time::kNo;
    v.time_us = t.value_or(0);
  }
  id = static_cast<uint32_t>(values_.size());
  values_.push_back(v);
  value_table_.insert(h, id);
  return id;
}

uint32_t MetadataStore::intern_scalar(const boost::json::value& j) {
  Value v;
  switch (j.kind()) {
    case boost::json::kind::bool_: v.kind = Kind::kBool; v.payload = j.get_bool() ? 1 : 0; break;
    case boost::json::kind::int64:
      v.kind = Kind::kInt;
      v.payload = static_cast<uint64_t>(j.get_int64());
      break;
    case boost::json::kind::uint64:
      if (j.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        v.kind = Kind::kInt;
        v.payload = j.get_uint64();
      } else {
        v.kind = Kind::kDouble;
        v.payload = std::bit_cast<uint64_t>(static_cast<double>(j.get_uint64()));
      }
      break;
    case boost::json::kind::double_:
      v.kind = Kind::kDouble;
      v.payload = std::bit_cast<uint64_t>(j.get_double());
      break;
    case boost::json::kind::string:
      v.kind = Kind::kString;
      v.payload = strings_.intern(std::string_view(j.get_string()));
      break;
    default: return kNone;
  }
  return intern_value(v, nullptr);
}

void MetadataStore::flatten(const boost::json::object& obj, std::string& prefix, int depth,
                            std::vector<Pair>& row) {
  const std::size_t prefix_size = prefix.size();
  for (const auto& member : obj) {
    prefix.resize(prefix_size);
    prefix.append(member.key());
    const boost::json::value& v = member.value();
    if (const boost::json::object* nested = v.if_object()) {
      if (depth + 1 < kMaxFlattenDepth) {
        prefix.push_back('.');
        flatten(*nested, prefix, depth + 1, row);
      }
      continue;
    }
    uint32_t value = kNone;
    if (const boost::json::array* arr = v.if_array()) {
      std::vector<uint32_t> elems;
      elems.reserve(arr->size());
      for (const boost::json::value& e : *arr) {
        uint32_t id = intern_scalar(e);
        if (id != kNone) elems.push_back(id);
      }
      Value array_value;
      array_value.kind = Kind::kArray;
      array_value.count = static_cast<uint32_t>(elems.size());
      value = intern_value(array_value, elems.data());
    } else {
      value = intern_scalar(v);
    }
    if (value != kNone) row.push_back(Pair{fields_.intern(prefix), value});
  }
  prefix.resize(prefix_size);
}

void MetadataStore::finish_row(std::vector<Pair>& row) {
  // The first occurrence of a field wins ({"a.b": 1, "a": {"b": 2}} keeps 1).
  std::stable_sort(row.begin(), row.end(), [](Pair a, Pair b) { return a.field < b.field; });
  row.erase(std::unique(row.begin(), row.end(), [](Pair a, Pair b) { return a.field == b.field; }),
            row.end());
  pairs_.insert(pairs_.end(), row.begin(), row.end());
  row_offsets_.push_back(pairs_.size());
}

uint32_t MetadataStore::add_row(const boost::json::object& metadata) {
  std::vector<Pair> row;
  std::string prefix;
  flatten(metadata, prefix, 0, row);
  finish_row(row);
  return static_cast<uint32_t>(rows() - 1);
}

uint32_t MetadataStore::import_value(const MetadataStore& from, uint32_t value) {
  Value v = from.values_[value];
  if (v.kind == Kind::kString) {
    v.payload = strings_.intern(from.strings_.get(static_cast<uint32_t>(v.payload)));
  } else if (v.kind == Kind::kArray) {
    std::vector<uint32_t> elems(v.count);
    for (uint32_t k = 0; k < v.count; ++k) {
      elems[k] = import_value(from, from.array_elems_[v.payload + k]);
    }
    return intern_value(v, elems.data());
  }
  return intern_value(v, nullptr);
}

uint32_t MetadataStore::copy_row(const MetadataStore& other, uint32_t row) {
  std::vector<Pair> pairs;
  for (uint64_t k = other.row_offsets_[row]; k < other.row_offsets_[row + 1]; ++k) {
    const Pair& p = other.pairs_[k];
    pairs.push_back(Pair{fields_.intern(other.fields_.get(p.field)), import_value(other, p.value)});
  }
  finish_row(pairs);
  return static_cast<uint32_t>(rows() - 1);
}

filter_eval::Scalar MetadataStore::scalar(uint32_t value) const {
  const Value& v = values_[value];
  filter_eval::Scalar s;
  switch (v.kind) {
    case Kind::kBool: s.kind = filter_eval::Scalar::Kind::kBool; s.b = v.payload != 0; break;
    case Kind::kInt:
      s.kind = filter_eval::Scalar::Kind::kInt;
      s.i = static_cast<int64_t>(v.payload);
      break;
    case Kind::kDouble:
      s.kind = filter_eval::Scalar::Kind::kDouble;
      s.d = std::bit_cast<double>(v.payload);
      break;
    case Kind::kString:
      s.kind = filter_eval::Scalar::Kind::kString;
      s.s = strings_.get(static_cast<uint32_t>(v.payload));
      s.time = v.time;
      s.time_us = v.time_us;
      break;
    case Kind::kArray: break;  // never asked: arrays are expanded by for_each
  }
  return s;
}

boost::json::object MetadataStore::row_json(uint32_t row) const {
  auto to_json = [&](uint32_t value) -> boost::json::value {
    const Value& v = values_[value];
    switch (v.kind) {
      case Kind::kBool: return v.payload != 0;
      case Kind::kInt: return static_cast<int64_t>(v.payload);
      case Kind::kDouble: return std::bit_cast<double>(v.payload);
      case Kind::kString: return boost::json::string(strings_.get(static_cast<uint32_t>(v.payload)));
      case Kind::kArray: return nullptr;
    }
    return nullptr;
  };
  boost::json::object obj;
  for (uint64_t k = row_offsets_[row]; k < row_offsets_[row + 1]; ++k) {
    const Pair& p = pairs_[k];
    const Value& v = values_[p.value];
    if (v.kind == Kind::kArray) {
      boost::json::array arr;
      for (uint32_t e = 0; e < v.count; ++e) arr.push_back(to_json(array_elems_[v.payload + e]));
      obj[fields_.get(p.field)] = std::move(arr);
    } else {
      obj[fields_.get(p.field)] = to_json(p.value);
    }
  }
  return obj;
}

void MetadataStore::encode(std::string& out) const {
  put_varint(out, fields_.size());
  for (std::size_t k = 0; k < fields_.size(); ++k) put_bytes(out, fields_.get(static_cast<uint32_t>(k)));
  put_varint(out, strings_.size());
  for (std::size_t k = 0; k < strings_.size(); ++k) put_bytes(out, strings_.get(static_cast<uint32_t>(k)));
  put_varint(out, values_.size());
  for (const Value& v : values_) {
    put_u8(out, static_cast<uint8_t>(v.kind));
    switch (v.kind) {
      case Kind::kBool: put_u8(out, static_cast<uint8_t>(v.payload)); break;
      case Kind::kInt: put_varint(out, zigzag(static_cast<int64_t>(v.payload))); break;
      case Kind::kDouble: put_u64(out, v.payload); break;
      case Kind::kString: put_varint(out, v.payload); break;
      case Kind::kArray:
        put_varint(out, v.count);
        for (uint32_t k = 0; k < v.count; ++k) put_varint(out, array_elems_[v.payload + k]);
        break;
    }
  }
  put_varint(out, rows());
  for (std::size_t r = 0; r < rows(); ++r) {
    put_varint(out, row_offsets_[r + 1] - row_offsets_[r]);
    for (uint64_t k = row_offsets_[r]; k < row_offsets_[r + 1]; ++k) {
      put_varint(out, pairs_[k].field);
      put_varint(out, pairs_[k].value);
    }
  }
}

core::Status MetadataStore::decode(ByteReader& in, std::size_t expected_rows) {
  using core::Status;
  clear();
  // Every item takes at least one byte, so no count can exceed the bytes left: this bounds
  // allocations before anything is read.
  uint64_t n = 0;
  ANVIL_RETURN_IF_ERROR(in.bounded(n, in.remaining(), "metadata field count"));
  for (uint64_t k = 0; k < n; ++k) {
    std::string_view name;
    const std::size_t at = in.offset();
    ANVIL_RETURN_IF_ERROR(in.sized_bytes(name, "metadata field name"));
    if (fields_.intern(name) != k) {
      return Status::corrupt(fmt::format("duplicate metadata field name at byte {}", at));
    }
  }
  ANVIL_RETURN_IF_ERROR(in.bounded(n, in.remaining(), "metadata string count"));
  for (uint64_t k = 0; k < n; ++k) {
    std::string_view s;
    const std::size_t at = in.offset();
    ANVIL_RETURN_IF_ERROR(in.sized_bytes(s, "metadata string"));
    if (strings_.intern(s) != k) {
      return Status::corrupt(fmt::format("duplicate metadata string at byte {}", at));
    }
  }
  ANVIL_RETURN_IF_ERROR(in.bounded(n, in.remaining(), "metadata value count"));
  values_.reserve(n);
  std::vector<uint32_t> elems;
  for (uint64_t k = 0; k < n; ++k) {
    const std::size_t at = in.offset();
    uint8_t kind = 0;
    ANVIL_RETURN_IF_ERROR(in.u8(kind, "metadata value kind"));
    Value v;
    v.kind = static_cast<Kind>(kind);
    uint64_t x = 0;
    switch (v.kind) {
      case Kind::kBool:
        ANVIL_RETURN_IF_ERROR(in.u8(kind, "metadata boolean"));
        if (kind > 1) {
          return Status::corrupt(fmt::format("bad metadata boolean at byte {}: expected 0 or 1, found {}",
                                             in.offset() - 1, kind));
        }
        v.payload = kind;
        break;
      case Kind::kInt:
        ANVIL_RETURN_IF_ERROR(in.varint(x, "metadata integer"));
        v.payload = static_cast<uint64_t>(unzigzag(x));
        break;
      case Kind::kDouble: ANVIL_RETURN_IF_ERROR(in.u64(v.payload, "metadata number")); break;
      case Kind::kString:
        if (strings_.size() == 0) {
          return Status::corrupt(fmt::format("metadata string value at byte {} but no strings", at));
        }
        ANVIL_RETURN_IF_ERROR(in.bounded(v.payload, strings_.size() - 1, "metadata string id"));
        break;
      case Kind::kArray: {
        ANVIL_RETURN_IF_ERROR(in.bounded(x, in.remaining(), "metadata array length"));
        v.count = static_cast<uint32_t>(x);
        elems.resize(v.count);
        for (uint32_t e = 0; e < v.count; ++e) {
          // Elements are scalars interned before the array that holds them.
          ANVIL_RETURN_IF_ERROR(in.bounded(x, k == 0 ? 0 : k - 1, "metadata array element"));
          if (k == 0 || values_[x].kind == Kind::kArray) {
            return Status::corrupt(fmt::format("bad metadata array element at byte {}", at));
          }
          elems[e] = static_cast<uint32_t>(x);
        }
        break;
      }
      default:
        return Status::corrupt(fmt::format(
            "bad metadata value kind at byte {}: expected 0..4, found {}", at, kind));
    }
    if (intern_value(v, elems.data()) != k) {
      return Status::corrupt(fmt::format("duplicate metadata value at byte {}", at));
    }
  }
  ANVIL_RETURN_IF_ERROR(in.varint(n, "metadata row count"));
  if (n != expected_rows) {
    return Status::corrupt(fmt::format("metadata row count: expected {} (one per chunk), found {}",
                                       expected_rows, n));
  }
  row_offsets_.reserve(n + 1);
  for (uint64_t r = 0; r < n; ++r) {
    uint64_t count = 0;
    ANVIL_RETURN_IF_ERROR(in.bounded(count, in.remaining(), "metadata row size"));
    uint64_t previous_field = 0;
    for (uint64_t k = 0; k < count; ++k) {
      const std::size_t at = in.offset();
      uint64_t field = 0, value = 0;
      ANVIL_RETURN_IF_ERROR(in.varint(field, "metadata row field"));
      ANVIL_RETURN_IF_ERROR(in.varint(value, "metadata row value"));
      if (field >= fields_.size() || value >= values_.size() || (k > 0 && field <= previous_field)) {
        return Status::corrupt(fmt::format(
            "bad metadata pair in row {} at byte {}: field {} of {}, value {} of {}", r, at, field,
            fields_.size(), value, values_.size()));
      }
      previous_field = field;
      pairs_.push_back(Pair{static_cast<uint32_t>(field), static_cast<uint32_t>(value)});
    }
    row_offsets_.push_back(pairs_.size());
  }
  return {};
}

void MetadataStore::clear() {
  fields_.clear();
  strings_.clear();
  values_.clear();
  values_.shrink_to_fit();
  array_elems_.clear();
  array_elems_.shrink_to_fit();
  value_table_.clear();
  row_offsets_.assign(1, 0);
  row_offsets_.shrink_to_fit();
  pairs_.clear();
  pairs_.shrink_to_fit();
}

std::size_t MetadataStore::memory_bytes() const {
  return fields_.memory_bytes() + strings_.memory_bytes() + values_.capacity() * sizeof(Value) +
         array_elems_.capacity() * sizeof(uint32_t) + value_table_.memory_bytes() +
         row_offsets_.capacity() * sizeof(uint64_t) + pairs_.capacity() * sizeof(Pair);
}

}  // namespace anvil::rag::bm25
