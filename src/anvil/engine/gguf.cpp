#include "anvil/engine/gguf.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_set>

#include "anvil/engine/gguf_util.h"

namespace anvil::engine {
namespace {

constexpr uint64_t kDefaultAlignment = 32;
constexpr int kMaxDims = 4;
// Arrays of arrays nest at most this deep: no real file nests at all, and a bound keeps a
// crafted file from exhausting the stack.
constexpr int kMaxArrayDepth = 8;
// Arrays stay in the mapping, but an array of arrays holds one GgufValue per element and a string
// array 0.5 bytes per element: a bound keeps a crafted file from costing many times its size.
// Real files hold a few million elements at most (vocabularies of ~256k tokens: tokens, scores,
// types and merges).
constexpr uint64_t kMaxArrayElements = uint64_t{1} << 25;

// Smallest encoding of one value of `type` (for arrays: its element-type and count fields).
uint64_t min_encoded_size(GgufValueType type) {
  if (type == GgufValueType::kString) return 8;
  if (type == GgufValueType::kArray) return 12;
  return gguf_scalar_size(type);
}

bool is_valid_value_type(uint32_t raw) { return raw <= static_cast<uint32_t>(GgufValueType::kFloat64); }

core::Status errno_status(const std::filesystem::path& path, std::string_view action, int err) {
  std::string message = fmt::format("{}: cannot {}: {}", path.string(), action, std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR: return core::Status::not_found(std::move(message));
    case EACCES:
    case EPERM: return core::Status::permission_denied(std::move(message));
    case EISDIR: return core::Status::invalid_argument(std::move(message));
    default: return core::Status::io(std::move(message));
  }
}

}  // namespace

// Walks the bytes front to back. Every read checks the remaining length first, so no input can
// make it read outside `bytes`.
class GgufParser {
 public:
  explicit GgufParser(GgufFile& file) : file_(file), bytes_(file.bytes_) {}

  core::Status parse() {
    core::Status status = parse_sections();
    if (status.ok() || !looks_text_converted()) return status;
    return core::Status(status.code(),
                        status.message() +
                            " (the file is valid UTF-8 with U+FFFD replacement characters where "
                            "binary data belongs: it was damaged by a text conversion; get an "
                            "unconverted copy)");
  }

 private:
  core::Status parse_sections() {
    ANVIL_RETURN_IF_ERROR(parse_header());
    ANVIL_RETURN_IF_ERROR(parse_metadata());
    ANVIL_RETURN_IF_ERROR(parse_alignment());
    ANVIL_RETURN_IF_ERROR(parse_tensor_infos());
    // The data section starts at the first aligned offset after the tensor table (the padding
    // may be missing when there are no tensors: llama.cpp's vocab-only files end there).
    file_.data_offset_ = align_up(pos_, file_.alignment_);
    return check_tensor_data();
  }

  // A binary file passed through a lossy UTF-8 decode and encode (a text-mode download, an editor)
  // becomes valid UTF-8 with EF BF BD wherever a byte did not decode. A real GGUF file is almost
  // never valid UTF-8 as a whole (counts, floats and tensor data hold bytes >= 0x80).
  bool looks_text_converted() const {
    static constexpr uint8_t kReplacement[] = {0xEF, 0xBF, 0xBD};
    if (std::search(bytes_.begin(), bytes_.end(), std::begin(kReplacement), std::end(kReplacement)) ==
        bytes_.end()) {
      return false;
    }
    size_t i = 0;
    const size_t n = bytes_.size();
    while (i < n) {
      const uint8_t c = bytes_[i];
      size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      if (len == 0 || i + len > n) return false;
      for (size_t k = 1; k < len; ++k) {
        if ((bytes_[i + k] & 0xC0) != 0x80) return false;
      }
      i += len;
    }
    return true;
  }

