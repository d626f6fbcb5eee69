// Writes GGUF v3 files that llama.cpp and GgufFile read: metadata of every value type, then
// tensors streamed one by one (the header and tensor table go first, since every size is known up
// front), so a multi-GB model is written without holding it in memory. Writes are atomic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/ggml_type.h"
#include "anvil/engine/gguf.h"

namespace anvil::engine {

class GgufWriter {
 public:
  // Receives the bytes of a tensor, in order, in chunks of any size.
  using ChunkSink = std::function<core::Status(std::span<const uint8_t>)>;
  // Produces a tensor's bytes through the sink; called once, while write() runs.
  using TensorSource = std::function<core::Status(const ChunkSink&)>;

  GgufWriter() = default;

  // Metadata. Setting a key again replaces its value where it was (the key order is kept).
  void set_uint8(std::string_view key, uint8_t v);
  void set_int8(std::string_view key, int8_t v);
  void set_uint16(std::string_view key, uint16_t v);
  void set_int16(std::string_view key, int16_t v);
  void set_uint32(std::string_view key, uint32_t v);
  void set_int32(std::string_view key, int32_t v);
  void set_uint64(std::string_view key, uint64_t v);
  void set_int64(std::string_view key, int64_t v);
  void set_float32(std::string_view key, float v);
  void set_float64(std::string_view key, double v);
  void set_bool(std::string_view key, bool v);
  void set_string(std::string_view key, std::string_view v);
  void set_string_array(std::string_view key, std::span<const std::string> v);
  void set_string_array(std::string_view key, std::span<const std::string_view> v);
  void set_uint8_array(std::string_view key, std::span<const uint8_t> v);
  void set_int32_array(std::string_view key, std::span<const int32_t> v);
  void set_uint32_array(std::string_view key, std::span<const uint32_t> v);
  void set_int64_array(std::string_view key, std::span<const int64_t> v);
  void set_float32_array(std::string_view key, std::span<const float> v);
  // Any value, arrays of arrays included: how `anvil quantize` copies metadata across.
  void set_value(std::string_view key, const GgufValue& value);
  bool remove(std::string_view key);
  bool has(std::string_view key) const;
  size_t metadata_count() const { return metadata_.size(); }

  // Tensor data alignment (a power of two; default 32), kept in the general.alignment key (uint32
  // as llama.cpp expects); setting that key through set_* or set_value changes it too.
  void set_alignment(uint32_t alignment) { set_uint32("general.alignment", alignment); }
  uint64_t alignment() const { return alignment_; }

  // For tests of the reader: the version written in the header (2 or 3; the layouts are the same
  // for little-endian files).
  void set_version(uint32_t version) { version_ = version; }

  // Tensors, in file order. `ne` as in GgufTensor (ne[0] innermost, 1 to 4 dims). Errors: an
  // invalid name, shape or type, or a duplicate name. The bytes are copied.
  core::Status add_tensor(std::string_view name, GgmlType type, std::span<const int64_t> ne,
                          std::span<const uint8_t> data);
  // Streams the data at write time: `source` must produce exactly ggml_row_size(type, ne[0]) *
  // rows bytes.
  core::Status add_tensor(std::string_view name, GgmlType type, std::span<const int64_t> ne,
                          TensorSource source);
  size_t tensor_count() const { return tensors_.size(); }

  // The size of the file write() will produce.
  uint64_t file_size() const;

  // Writes "<path>.tmp.<pid>.<n>", fsyncs it, renames it over `path`, fsyncs the folder. On any
  // error (including one returned by a TensorSource) the temporary file is removed and `path`
  // is untouched.
  core::Status write(const std::filesystem::path& path) const;
  // The same bytes in memory, for tests and the fuzzer's seed corpus.
  core::Result<std::string> write_to_string() const;

 private:
  struct Entry {
    std::string key;
    std::string encoded;  // u32 value type + payload, as on disk
  };
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    uint64_t n_bytes = 0;
    TensorSource source;
  };

  void put(std::string_view key, std::string encoded);
  core::Status check_tensor(std::string_view name, GgmlType type, std::span<const int64_t> ne,
                            uint64_t* n_bytes) const;
  std::string header_bytes() const;  // header, metadata, tensor table, padding to the data
  core::Status write_to(const ChunkSink& sink) const;

  uint32_t version_ = 3;
  uint64_t alignment_ = 32;
  std::vector<Entry> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace anvil::engine
