#include "anvil/engine/gguf_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "anvil/engine/gguf_util.h"

namespace anvil::engine {
namespace {

// llama.cpp keeps tensor names in a 64-byte buffer (GGML_MAX_NAME), NUL included.
constexpr size_t kMaxTensorName = 63;
constexpr uint64_t kDefaultAlignment = 32;

template <typename T>
void append_raw(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

void append_string(std::string& out, std::string_view s) {
  append_raw<uint64_t>(out, s.size());
  out.append(s);
}

void append_type(std::string& out, GgufValueType type) { append_raw(out, static_cast<uint32_t>(type)); }

template <typename T>
std::string encode_scalar(GgufValueType type, T v) {
  std::string out;
  append_type(out, type);
  append_raw(out, v);
  return out;
}

template <typename T>
std::string encode_array(GgufValueType element_type, std::span<const T> v) {
  std::string out;
  append_type(out, GgufValueType::kArray);
  append_type(out, element_type);
  append_raw<uint64_t>(out, v.size());
  for (const T& x : v) append_raw(out, x);
  return out;
}

// The payload of a value (no type id), for set_value.
void append_payload(std::string& out, const GgufValue& v) {
  switch (v.type()) {
    case GgufValueType::kUint8: append_raw(out, static_cast<uint8_t>(*v.as_uint())); break;
    case GgufValueType::kInt8: append_raw(out, static_cast<int8_t>(*v.as_int())); break;
    case GgufValueType::kUint16: append_raw(out, static_cast<uint16_t>(*v.as_uint())); break;
    case GgufValueType::kInt16: append_raw(out, static_cast<int16_t>(*v.as_int())); break;
    case GgufValueType::kUint32: append_raw(out, static_cast<uint32_t>(*v.as_uint())); break;
    case GgufValueType::kInt32: append_raw(out, static_cast<int32_t>(*v.as_int())); break;
    case GgufValueType::kUint64: append_raw(out, *v.as_uint()); break;
    case GgufValueType::kInt64: append_raw(out, *v.as_int()); break;
    case GgufValueType::kFloat32: append_raw(out, static_cast<float>(*v.as_float())); break;
    case GgufValueType::kFloat64: append_raw(out, *v.as_float()); break;
    case GgufValueType::kBool: append_raw<uint8_t>(out, *v.as_bool() ? 1 : 0); break;
    case GgufValueType::kString: append_string(out, *v.as_string()); break;
    case GgufValueType::kArray:
      append_type(out, v.array_type());
      append_raw<uint64_t>(out, v.array_size());
      for (const auto& e : v.elements()) append_payload(out, e);
      break;
  }
}

uint64_t align_up(uint64_t x, uint64_t alignment) { return (x + alignment - 1) / alignment * alignment; }

core::Status errno_status(const std::filesystem::path& path, std::string_view action, int err) {
  std::string message = fmt::format("{}: cannot {}: {}", path.string(), action, std::strerror(err));
  if (err == ENOENT || err == ENOTDIR) return core::Status::not_found(std::move(message));
  if (err == EACCES || err == EPERM) return core::Status::permission_denied(std::move(message));
  return core::Status::io(std::move(message));
}

// Buffered writes to a descriptor: tensors arrive in rows of a few KB.
class FdWriter {
 public:
  FdWriter(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) { buffer_.reserve(kBuffer); }
  core::Status write(std::span<const uint8_t> bytes) {
    if (buffer_.size() + bytes.size() > kBuffer) ANVIL_RETURN_IF_ERROR(flush());
    if (bytes.size() >= kBuffer) return write_all(bytes);
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return {};
  }
  core::Status flush() {
    ANVIL_RETURN_IF_ERROR(write_all(buffer_));
    buffer_.clear();
    return {};
  }

 private:
  static constexpr size_t kBuffer = size_t{4} << 20;
  core::Status write_all(std::span<const uint8_t> bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status(path_, "write", errno);
      }
      done += static_cast<size_t>(n);
    }
    return {};
  }
  int fd_;
  std::filesystem::path path_;
  std::vector<uint8_t> buffer_;
};

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

void GgufWriter::put(std::string_view key, std::string encoded) {
  if (key == "general.alignment") {
    // Read back what we just encoded: any integer type is accepted here, and write() rejects a
    // value that is not a power of two.
    uint32_t type = 0;
    std::memcpy(&type, encoded.data(), 4);
    uint64_t a = 0;  // 0: not an unsigned integer, which write() reports
    const size_t n = encoded.size() - 4;
    const auto t = static_cast<GgufValueType>(type);
    const bool is_unsigned = t == GgufValueType::kUint8 || t == GgufValueType::kUint16 ||
                             t == GgufValueType::kUint32 || t == GgufValueType::kUint64;
    if (is_unsigned && n <= 8) std::memcpy(&a, encoded.data() + 4, n);
    alignment_ = a;
  }
  for (auto& e : metadata_) {
    if (e.key == key) {
      e.encoded = std::move(encoded);
      return;
    }
  }
  metadata_.push_back({std::string(key), std::move(encoded)});
}

void GgufWriter::set_uint8(std::string_view key, uint8_t v) { put(key, encode_scalar(GgufValueType::kUint8, v)); }
void GgufWriter::set_int8(std::string_view key, int8_t v) { put(key, encode_scalar(GgufValueType::kInt8, v)); }
void GgufWriter::set_uint16(std::string_view key, uint16_t v) { put(key, encode_scalar(GgufValueType::kUint16, v)); }
void GgufWriter::set_int16(std::string_view key, int16_t v) { put(key, encode_scalar(GgufValueType::kInt16, v)); }
void GgufWriter::set_uint32(std::string_view key, uint32_t v) { put(key, encode_scalar(GgufValueType::kUint32, v)); }
void GgufWriter::set_int32(std::string_view key, int32_t v) { put(key, encode_scalar(GgufValueType::kInt32, v)); }
void GgufWriter::set_uint64(std::string_view key, uint64_t v) { put(key, encode_scalar(GgufValueType::kUint64, v)); }
void GgufWriter::set_int64(std::string_view key, int64_t v) { put(key, encode_scalar(GgufValueType::kInt64, v)); }
void GgufWriter::set_float32(std::string_view key, float v) { put(key, encode_scalar(GgufValueType::kFloat32, v)); }
void GgufWriter::set_float64(std::string_view key, double v) { put(key, encode_scalar(GgufValueType::kFloat64, v)); }
void GgufWriter::set_bool(std::string_view key, bool v) {
  put(key, encode_scalar<uint8_t>(GgufValueType::kBool, v ? 1 : 0));
}
void GgufWriter::set_string(std::string_view key, std::string_view v) {
  std::string out;
  append_type(out, GgufValueType::kString);
  append_string(out, v);
  put(key, std::move(out));
}

void GgufWriter::set_string_array(std::string_view key, std::span<const std::string> v) {
  std::string out;
  append_type(out, GgufValueType::kArray);
  append_type(out, GgufValueType::kString);
  append_raw<uint64_t>(out, v.size());
  for (const auto& s : v) append_string(out, s);
  put(key, std::move(out));
}

void GgufWriter::set_string_array(std::string_view key, std::span<const std::string_view> v) {
  std::string out;
  append_type(out, GgufValueType::kArray);
  append_type(out, GgufValueType::kString);
  append_raw<uint64_t>(out, v.size());
  for (const auto& s : v) append_string(out, s);
  put(key, std::move(out));
}

void GgufWriter::set_uint8_array(std::string_view key, std::span<const uint8_t> v) {
  put(key, encode_array(GgufValueType::kUint8, v));
}
void GgufWriter::set_int32_array(std::string_view key, std::span<const int32_t> v) {
  put(key, encode_array(GgufValueType::kInt32, v));
}
void GgufWriter::set_uint32_array(std::string_view key, std::span<const uint32_t> v) {
  put(key, encode_array(GgufValueType::kUint32, v));
}
void GgufWriter::set_int64_array(std::string_view key, std::span<const int64_t> v) {
  put(key, encode_array(GgufValueType::kInt64, v));
}
void GgufWriter::set_float32_array(std::string_view key, std::span<const float> v) {
  put(key, encode_array(GgufValueType::kFloat32, v));
}

void GgufWriter::set_value(std::string_view key, const GgufValue& value) {
  std::string out;
  append_type(out, value.type());
  append_payload(out, value);
  put(key, std::move(out));
}

bool GgufWriter::remove(std::string_view key) {
  auto it = std::find_if(metadata_.begin(), metadata_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == metadata_.end()) return false;
  metadata_.erase(it);
  if (key == "general.alignment") alignment_ = kDefaultAlignment;
  return true;
}

bool GgufWriter::has(std::string_view key) const {
  return std::any_of(metadata_.begin(), metadata_.end(), [&](const Entry& e) { return e.key == key; });
}

core::Status GgufWriter::check_tensor(std::string_view name, GgmlType type, std::span<const int64_t> ne,
                                      uint64_t* n_bytes) const {
  const std::string shown = escape_bytes(name);
  if (name.empty()) return core::Status::invalid_argument("tensor name is empty");
  if (name.size() > kMaxTensorName) {
    return core::Status::invalid_argument(fmt::format(
        "tensor name '{}' is {} bytes long; llama.cpp reads at most {}", shown, name.size(), kMaxTensorName));
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return core::Status::already_exists(fmt::format("duplicate tensor name '{}'", shown));
  }
  if (ne.empty() || ne.size() > 4) {
    return core::Status::invalid_argument(
        fmt::format("tensor '{}' has {} dimensions, expected 1 to 4", shown, ne.size()));
  }
  int64_t n = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] <= 0) {
      return core::Status::invalid_argument(
          fmt::format("tensor '{}' has size {} in dimension {}, expected a positive size", shown, ne[d], d));
    }
    if (__builtin_mul_overflow(n, ne[d], &n)) {
      return core::Status::invalid_argument(fmt::format("tensor '{}': the element count overflows 64 bits", shown));
    }
  }
  const auto& traits = ggml_traits(type);
  if (ne[0] % traits.block_size != 0) {
    return core::Status::invalid_argument(
        fmt::format("tensor '{}' has rows of {} elements (ne[0]), not a multiple of the {} block size {}",
                    shown, ne[0], traits.name, traits.block_size));
  }
  *n_bytes = static_cast<uint64_t>(n / traits.block_size) * static_cast<uint64_t>(traits.type_size);
  return {};
}