  core::Status corrupt(std::string message) const {
    return core::Status::corrupt(fmt::format("{}: {}", file_.name_, message));
  }
  core::Status unsupported(std::string message) const {
    return core::Status::unsupported(fmt::format("{}: {}", file_.name_, message));
  }

  // `describe()` names what is being read, built only when the read fails.
  template <typename Describe>
  core::Status need(uint64_t n, Describe&& describe, bool at_least = false) const {
    if (n <= bytes_.size() - pos_) return {};
    return corrupt(fmt::format("truncated: expected {}{} bytes for {} at offset {}, file has {}",
                               at_least ? "at least " : "", n, describe(), pos_, bytes_.size()));
  }

  template <typename T, typename Describe>
  core::Status read(T* out, Describe&& describe) {
    ANVIL_RETURN_IF_ERROR(need(sizeof(T), describe));
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return {};
  }

  // A string is a u64 byte length and the bytes (UTF-8, not NUL-terminated).
  template <typename Describe>
  core::Status read_string(std::string_view* out, Describe&& describe) {
    uint64_t length = 0;
    ANVIL_RETURN_IF_ERROR(read(&length, [&] { return "the length of " + describe(); }));
    ANVIL_RETURN_IF_ERROR(need(length, describe));
    *out = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return {};
  }

  core::Status parse_header() {
    const auto* d = bytes_.data();
    ANVIL_RETURN_IF_ERROR(need(4, [] { return std::string("magic"); }));
    if (std::memcmp(d, "GGUF", 4) != 0) {
      return corrupt(fmt::format("bad magic: expected 'GGUF', found '{}'",
                                 escape_bytes(std::string_view(reinterpret_cast<const char*>(d), 4))));
    }
    pos_ = 4;
    uint32_t version = 0;
    ANVIL_RETURN_IF_ERROR(read(&version, [] { return std::string("version"); }));
    if (version == 1) {
      return unsupported(
          "GGUF version 1 is not supported (it predates 64-bit counts): expected version 2 or 3; "
          "convert the file again with a current llama.cpp");
    }
    if (version != 2 && version != 3) {
      uint32_t swapped = __builtin_bswap32(version);
      if (swapped == 2 || swapped == 3) {
        return unsupported(fmt::format(
            "GGUF version {} reads as {} byte-swapped: a big-endian file, which Anvil does not "
            "support (expected a little-endian file, version 2 or 3)",
            version, swapped));
      }
      return unsupported(fmt::format("unsupported GGUF version {}: expected 2 or 3", version));
    }
    file_.version_ = version;
    ANVIL_RETURN_IF_ERROR(read(&n_tensors_, [] { return std::string("tensor count"); }));
    ANVIL_RETURN_IF_ERROR(read(&n_kv_, [] { return std::string("metadata count"); }));
    return {};
  }

  core::Status parse_metadata() {
    std::unordered_set<std::string_view> seen;
    for (uint64_t i = 0; i < n_kv_; ++i) {
      GgufKeyValue kv;
      ANVIL_RETURN_IF_ERROR(
          read_string(&kv.key, [&] { return fmt::format("the key of metadata item {}", i); }));
      if (!seen.insert(kv.key).second) {
        return corrupt(fmt::format("duplicate metadata key '{}'", escape_bytes(kv.key)));
      }
      uint32_t raw_type = 0;
      ANVIL_RETURN_IF_ERROR(read(&raw_type, [&] {
        return fmt::format("the value type of metadata '{}'", escape_bytes(kv.key));
      }));
      ANVIL_RETURN_IF_ERROR(read_value(raw_type, &kv.value, 0, ValuePath{nullptr, kv.key, 0}));
      file_.metadata_.push_back(std::move(kv));
    }
    return {};
  }

