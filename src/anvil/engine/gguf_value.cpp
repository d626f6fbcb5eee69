// GgufValue accessors and renderings, and the helpers of gguf_util.h.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_util.h"

namespace anvil::engine {

std::string_view gguf_value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8: return "uint8";
    case GgufValueType::kInt8: return "int8";
    case GgufValueType::kUint16: return "uint16";
    case GgufValueType::kInt16: return "int16";
    case GgufValueType::kUint32: return "uint32";
    case GgufValueType::kInt32: return "int32";
    case GgufValueType::kFloat32: return "float32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "uint64";
    case GgufValueType::kInt64: return "int64";
    case GgufValueType::kFloat64: return "float64";
  }
  return "unknown";
}

bool is_integer_type(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64: return true;
    default: return false;
  }
}

uint64_t gguf_scalar_size(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray: break;
  }
  return 0;
}

bool is_float_type(GgufValueType type) {
  return type == GgufValueType::kFloat32 || type == GgufValueType::kFloat64;
}

namespace {

bool is_signed_type(GgufValueType type) {
  return type == GgufValueType::kInt8 || type == GgufValueType::kInt16 || type == GgufValueType::kInt32 ||
         type == GgufValueType::kInt64;
}

}  // namespace

bool GgufValue::is_integer() const { return is_integer_type(type_); }
bool GgufValue::is_float() const { return is_float_type(type_); }

std::optional<int64_t> GgufValue::as_int() const {
  if (!is_integer()) return std::nullopt;
  if (is_signed_type(type_)) return i_;
  if (u_ > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(u_);
}

std::optional<uint64_t> GgufValue::as_uint() const {
  if (!is_integer()) return std::nullopt;
  if (is_signed_type(type_)) {
    if (i_ < 0) return std::nullopt;
    return static_cast<uint64_t>(i_);
  }
  return u_;
}

std::optional<double> GgufValue::as_float() const {
  if (is_float()) return f_;
  if (!is_integer()) return std::nullopt;
  if (is_signed_type(type_)) return static_cast<double>(i_);
  return static_cast<double>(u_);
}

std::optional<bool> GgufValue::as_bool() const {
  if (type_ != GgufValueType::kBool) return std::nullopt;
  return u_ != 0;
}

std::optional<std::string_view> GgufValue::as_string() const {
  if (type_ != GgufValueType::kString) return std::nullopt;
  return s_;
}

GgufValue GgufValue::make_uint(GgufValueType type, uint64_t v) {
  GgufValue out;
  out.type_ = type;
  out.u_ = v;
  return out;
}

GgufValue GgufValue::make_int(GgufValueType type, int64_t v) {
  GgufValue out;
  out.type_ = type;
  out.i_ = v;
  return out;
}

GgufValue GgufValue::make_float(GgufValueType type, double v) {
  GgufValue out;
  out.type_ = type;
  out.f_ = v;
  return out;
}

GgufValue GgufValue::make_string(std::string_view s) {
  GgufValue out;
  out.type_ = GgufValueType::kString;
  out.s_ = s;
  return out;
}

GgufValue GgufValue::make_array(GgufValueType element_type, std::vector<GgufValue> elements) {
  GgufValue out;
  out.type_ = GgufValueType::kArray;
  out.array_type_ = element_type;
  out.count_ = elements.size();
  out.children_ = std::move(elements);
  return out;
}

namespace {

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

GgufValue GgufValue::decode_scalar(GgufValueType type, const uint8_t* p) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kBool: return make_uint(type, load<uint8_t>(p));
    case GgufValueType::kInt8: return make_int(type, load<int8_t>(p));
    case GgufValueType::kUint16: return make_uint(type, load<uint16_t>(p));
    case GgufValueType::kInt16: return make_int(type, load<int16_t>(p));
    case GgufValueType::kUint32: return make_uint(type, load<uint32_t>(p));
    case GgufValueType::kInt32: return make_int(type, load<int32_t>(p));
    case GgufValueType::kUint64: return make_uint(type, load<uint64_t>(p));
    case GgufValueType::kInt64: return make_int(type, load<int64_t>(p));
    case GgufValueType::kFloat32: return make_float(type, load<float>(p));
    case GgufValueType::kFloat64: return make_float(type, load<double>(p));
    case GgufValueType::kString:
      return make_string(std::string_view(reinterpret_cast<const char*>(p) + 8, load<uint64_t>(p)));
    case GgufValueType::kArray: break;  // arrays of arrays hold their children
  }
  return GgufValue();
}

