// Reads GGUF files (v2 and v3, as llama.cpp writes them): memory-maps the file, parses every
// metadata value type and the tensor table, and validates offsets, alignment and sizes so that a
// tensor view handed out never points outside the mapping. Format notes: docs/GGUF.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/ggml_type.h"

namespace anvil::engine {

// Metadata value types, with their on-disk ids.
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
std::string_view gguf_value_type_name(GgufValueType type);

class GgufElements;

// One metadata value. Scalars are held widened; strings point into the mapping (string_views stay
// valid as long as the GgufFile lives). An array read from a file is a typed view of its encoded
// elements in the mapping, not one object per element (a tokenizer's 150k-token arrays would cost
// 56 bytes an element): element(i) decodes on demand. Arrays of arrays (no real file has one) and
// arrays built in memory hold their elements.
class GgufValue {
 public:
  GgufValueType type() const { return type_; }
  // For arrays: the element type and count.
  GgufValueType array_type() const { return array_type_; }
  size_t array_size() const { return count_; }

  bool is_integer() const;  // any of the integer types (not bool)
  bool is_float() const;    // float32 / float64
  // Typed access; nullopt if the value is not of a compatible kind (integers convert among
  // themselves when the value fits; floats accept integers).
  std::optional<int64_t> as_int() const;
  std::optional<uint64_t> as_uint() const;
  std::optional<double> as_float() const;
  std::optional<bool> as_bool() const;
  std::optional<std::string_view> as_string() const;

  // Element i < array_size() of an array. Constant time for fixed-size element types; a string
  // element walks at most kStringStride - 1 length prefixes from the nearest recorded offset.
  GgufValue element(size_t i) const;
  // The elements for range-for and indexing (decoded on demand; empty if not an array).
  GgufElements elements() const;

  // Human-readable rendering, arrays shortened after `max_elements` items: used by `model info`.
  std::string to_string(size_t max_elements = 8) const;

  // Builders, for tests and for GgufWriter::set_value. A string value does not copy: `s` must
  // outlive the value.
  static GgufValue make_uint(GgufValueType type, uint64_t v);  // kUint8..kUint64, or kBool
  static GgufValue make_int(GgufValueType type, int64_t v);    // kInt8..kInt64
  static GgufValue make_float(GgufValueType type, double v);   // kFloat32 / kFloat64
  static GgufValue make_string(std::string_view s);
  static GgufValue make_array(GgufValueType element_type, std::vector<GgufValue> elements);

  // Every kStringStride-th string element's offset is recorded: 0.5 bytes per element.
  static constexpr size_t kStringStride = 16;

 private:
  friend class GgufParser;
  friend class GgufElements;
  // A scalar of `type` from its little-endian encoding at `p` (the parser has checked it).
  static GgufValue decode_scalar(GgufValueType type, const uint8_t* p);
  // The element whose encoding starts at byte `offset` of raw_ (views of scalars and strings).
  GgufValue element_at(uint64_t offset) const;
  // Bytes of the encoded element at byte `offset` of raw_.
  uint64_t encoded_size_at(uint64_t offset) const;

  GgufValueType type_ = GgufValueType::kUint8;
  GgufValueType array_type_ = GgufValueType::kUint8;
  union {
    uint64_t u_ = 0;  // unsigned integers and bool
    int64_t i_;       // signed integers
    double f_;        // floats (a float32 is held widened)
  };
  std::string_view s_;             // strings
  uint64_t count_ = 0;             // arrays: element count
  std::span<const uint8_t> raw_;   // arrays read from a file (not of arrays): the encoded elements
  std::vector<uint64_t> string_offsets_;  // arrays of strings in raw_: offset of element k * kStringStride
  std::vector<GgufValue> children_;       // arrays built in memory and arrays of arrays: the elements
};

// The elements of an array value, decoded one at a time; refers to the value (keep it alive).
class GgufElements {
 public:
  class Iterator {
   public:
    using value_type = GgufValue;
    using difference_type = std::ptrdiff_t;
    GgufValue operator*() const;
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class GgufElements;
    Iterator(const GgufValue* array, size_t index) : array_(array), index_(index) {}
    const GgufValue* array_;
    size_t index_;
    uint64_t offset_ = 0;  // into the array's raw bytes, for views
  };

  explicit GgufElements(const GgufValue& array) : array_(&array) {}
  size_t size() const { return array_->array_size(); }
  bool empty() const { return size() == 0; }
  GgufValue operator[](size_t i) const { return array_->element(i); }
  Iterator begin() const { return Iterator(array_, 0); }
  Iterator end() const { return Iterator(array_, size()); }

 private:
  const GgufValue* array_;
};

struct GgufKeyValue {
  std::string_view key;
  GgufValue value;
};

// A tensor in the file. ne[0] is the innermost (contiguous) dimension, as in ggml: a weight
// matrix of shape [n_out, n_in] in PyTorch terms has ne = {n_in, n_out}.
struct GgufTensor {
  std::string_view name;
  GgmlType type = GgmlType::kF32;
  int n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};
  uint64_t offset = 0;     // relative to the start of the data section
  const uint8_t* data = nullptr;  // into the mapping
  size_t n_bytes = 0;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return ggml_row_size(type, ne[0]); }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
};

class GgufFile {
 public:
  // Maps and validates `path`. Errors name the file and the problem, e.g.
  // "model.gguf: bad magic: expected 'GGUF', found 'PK\x03\x04'" or
  // "model.gguf: tensor 'blk.0.attn_q.weight' (offset 128, 4096 bytes) runs past the end of the
  // file (data section at 416, file size 2000)". Every rule and message: docs/GGUF.md.
  static core::Result<std::unique_ptr<GgufFile>> open(const std::filesystem::path& path);
  // Parses a file already in memory (no copy: `bytes` must outlive the result). Used by the
  // fuzzer and tests.
  static core::Result<std::unique_ptr<GgufFile>> parse(std::span<const uint8_t> bytes,
                                                       std::string name = "<memory>");
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const std::string& name() const { return name_; }  // the path, for messages
  size_t file_size() const { return bytes_.size(); }
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<GgufKeyValue>& metadata() const { return metadata_; }
  const GgufValue* find(std::string_view key) const;

  // Typed getters: nullopt when the key is absent; an error when it is present with the wrong
  // type ("model.gguf: metadata 'llama.context_length' is a string, expected an integer").
  core::Result<std::optional<int64_t>> get_int(std::string_view key) const;
  core::Result<std::optional<double>> get_float(std::string_view key) const;
  core::Result<std::optional<bool>> get_bool(std::string_view key) const;
  core::Result<std::optional<std::string_view>> get_string(std::string_view key) const;
  // Arrays: nullopt when absent; an error when not an array of the right element kind.
  core::Result<std::optional<std::vector<std::string_view>>> get_string_array(
      std::string_view key) const;
  core::Result<std::optional<std::vector<float>>> get_float_array(std::string_view key) const;
  core::Result<std::optional<std::vector<int64_t>>> get_int_array(std::string_view key) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* find_tensor(std::string_view name) const;

  // Asks the kernel to keep the mapping resident or to read it ahead (madvise); best effort.
  void advise_willneed() const;

 private:
  friend class GgufParser;
  GgufFile() = default;
  std::string name_;
  std::span<const uint8_t> bytes_;
  void* mapping_ = nullptr;  // owned mmap, if opened from a path
  size_t mapping_size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> metadata_;
  std::vector<GgufTensor> tensors_;
};

}  // namespace anvil::engine