  // Where a metadata value sits: "metadata 'k'" or "element 3 of metadata 'k'" (a chain, so the
  // recursive readers below need no per-level lambda type).
  struct ValuePath {
    const ValuePath* parent = nullptr;
    std::string_view key;  // set on the root
    uint64_t index = 0;    // set on elements
    std::string describe() const {
      if (parent == nullptr) return fmt::format("metadata '{}'", escape_bytes(key));
      return fmt::format("element {} of {}", index, parent->describe());
    }
  };

  core::Status read_value(uint32_t raw_type, GgufValue* out, int depth, const ValuePath& path) {
    auto describe = [&] { return path.describe(); };
    if (!is_valid_value_type(raw_type)) {
      return corrupt(fmt::format("{} has unknown value type {}", describe(), raw_type));
    }
    auto type = static_cast<GgufValueType>(raw_type);
    out->type_ = type;
    if (type == GgufValueType::kString) return read_string(&out->s_, describe);
    if (type == GgufValueType::kArray) return read_array(out, depth, path);
    const uint64_t size = gguf_scalar_size(type);
    ANVIL_RETURN_IF_ERROR(need(size, describe));
    *out = GgufValue::decode_scalar(type, bytes_.data() + pos_);
    pos_ += size;
    if (type == GgufValueType::kBool && out->u_ > 1) {
      return corrupt(fmt::format("{} is a bool stored as {}, expected 0 or 1", describe(), out->u_));
    }
    return {};
  }

  core::Status read_array(GgufValue* out, int depth, const ValuePath& path) {
    auto describe = [&] { return path.describe(); };
    if (depth >= kMaxArrayDepth) {
      return unsupported(fmt::format("{} nests arrays more than {} deep", describe(), kMaxArrayDepth));
    }
    uint32_t raw_element_type = 0;
    ANVIL_RETURN_IF_ERROR(read(&raw_element_type, [&] { return "the element type of " + describe(); }));
    if (!is_valid_value_type(raw_element_type)) {
      return corrupt(fmt::format("{} is an array of unknown value type {}", describe(), raw_element_type));
    }
    auto element_type = static_cast<GgufValueType>(raw_element_type);
    out->array_type_ = element_type;
    uint64_t count = 0;
    ANVIL_RETURN_IF_ERROR(read(&count, [&] { return "the element count of " + describe(); }));
    uint64_t min_bytes = 0;
    if (__builtin_mul_overflow(count, min_encoded_size(element_type), &min_bytes)) {
      min_bytes = std::numeric_limits<uint64_t>::max();
    }
    ANVIL_RETURN_IF_ERROR(need(
        min_bytes,
        [&] {
          return fmt::format("the {} {} elements of {}", count, gguf_value_type_name(element_type),
                             describe());
        },
        /*at_least=*/element_type == GgufValueType::kString || element_type == GgufValueType::kArray));
    array_elements_ += count;
    if (array_elements_ > kMaxArrayElements) {
      return unsupported(fmt::format(
          "{} brings the metadata arrays to {} elements, more than Anvil's limit of {}", describe(),
          array_elements_, kMaxArrayElements));
    }
    out->count_ = count;
    const uint64_t start = pos_;
    ValuePath element_path{&path, {}, 0};
    switch (element_type) {
      case GgufValueType::kArray:
        out->children_.resize(count);
        for (uint64_t i = 0; i < count; ++i) {
          element_path.index = i;
          ANVIL_RETURN_IF_ERROR(read_value(raw_element_type, &out->children_[i], depth + 1, element_path));
        }
        return {};
      case GgufValueType::kString: {
        // Every string is checked now, so that element() can walk lengths unchecked later.
        out->string_offsets_.reserve((count + GgufValue::kStringStride - 1) / GgufValue::kStringStride);
        std::string_view s;
        for (uint64_t i = 0; i < count; ++i) {
          if (i % GgufValue::kStringStride == 0) out->string_offsets_.push_back(pos_ - start);
          element_path.index = i;
          ANVIL_RETURN_IF_ERROR(read_string(&s, [&] { return element_path.describe(); }));
        }
        break;
      }
      case GgufValueType::kBool:
        for (uint64_t i = 0; i < count; ++i) {
          if (const uint8_t b = bytes_[pos_ + i]; b > 1) {
            element_path.index = i;
            return corrupt(
                fmt::format("{} is a bool stored as {}, expected 0 or 1", element_path.describe(), b));
          }
        }
        pos_ += count;
        break;
      default:
        pos_ += min_bytes;  // fixed-size elements: all present, checked above
        break;
    }
    out->raw_ = bytes_.subspan(start, pos_ - start);
    return {};
  }

