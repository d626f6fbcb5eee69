#include "anvil/text/jinja/operators.h"

#include <cmath>
#include <limits>

#include "anvil/text/jinja/pystr.h"

namespace anvil::text::jinja {

namespace {

constexpr size_t kMaxRepeatBytes = 16u << 20;  // "x" * n beyond this is an error, not an OOM

int64_t int_of(const Value& v) { return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int(); }
bool is_integral(const Value& v) { return v.is_int() || v.is_bool(); }

core::Status type_error(std::string_view op, const Value& a, const Value& b) {
  return core::Status::invalid_argument("unsupported operand type(s) for " + std::string(op) + ": '" + a.type_name() +
                                        "' and '" + b.type_name() + "'");
}

core::Status overflow() { return core::Status::invalid_argument("integer overflow (Anvil's template integers are 64-bit)"); }

core::Result<Value> repeat(const Value& seq, int64_t n) {
  if (n <= 0) return seq.is_string() ? Value::string("") : Value::list({}, seq.list_data().is_tuple);
  if (seq.is_string()) {
    if (seq.as_string().size() * static_cast<uint64_t>(n) > kMaxRepeatBytes) {
      return core::Status::invalid_argument("string repetition longer than 16 MiB");
    }
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.as_string();
    return Value::string(std::move(out));
  }
  if (seq.items().size() * static_cast<uint64_t>(n) > kMaxRepeatBytes / 16) {
    return core::Status::invalid_argument("list repetition longer than 1M items");
  }
  std::vector<Value> out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
  return Value::list(std::move(out), seq.list_data().is_tuple);
}

core::Result<Value> arithmetic(std::string_view op, const Value& a, const Value& b) {
  if (is_integral(a) && is_integral(b)) {
    const int64_t x = int_of(a), y = int_of(b);
    int64_t r = 0;
    if (op == "+") {
      if (__builtin_add_overflow(x, y, &r)) return overflow();
      return Value::integer(r);
    }
    if (op == "-") {
      if (__builtin_sub_overflow(x, y, &r)) return overflow();
      return Value::integer(r);
    }
    if (op == "*") {
      if (__builtin_mul_overflow(x, y, &r)) return overflow();
      return Value::integer(r);
    }
    if (op == "/") {
      if (y == 0) return core::Status::invalid_argument("division by zero");
      return Value::number(static_cast<double>(x) / static_cast<double>(y));
    }
    if (op == "//" || op == "%") {
      if (y == 0) return core::Status::invalid_argument("integer division or modulo by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return overflow();
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {  // Python floors toward negative infinity
        --q;
        m += y;
      }
      return Value::integer(op == "//" ? q : m);
    }
    if (op == "**") {
      if (y < 0) return Value::number(std::pow(static_cast<double>(x), static_cast<double>(y)));
      int64_t result = 1, base = x, e = y;
      while (e > 0) {
        if ((e & 1) && __builtin_mul_overflow(result, base, &result)) return overflow();
        e >>= 1;
        if (e > 0 && __builtin_mul_overflow(base, base, &base)) return overflow();
      }
      return Value::integer(result);
    }
  }
  const double x = a.to_double(), y = b.to_double();
  if (op == "+") return Value::number(x + y);
  if (op == "-") return Value::number(x - y);
  if (op == "*") return Value::number(x * y);
  if (op == "/") {
    if (y == 0) return core::Status::invalid_argument("float division by zero");
    return Value::number(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0) return core::Status::invalid_argument("float modulo by zero");
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    if (op == "%") return Value::number(m);
    return Value::number(std::floor((x - m) / y + 0.5));
  }
  return Value::number(std::pow(x, y));  // "**"
}

}  // namespace

core::Result<Value> binary_op(std::string_view op, const Value& a, const Value& b) {
  if (op == "~") return Value::string(a.str() + b.str());
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  if (a.is_number() && b.is_number()) return arithmetic(op, a, b);
  if (op == "+") {
    if (a.is_string() && b.is_string()) return Value::string(a.as_string() + b.as_string());
    if (a.is_list() && b.is_list() && a.list_data().is_tuple == b.list_data().is_tuple) {
      std::vector<Value> items = a.items();
      items.insert(items.end(), b.items().begin(), b.items().end());
      return Value::list(std::move(items), a.list_data().is_tuple);
    }
    if (a.is_string()) {
      return core::Status::invalid_argument("can only concatenate str (not \"" + b.type_name() + "\") to str");
    }
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && is_integral(b)) return repeat(a, int_of(b));
    if (is_integral(a) && (b.is_string() || b.is_list())) return repeat(b, int_of(a));
  }
  if (op == "%" && a.is_string()) {
    return core::Status::unsupported("printf-style string formatting ('%') is not supported");
  }
  return type_error(op, a, b);
}

namespace {

// -1, 0, 1 for a < b, a == b, a > b; errors for types Python cannot order.
core::Result<int> order(std::string_view op, const Value& a, const Value& b) {
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  if (a.is_number() && b.is_number()) {
    if (is_integral(a) && is_integral(b)) return int_of(a) < int_of(b) ? -1 : int_of(a) > int_of(b) ? 1 : 0;
    const double x = a.to_double(), y = b.to_double();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {  // UTF-8 byte order is code point order
    const int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.is_list() && b.is_list() && a.list_data().is_tuple == b.list_data().is_tuple) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (x[i] == y[i]) continue;
      return order(op, x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  return core::Status::invalid_argument("'" + std::string(op) + "' not supported between instances of '" +
                                        a.type_name() + "' and '" + b.type_name() + "'");
}

core::Result<bool> contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined:
      return false;
    case Value::Kind::kString:
      if (!item.is_string()) {
        return core::Status::invalid_argument("'in <string>' requires string as left operand, not " + item.type_name());
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& v : container.items()) {
        if (v == item) return true;
      }
      return false;
    case Value::Kind::kDict:
      return item.is_string() && container.dict_data().find(item.as_string()) != nullptr;
    default:
      return core::Status::invalid_argument("argument of type '" + container.type_name() + "' is not iterable");
  }
}

}  // namespace

core::Result<bool> compare(std::string_view op, const Value& a, const Value& b) {
  if (op == "==") return a == b;
  if (op == "!=") return !(a == b);
  if (op == "in") return contains(b, a);
  if (op == "not in") {
    ANVIL_ASSIGN_OR_RETURN(bool in, contains(b, a));
    return !in;
  }
  ANVIL_ASSIGN_OR_RETURN(int c, order(op, a, b));
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  return c >= 0;  // ">="
}

namespace {

// Jinja2's object_type_repr: "dict object", "None".
std::string object_name(const Value& v) { return v.is_none() ? "None" : v.type_name() + " object"; }

Value missing_attribute(const Value& obj, std::string_view name) {
  return Value::undefined("'" + object_name(obj) + "' has no attribute '" + std::string(name) + "'");
}

}  // namespace

core::Result<Value> get_attribute(const Value& obj, std::string_view name) {
  if (obj.is_undefined()) return undefined_error(obj);
  if (obj.is_dict()) {
    if (const Value* v = obj.dict_data().find(name)) return *v;
  }
  return missing_attribute(obj, name);
}

core::Result<Value> get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return undefined_error(obj);
  if (obj.is_dict()) {
    if (key.is_string()) {
      if (const Value* v = obj.dict_data().find(key.as_string())) return *v;
      return missing_attribute(obj, key.as_string());
    }
  } else if ((obj.is_list() || obj.is_string()) && is_integral(key)) {
    int64_t i = int_of(key);
    if (obj.is_list()) {
      const int64_t n = static_cast<int64_t>(obj.items().size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return obj.items()[static_cast<size_t>(i)];
    } else {
      const std::vector<std::string> cs = py::chars(obj.as_string());
      const int64_t n = static_cast<int64_t>(cs.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return Value::string(cs[static_cast<size_t>(i)]);
    }
  } else if (key.is_string()) {
    return missing_attribute(obj, key.as_string());
  }
  return Value::undefined(object_name(obj) + " has no element " + key.repr());
}

core::Result<Value> get_slice(const Value& obj, const Value* start, const Value* stop, const Value* step) {
  if (obj.is_undefined()) return undefined_error(obj);
  if (!obj.is_list() && !obj.is_string()) {
    return core::Status::invalid_argument("'" + obj.type_name() + "' object is not subscriptable");
  }
  auto index = [](const Value* v, int64_t& out, bool& given) -> core::Status {
    given = v != nullptr && !v->is_none();
    if (!given) return core::Status::ok_status();
    if (!is_integral(*v)) {
      return core::Status::invalid_argument("slice indices must be integers or None, not " + v->type_name());
    }
    out = int_of(*v);
    return core::Status::ok_status();
  };
  int64_t b = 0, e = 0, s = 1;
  bool has_b, has_e, has_s;
  ANVIL_RETURN_IF_ERROR(index(start, b, has_b));
  ANVIL_RETURN_IF_ERROR(index(stop, e, has_e));
  ANVIL_RETURN_IF_ERROR(index(step, s, has_s));
  if (s == 0) return core::Status::invalid_argument("slice step cannot be zero");
  std::vector<std::string> cs;
  if (obj.is_string()) cs = py::chars(obj.as_string());
  const int64_t n = static_cast<int64_t>(obj.is_string() ? cs.size() : obj.items().size());
  // Python's PySlice_AdjustIndices.
  auto adjust = [&](int64_t& i, bool given, int64_t dflt) {
    if (!given) {
      i = dflt;
      return;
    }
    if (i < 0) {
      i += n;
      if (i < 0) i = s < 0 ? -1 : 0;
    } else if (i >= n) {
      i = s < 0 ? n - 1 : n;
    }
  };
  adjust(b, has_b, s < 0 ? n - 1 : 0);
  adjust(e, has_e, s < 0 ? -1 : n);
  std::vector<size_t> picked;
  for (int64_t i = b; s > 0 ? i < e : i > e; i += s) picked.push_back(static_cast<size_t>(i));
  if (obj.is_string()) {
    std::string out;
    for (size_t i : picked) out += cs[i];
    return Value::string(std::move(out));
  }
  std::vector<Value> out;
  for (size_t i : picked) out.push_back(obj.items()[i]);
  return Value::list(std::move(out), obj.list_data().is_tuple);
}

core::Result<std::vector<Value>> iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return std::vector<Value>{};
    case Value::Kind::kList:
      return v.items();
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      for (const auto& [k, x] : v.dict_data().items) keys.push_back(Value::string(k));
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> out;
      for (std::string& c : py::chars(v.as_string())) out.push_back(Value::string(std::move(c)));
      return out;
    }
    default:
      return core::Status::invalid_argument("'" + v.type_name() + "' object is not iterable");
  }
}

}  // namespace anvil::text::jinja