core::Status GgufWriter::add_tensor(std::string_view name, GgmlType type, std::span<const int64_t> ne,
                                    std::span<const uint8_t> data) {
  uint64_t n_bytes = 0;
  ANVIL_RETURN_IF_ERROR(check_tensor(name, type, ne, &n_bytes));
  if (data.size() != n_bytes) {
    return core::Status::invalid_argument(fmt::format("tensor '{}' of type {} and shape {} needs {} bytes, got {}",
                                                      escape_bytes(name), ggml_type_name(type),
                                                      fmt::format("[{}]", fmt::join(ne, ", ")), n_bytes,
                                                      data.size()));
  }
  auto owned = std::make_shared<std::vector<uint8_t>>(data.begin(), data.end());
  tensors_.push_back({std::string(name), type, std::vector<int64_t>(ne.begin(), ne.end()), n_bytes,
                      [owned](const ChunkSink& sink) { return sink(*owned); }});
  return {};
}

core::Status GgufWriter::add_tensor(std::string_view name, GgmlType type, std::span<const int64_t> ne,
                                    TensorSource source) {
  uint64_t n_bytes = 0;
  ANVIL_RETURN_IF_ERROR(check_tensor(name, type, ne, &n_bytes));
  tensors_.push_back(
      {std::string(name), type, std::vector<int64_t>(ne.begin(), ne.end()), n_bytes, std::move(source)});
  return {};
}