  core::Status parse_alignment() {
    const GgufValue* v = file_.find("general.alignment");
    if (v == nullptr) {
      file_.alignment_ = kDefaultAlignment;
      return {};
    }
    auto a = v->as_uint();
    if (!v->is_integer()) {
      return corrupt(fmt::format("metadata 'general.alignment' is {}, expected an integer",
                                 value_kind_with_article(*v)));
    }
    if (!a || *a == 0 || !std::has_single_bit(*a)) {
      return corrupt(fmt::format("metadata 'general.alignment' must be a power of two, found {}",
                                 v->to_string()));
    }
    file_.alignment_ = *a;
    return {};
  }

  core::Status parse_tensor_infos() {
    std::unordered_set<std::string_view> seen;
    for (uint64_t i = 0; i < n_tensors_; ++i) {
      GgufTensor t;
      ANVIL_RETURN_IF_ERROR(
          read_string(&t.name, [&] { return fmt::format("the name of tensor {}", i); }));
      std::string name = escape_bytes(t.name);
      if (!seen.insert(t.name).second) return corrupt(fmt::format("duplicate tensor name '{}'", name));
      uint32_t n_dims = 0;
      ANVIL_RETURN_IF_ERROR(
          read(&n_dims, [&] { return fmt::format("the dimension count of tensor '{}'", name); }));
      if (n_dims > kMaxDims) {
        return corrupt(fmt::format("tensor '{}' has {} dimensions, expected at most {}", name, n_dims,
                                   kMaxDims));
      }
      t.n_dims = static_cast<int>(n_dims);
      for (uint32_t d = 0; d < n_dims; ++d) {
        ANVIL_RETURN_IF_ERROR(
            read(&t.ne[d], [&] { return fmt::format("dimension {} of tensor '{}'", d, name); }));
      }
      uint32_t raw_type = 0;
      ANVIL_RETURN_IF_ERROR(read(&raw_type, [&] { return fmt::format("the type of tensor '{}'", name); }));
      ANVIL_RETURN_IF_ERROR(
          read(&t.offset, [&] { return fmt::format("the data offset of tensor '{}'", name); }));
      ANVIL_RETURN_IF_ERROR(check_tensor_shape(t, raw_type, name));
      file_.tensors_.push_back(t);
    }
    return {};
  }