uint64_t GgufValue::encoded_size_at(uint64_t offset) const {
  if (array_type_ == GgufValueType::kString) return 8 + load<uint64_t>(raw_.data() + offset);
  return gguf_scalar_size(array_type_);
}

GgufValue GgufValue::element_at(uint64_t offset) const { return decode_scalar(array_type_, raw_.data() + offset); }

GgufValue GgufValue::element(size_t i) const {
  if (!children_.empty()) return children_[i];
  if (array_type_ != GgufValueType::kString) return element_at(i * gguf_scalar_size(array_type_));
  uint64_t offset = string_offsets_[i / kStringStride];
  for (size_t k = i / kStringStride * kStringStride; k < i; ++k) offset += encoded_size_at(offset);
  return element_at(offset);
}

GgufElements GgufValue::elements() const { return GgufElements(*this); }

GgufValue GgufElements::Iterator::operator*() const {
  if (!array_->children_.empty()) return array_->children_[index_];
  return array_->element_at(offset_);
}

GgufElements::Iterator& GgufElements::Iterator::operator++() {
  if (array_->children_.empty()) offset_ += array_->encoded_size_at(offset_);
  ++index_;
  return *this;
}

namespace {

// JSON-style quoting: model info prints tokens such as "\n" and "<0x0A>" unambiguously.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string GgufValue::to_string(size_t max_elements) const {
  switch (type_) {
    case GgufValueType::kBool: return u_ ? "true" : "false";
    case GgufValueType::kString: return quote(s_);
    case GgufValueType::kFloat32: return fmt::format("{}", static_cast<float>(f_));
    case GgufValueType::kFloat64: return fmt::format("{}", f_);
    case GgufValueType::kArray: {
      std::string out = "[";
      size_t i = 0;
      for (const GgufValue& e : elements()) {
        if (i == max_elements) break;
        if (i++ > 0) out += ", ";
        out += e.to_string(max_elements);
      }
      if (count_ > max_elements) out += fmt::format(", ... ({} total)", count_);
      out += "]";
      return out;
    }
    default:
      if (is_signed_type(type_)) return fmt::format("{}", i_);
      return fmt::format("{}", u_);
  }
}

std::string escape_bytes(std::string_view bytes) {
  // Keys and names are short; a corrupt length can make one megabytes long, which no message
  // should repeat in full.
  constexpr size_t kMaxShown = 96;
  std::string out;
  out.reserve(std::min(bytes.size(), kMaxShown));
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == kMaxShown) {
      out += fmt::format("...({} bytes)", bytes.size());
      break;
    }
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02X}", c);
    }
  }
  return out;
}

std::string value_kind_with_article(const GgufValue& value) {
  if (value.type() == GgufValueType::kArray) {
    return fmt::format("an array of {}", gguf_value_type_name(value.array_type()));
  }
  std::string_view name = gguf_value_type_name(value.type());
  const bool vowel = name[0] == 'i' || name[0] == 'a';
  return fmt::format("{} {}", vowel ? "an" : "a", name);
}

std::string shape_string(const GgufTensor& tensor) {
  std::string out = "[";
  for (int d = 0; d < tensor.n_dims; ++d) {
    if (d > 0) out += ", ";
    out += fmt::format("{}", tensor.ne[d]);
  }
  return out + "]";
}

}  // namespace anvil::engine