std::string GgufWriter::header_bytes() const {
  std::string out;
  out.append("GGUF");
  append_raw<uint32_t>(out, version_);
  append_raw<uint64_t>(out, tensors_.size());
  append_raw<uint64_t>(out, metadata_.size());
  for (const auto& e : metadata_) {
    append_string(out, e.key);
    out.append(e.encoded);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    append_string(out, t.name);
    append_raw<uint32_t>(out, static_cast<uint32_t>(t.ne.size()));
    for (int64_t n : t.ne) append_raw(out, n);
    append_raw(out, static_cast<uint32_t>(t.type));
    append_raw(out, offset);
    offset = align_up(offset + t.n_bytes, alignment_);
  }
  out.resize(align_up(out.size(), alignment_), '\0');
  return out;
}

uint64_t GgufWriter::file_size() const {
  uint64_t size = header_bytes().size();
  for (const auto& t : tensors_) size += align_up(t.n_bytes, alignment_);
  return size;
}

core::Status GgufWriter::write_to(const ChunkSink& sink) const {
  if (alignment_ == 0 || !std::has_single_bit(alignment_)) {
    return core::Status::invalid_argument(
        fmt::format("general.alignment must be an unsigned power of two, found {}", alignment_));
  }
  if (version_ != 2 && version_ != 3) {
    return core::Status::invalid_argument(fmt::format("GGUF version must be 2 or 3, found {}", version_));
  }
  ANVIL_RETURN_IF_ERROR(sink(as_bytes(header_bytes())));
  // Each tensor's data is padded to the alignment, the last one too (as llama.cpp writes it).
  static const std::vector<uint8_t> kZeros(4096, 0);
  for (const auto& t : tensors_) {
    uint64_t written = 0;
    ChunkSink counting = [&](std::span<const uint8_t> chunk) -> core::Status {
      written += chunk.size();
      if (written > t.n_bytes) return core::Status::ok_status();  // reported below
      return sink(chunk);
    };
    ANVIL_RETURN_IF_ERROR(t.source(counting).with_context(fmt::format("tensor '{}'", escape_bytes(t.name))));
    if (written != t.n_bytes) {
      return core::Status::internal(fmt::format("tensor '{}': the source produced {} bytes, expected {}",
                                                escape_bytes(t.name), written, t.n_bytes));
    }
    uint64_t pad = align_up(t.n_bytes, alignment_) - t.n_bytes;
    while (pad > 0) {
      const size_t n = std::min<uint64_t>(pad, kZeros.size());
      ANVIL_RETURN_IF_ERROR(sink(std::span<const uint8_t>(kZeros.data(), n)));
      pad -= n;
    }
  }
  return {};
}

core::Result<std::string> GgufWriter::write_to_string() const {
  std::string out;
  ANVIL_RETURN_IF_ERROR(write_to([&](std::span<const uint8_t> chunk) -> core::Status {
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return {};
  }));
  return out;
}

core::Status GgufWriter::write(const std::filesystem::path& path) const {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}.{}", ::getpid(), counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status(tmp, "create", errno);
  auto fail = [&](core::Status status) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return status;
  };
  FdWriter out(fd, tmp);
  core::Status status = write_to([&](std::span<const uint8_t> chunk) { return out.write(chunk); });
  if (!status.ok()) return fail(status.with_context(path.string()));
  status = out.flush();
  if (!status.ok()) return fail(status);
  if (::fsync(fd) != 0) return fail(errno_status(tmp, "fsync", errno));
  const int closing = fd;
  fd = -1;
  if (::close(closing) != 0) return fail(errno_status(tmp, "close", errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(errno_status(path, "rename into place", errno));
  // The rename is durable only once the folder entry is on disk.
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

}  // namespace anvil::engine