  core::Status check_tensor_shape(GgufTensor& t, uint32_t raw_type, const std::string& name) const {
    int64_t n_elements = 1;
    for (int d = 0; d < t.n_dims; ++d) {
      if (t.ne[d] <= 0) {
        return corrupt(fmt::format("tensor '{}' has size {} in dimension {}, expected a positive size",
                                   name, t.ne[d], d));
      }
      if (__builtin_mul_overflow(n_elements, t.ne[d], &n_elements)) {
        return corrupt(fmt::format("tensor '{}' has shape {}: the element count overflows 64 bits", name,
                                   shape_string(t)));
      }
    }
    auto traits = ggml_type_traits(raw_type);
    if (!traits) return unsupported(fmt::format("tensor '{}' has unknown tensor type {}", name, raw_type));
    if (!traits->supported) {
      return unsupported(
          fmt::format("tensor '{}' has type {}, which Anvil does not support", name, traits->name));
    }
    t.type = traits->type;
    if (t.ne[0] % traits->block_size != 0) {
      return corrupt(fmt::format(
          "tensor '{}' has rows of {} elements (ne[0]), not a multiple of the {} block size {}", name,
          t.ne[0], traits->name, traits->block_size));
    }
    // n_elements fits in int64, and a block holds at least as many elements as its bytes / 9
    // (q8_K: 292 bytes for 256), so this cannot overflow; check anyway for safety.
    uint64_t blocks = static_cast<uint64_t>(n_elements / traits->block_size);
    uint64_t n_bytes = 0;
    if (__builtin_mul_overflow(blocks, static_cast<uint64_t>(traits->type_size), &n_bytes) ||
        n_bytes > std::numeric_limits<size_t>::max()) {
      return corrupt(fmt::format("tensor '{}' has shape {}: its size overflows 64 bits", name,
                                 shape_string(t)));
    }
    t.n_bytes = n_bytes;
    if (t.offset % file_.alignment_ != 0) {
      return corrupt(fmt::format("tensor '{}' has data offset {}, not a multiple of the alignment {}",
                                 name, t.offset, file_.alignment_));
    }
    return {};
  }

  core::Status check_tensor_data() {
    const uint64_t size = bytes_.size();
    const uint64_t data_offset = file_.data_offset_;
    for (auto& t : file_.tensors_) {
      uint64_t end = 0;
      if (__builtin_add_overflow(data_offset, t.offset, &end) ||
          __builtin_add_overflow(end, t.n_bytes, &end) || end > size) {
        return corrupt(fmt::format(
            "tensor '{}' (offset {}, {} bytes) runs past the end of the file (data section at {}, "
            "file size {})",
            escape_bytes(t.name), t.offset, t.n_bytes, data_offset, size));
      }
      t.data = bytes_.data() + data_offset + t.offset;
    }
    // Overlap: sort by offset and compare neighbours.
    std::vector<const GgufTensor*> order;
    order.reserve(file_.tensors_.size());
    for (const auto& t : file_.tensors_) order.push_back(&t);
    std::sort(order.begin(), order.end(),
              [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < order.size(); ++i) {
      const GgufTensor* a = order[i - 1];
      const GgufTensor* b = order[i];
      if (a->offset + a->n_bytes > b->offset) {
        return corrupt(fmt::format(
            "tensors '{}' (offset {}, {} bytes) and '{}' (offset {}, {} bytes) overlap",
            escape_bytes(a->name), a->offset, a->n_bytes, escape_bytes(b->name), b->offset, b->n_bytes));
      }
    }
    return {};
  }

  static uint64_t align_up(uint64_t x, uint64_t alignment) {
    return (x + alignment - 1) / alignment * alignment;
  }

  GgufFile& file_;
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
  uint64_t array_elements_ = 0;
};

// ---- GgufFile ----

core::Result<std::unique_ptr<GgufFile>> GgufFile::parse(std::span<const uint8_t> bytes,
                                                        std::string name) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->name_ = std::move(name);
  file->bytes_ = bytes;
  GgufParser parser(*file);
  ANVIL_RETURN_IF_ERROR(parser.parse());
  return file;
}

core::Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(path, "open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return errno_status(path, "stat", err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return errno_status(path, "open", EISDIR);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return core::Status::invalid_argument(fmt::format("{}: not a regular file", path.string()));
  }
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->name_ = path.string();
  const auto size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    // MAP_PRIVATE: the weights are never written through the mapping, and a private mapping
    // keeps another process's later writes to the file from changing what we already checked.
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return errno_status(path, "map", err);
    }
    file->mapping_ = p;
    file->mapping_size_ = size;
    file->bytes_ = std::span<const uint8_t>(static_cast<const uint8_t*>(p), size);
  }
  ::close(fd);  // the mapping keeps the file open
  GgufParser parser(*file);
  ANVIL_RETURN_IF_ERROR(parser.parse());
  return file;
}

