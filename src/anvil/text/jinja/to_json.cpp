// Python's json.dumps for template values (HF's `tojson` filter).
#include <algorithm>
#include <cmath>

#include "anvil/text/jinja/builtins.h"
#include "anvil/text/jinja/pystr.h"
#include "anvil/text/utf8.h"

namespace anvil::text::jinja {

namespace {

constexpr int kMaxJsonDepth = 64;

void append_u4(std::string& out, uint32_t unit) {
  static const char* kHex = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 15];
}

void json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const size_t b = i;
    const char32_t cp = decode_utf8(s, i);
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (cp < 0x20) {
          append_u4(out, cp);
        } else if (ensure_ascii && cp >= 0x80) {
          if (cp >= 0x10000) {
            const uint32_t v = cp - 0x10000;
            append_u4(out, 0xD800 + (v >> 10));
            append_u4(out, 0xDC00 + (v & 0x3FF));
          } else {
            append_u4(out, cp);
          }
        } else {
          out.append(s.substr(b, i - b));
        }
    }
  }
  out += '"';
}

struct Writer {
  std::optional<int> indent;
  bool sort_keys;
  bool ensure_ascii;
  std::string item_sep, key_sep;
  std::string out;

  void newline(int depth) {
    out += '\n';
    out.append(static_cast<size_t>(*indent) * static_cast<size_t>(depth), ' ');
  }

  core::Status write(const Value& v, int depth) {
    if (depth > kMaxJsonDepth) return core::Status::invalid_argument("tojson: value nested deeper than 64 levels");
    switch (v.kind()) {
      case Value::Kind::kNone:
        out += "null";
        return core::Status::ok_status();
      case Value::Kind::kBool:
        out += v.as_bool() ? "true" : "false";
        return core::Status::ok_status();
      case Value::Kind::kInt:
        out += std::to_string(v.as_int());
        return core::Status::ok_status();
      case Value::Kind::kFloat: {
        const double d = v.as_float();
        out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity") : py::float_repr(d);
        return core::Status::ok_status();
      }
      case Value::Kind::kString:
        json_string(out, v.as_string(), ensure_ascii);
        return core::Status::ok_status();
      case Value::Kind::kList: {
        const auto& items = v.items();
        if (items.empty()) {
          out += "[]";
          return core::Status::ok_status();
        }
        out += '[';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out += item_sep;
          if (indent) newline(depth + 1);
          ANVIL_RETURN_IF_ERROR(write(items[i], depth + 1));
        }
        if (indent) newline(depth);
        out += ']';
        return core::Status::ok_status();
      }
      case Value::Kind::kDict: {
        if (v.is_namespace()) break;
        std::vector<const std::pair<std::string, Value>*> items;
        for (const auto& kv : v.dict_data().items) items.push_back(&kv);
        if (sort_keys) {
          std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
        }
        if (items.empty()) {
          out += "{}";
          return core::Status::ok_status();
        }
        out += '{';
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out += item_sep;
          if (indent) newline(depth + 1);
          json_string(out, items[i]->first, ensure_ascii);
          out += key_sep;
          ANVIL_RETURN_IF_ERROR(write(items[i]->second, depth + 1));
        }
        if (indent) newline(depth);
        out += '}';
        return core::Status::ok_status();
      }
      default:
        break;
    }
    return core::Status::invalid_argument("Object of type " + std::string(v.is_undefined() ? "Undefined" : v.type_name()) +
                                          " is not JSON serializable");
  }
};

}  // namespace

core::Result<std::string> to_json(const Value& value, std::optional<int> indent, bool sort_keys,
                                  std::optional<std::pair<std::string, std::string>> separators, bool ensure_ascii) {
  Writer w{indent, sort_keys, ensure_ascii, indent ? "," : ", ", ": ", {}};
  if (separators) {
    w.item_sep = separators->first;
    w.key_sep = separators->second;
  }
  ANVIL_RETURN_IF_ERROR(w.write(value, 0));
  return std::move(w.out);
}

}  // namespace anvil::text::jinja