GgufFile::~GgufFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
}

void GgufFile::advise_willneed() const {
  if (mapping_ != nullptr) ::madvise(mapping_, mapping_size_, MADV_WILLNEED);
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& kv : metadata_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

const GgufTensor* GgufFile::find_tensor(std::string_view tensor_name) const {
  for (const auto& t : tensors_) {
    if (t.name == tensor_name) return &t;
  }
  return nullptr;
}

namespace {

core::Status wrong_type(const GgufFile& f, std::string_view key, const GgufValue& v,
                        std::string_view expected) {
  return core::Status::invalid_argument(fmt::format("{}: metadata '{}' is {}, expected {}", f.name(), key,
                                                    value_kind_with_article(v), expected));
}

}  // namespace

core::Result<std::optional<int64_t>> GgufFile::get_int(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<int64_t>();
  if (!v->is_integer()) return wrong_type(*this, key, *v, "an integer");
  auto i = v->as_int();
  if (!i) {
    return core::Status::invalid_argument(
        fmt::format("{}: metadata '{}' = {} does not fit in int64", name_, key, v->to_string()));
  }
  return std::optional<int64_t>(*i);
}

core::Result<std::optional<double>> GgufFile::get_float(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<double>();
  auto f = v->as_float();
  if (!f) return wrong_type(*this, key, *v, "a number");
  return std::optional<double>(*f);
}

core::Result<std::optional<bool>> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<bool>();
  auto b = v->as_bool();
  if (!b) return wrong_type(*this, key, *v, "a bool");
  return std::optional<bool>(*b);
}

core::Result<std::optional<std::string_view>> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<std::string_view>();
  auto s = v->as_string();
  if (!s) return wrong_type(*this, key, *v, "a string");
  return std::optional<std::string_view>(*s);
}

core::Result<std::optional<std::vector<std::string_view>>> GgufFile::get_string_array(
    std::string_view key) const {
  using Out = std::optional<std::vector<std::string_view>>;
  const GgufValue* v = find(key);
  if (v == nullptr) return Out();
  if (v->type() != GgufValueType::kArray || v->array_type() != GgufValueType::kString) {
    return wrong_type(*this, key, *v, "an array of string");
  }
  std::vector<std::string_view> out;
  out.reserve(v->array_size());
  for (const GgufValue e : v->elements()) out.push_back(*e.as_string());
  return Out(std::move(out));
}

core::Result<std::optional<std::vector<float>>> GgufFile::get_float_array(std::string_view key) const {
  using Out = std::optional<std::vector<float>>;
  const GgufValue* v = find(key);
  if (v == nullptr) return Out();
  const bool numeric = v->type() == GgufValueType::kArray &&
                       (is_integer_type(v->array_type()) || is_float_type(v->array_type()));
  if (!numeric) return wrong_type(*this, key, *v, "an array of numbers");
  std::vector<float> out;
  out.reserve(v->array_size());
  for (const GgufValue e : v->elements()) out.push_back(static_cast<float>(*e.as_float()));
  return Out(std::move(out));
}

core::Result<std::optional<std::vector<int64_t>>> GgufFile::get_int_array(std::string_view key) const {
  using Out = std::optional<std::vector<int64_t>>;
  const GgufValue* v = find(key);
  if (v == nullptr) return Out();
  if (v->type() != GgufValueType::kArray || !is_integer_type(v->array_type())) {
    return wrong_type(*this, key, *v, "an array of integers");
  }
  std::vector<int64_t> out;
  out.reserve(v->array_size());
  for (const GgufValue e : v->elements()) {
    auto x = e.as_int();
    if (!x) {
      return core::Status::invalid_argument(fmt::format("{}: element {} of metadata '{}' = {} does not fit in int64",
                                                        name_, out.size(), key, e.to_string()));
    }
    out.push_back(*x);
  }
  return Out(std::move(out));
}

}  // namespace anvil::engine
