// Python methods of str, dict and list that chat templates call, and Jinja2's default globals.
#include <algorithm>

#include "anvil/text/jinja/builtins.h"
#include "anvil/text/jinja/operators.h"
#include "anvil/text/jinja/pystr.h"
#include "anvil/text/utf8.h"

namespace anvil::text::jinja {

namespace {

constexpr int64_t kMaxRange = 1'000'000;  // range() longer than this is an error, not a hang

core::Status bad_args(std::string_view type, std::string_view method, std::string_view want) {
  return core::Status::invalid_argument(std::string(type) + "." + std::string(method) + "() takes " + std::string(want));
}

core::Result<std::optional<std::string>> opt_string(const CallArgs& a, size_t i, std::string_view name) {
  const Value* v = find_arg(a, i, name);
  if (v == nullptr || v->is_none()) return std::optional<std::string>();
  if (!v->is_string()) return core::Status::invalid_argument("argument '" + std::string(name) + "' must be a string, not " + v->type_name());
  return std::optional<std::string>(v->as_string());
}

core::Result<std::string> req_string(const CallArgs& a, size_t i, std::string_view name, std::string_view method) {
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::string> s, opt_string(a, i, name));
  if (!s) return bad_args("str", method, "a string argument");
  return *s;
}

core::Result<int64_t> opt_int(const CallArgs& a, size_t i, std::string_view name, int64_t fallback) {
  const Value* v = find_arg(a, i, name);
  if (v == nullptr || v->is_none()) return fallback;
  if (!v->is_int()) return core::Status::invalid_argument("argument '" + std::string(name) + "' must be an integer, not " + v->type_name());
  return v->as_int();
}

Value string_list(std::vector<std::string> parts) {
  std::vector<Value> out;
  for (auto& p : parts) out.push_back(Value::string(std::move(p)));
  return Value::list(std::move(out));
}

// startswith/endswith accept a string or a tuple of strings.
core::Result<bool> affix(const std::string& s, const CallArgs& a, bool prefix, std::string_view method) {
  const Value* v = find_arg(a, 0, "prefix");
  if (v == nullptr) return bad_args("str", method, "a string or a tuple of strings");
  std::vector<Value> options = v->is_list() ? v->items() : std::vector<Value>{*v};
  for (const Value& o : options) {
    if (!o.is_string()) return bad_args("str", method, "a string or a tuple of strings");
    const std::string& x = o.as_string();
    if (x.size() <= s.size() && (prefix ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0)) {
      return true;
    }
  }
  return false;
}

template <typename Pred>
bool all_chars(const std::string& s, Pred pred) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();) {
    if (!pred(decode_utf8(s, i))) return false;
  }
  return true;
}

core::Result<Value> str_method(const std::string& s, std::string_view name, const CallArgs& a) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    ANVIL_ASSIGN_OR_RETURN(std::optional<std::string> chars, opt_string(a, 0, "chars"));
    const std::optional<std::string_view> c = chars ? std::optional<std::string_view>(*chars) : std::nullopt;
    return Value::string(py::strip(s, c, name != "rstrip", name != "lstrip"));
  }
  if (name == "split") {
    ANVIL_ASSIGN_OR_RETURN(std::optional<std::string> sep, opt_string(a, 0, "sep"));
    ANVIL_ASSIGN_OR_RETURN(int64_t maxsplit, opt_int(a, 1, "maxsplit", -1));
    if (sep && sep->empty()) return core::Status::invalid_argument("empty separator");
    return string_list(py::split(s, sep ? std::optional<std::string_view>(*sep) : std::nullopt, maxsplit));
  }
  if (name == "splitlines") return string_list(py::splitlines(s));
  if (name == "startswith" || name == "endswith") {
    ANVIL_ASSIGN_OR_RETURN(bool b, affix(s, a, name == "startswith", name));
    return Value::boolean(b);
  }
  if (name == "upper") return Value::string(py::upper(s));
  if (name == "lower") return Value::string(py::lower(s));
  if (name == "title") return Value::string(py::title(s));
  if (name == "capitalize") return Value::string(py::capitalize(s));
  if (name == "replace") {
    ANVIL_ASSIGN_OR_RETURN(std::string from, req_string(a, 0, "old", name));
    ANVIL_ASSIGN_OR_RETURN(std::string to, req_string(a, 1, "new", name));
    ANVIL_ASSIGN_OR_RETURN(int64_t count, opt_int(a, 2, "count", -1));
    std::string out;
    size_t pos = 0;
    int64_t done = 0;
    if (from.empty()) {  // Python inserts `to` around every character
      for (const std::string& c : py::chars(s)) {
        if (count >= 0 && done >= count) {
          out += c;
          continue;
        }
        out += to + c;
        ++done;
      }
      if (count < 0 || done < count) out += to;
      return Value::string(std::move(out));
    }
    for (size_t hit; (count < 0 || done < count) && (hit = s.find(from, pos)) != std::string::npos; ++done) {
      out.append(s, pos, hit - pos);
      out += to;
      pos = hit + from.size();
    }
    out.append(s, pos, std::string::npos);
    return Value::string(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "count") {
    ANVIL_ASSIGN_OR_RETURN(std::string sub, req_string(a, 0, "sub", name));
    if (name == "count") {
      if (sub.empty()) return Value::integer(static_cast<int64_t>(py::length(s)) + 1);
      int64_t n = 0;
      for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size())) ++n;
      return Value::integer(n);
    }
    const size_t at = name == "find" ? s.find(sub) : s.rfind(sub);
    if (at == std::string::npos) return Value::integer(-1);
    return Value::integer(static_cast<int64_t>(count_code_points(std::string_view(s).substr(0, at))));
  }
  if (name == "join") {
    const Value* items = find_arg(a, 0, "iterable");
    if (items == nullptr) return bad_args("str", name, "an iterable of strings");
    ANVIL_ASSIGN_OR_RETURN(std::vector<Value> parts, iterate(*items));
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (!parts[i].is_string()) {
        return core::Status::invalid_argument("sequence item " + std::to_string(i) + ": expected str instance, " +
                                              parts[i].type_name() + " found");
      }
      if (i > 0) out += s;
      out += parts[i].as_string();
    }
    return Value::string(std::move(out));
  }
  if (name == "isspace") return Value::boolean(all_chars(s, py::is_space));
  if (name == "isdigit") return Value::boolean(all_chars(s, [](char32_t c) { return c >= '0' && c <= '9'; }));
  if (name == "isalpha" || name == "isalnum") {
    const bool alnum = name == "isalnum";
    return Value::boolean(all_chars(s, [alnum](char32_t c) {
      const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
      return alpha || (alnum && c >= '0' && c <= '9');
    }));
  }
  if (name == "isupper") return Value::boolean(py::is_upper(s));
  if (name == "islower") return Value::boolean(py::is_lower(s));
  return core::Status::invalid_argument("'str object' has no attribute '" + std::string(name) + "'");
}

core::Result<Value> dict_method(const Value& d, std::string_view name, const CallArgs& a) {
  const DictData& data = d.dict_data();
  if (name == "items" || name == "keys" || name == "values") {
    std::vector<Value> out;
    for (const auto& [k, v] : data.items) {
      if (name == "items") {
        out.push_back(Value::list({Value::string(k), v}, true));
      } else {
        out.push_back(name == "keys" ? Value::string(k) : v);
      }
    }
    return Value::list(std::move(out));
  }
  if (name == "get") {
    const Value* key = find_arg(a, 0, "key");
    if (key == nullptr) return bad_args("dict", name, "a key");
    if (key->is_string()) {
      if (const Value* v = data.find(key->as_string())) return *v;
    }
    const Value* fallback = find_arg(a, 1, "default");
    return fallback ? *fallback : Value::none();
  }
  return core::Status::invalid_argument("'dict object' has no attribute '" + std::string(name) + "'");
}

core::Result<Value> list_method(const Value& l, std::string_view name, const CallArgs& a) {
  if (name == "index" || name == "count") {
    const Value* x = find_arg(a, 0, "value");
    if (x == nullptr) return bad_args("list", name, "a value");
    int64_t n = 0;
    for (size_t i = 0; i < l.items().size(); ++i) {
      if (!(l.items()[i] == *x)) continue;
      if (name == "index") return Value::integer(static_cast<int64_t>(i));
      ++n;
    }
    if (name == "index") return core::Status::invalid_argument(x->repr() + " is not in list");
    return Value::integer(n);
  }
  return core::Status::invalid_argument("'" + l.type_name() + " object' has no attribute '" + std::string(name) + "'");
}

bool is_mutator(std::string_view name) {
  static const std::vector<std::string_view> kMutators = {"append", "extend", "insert", "pop", "remove", "clear",
                                                          "sort", "reverse", "update", "setdefault", "popitem"};
  return std::find(kMutators.begin(), kMutators.end(), name) != kMutators.end();
}

}  // namespace

core::Result<Value> call_method(const Value& object, std::string_view name, const CallArgs& args) {
  if ((object.is_list() || (object.is_dict() && !object.is_namespace())) && is_mutator(name)) {
    return core::Status::invalid_argument("access to attribute '" + std::string(name) + "' of '" + object.type_name() +
                                          "' object is unsafe (templates cannot change lists or dicts)");
  }
  if (object.is_string()) return str_method(object.as_string(), name, args);
  if (object.is_dict()) return dict_method(object, name, args);
  if (object.is_list()) return list_method(object, name, args);
  return core::Status::invalid_argument("'" + object.type_name() + " object' has no attribute '" + std::string(name) + "'");
}

namespace {

core::Result<Value> g_range(const CallArgs& a) {
  std::vector<int64_t> n;
  for (const Value& v : a.positional) {
    if (!v.is_int() && !v.is_bool()) return core::Status::invalid_argument("range() needs integers, not " + v.type_name());
    n.push_back(v.is_bool() ? v.as_bool() : v.as_int());
  }
  if (n.empty() || n.size() > 3 || !a.keyword.empty()) return core::Status::invalid_argument("range() takes 1 to 3 integers");
  const int64_t start = n.size() == 1 ? 0 : n[0];
  const int64_t stop = n.size() == 1 ? n[0] : n[1];
  const int64_t step = n.size() == 3 ? n[2] : 1;
  if (step == 0) return core::Status::invalid_argument("range() arg 3 must not be zero");
  std::vector<Value> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (static_cast<int64_t>(out.size()) >= kMaxRange) {
      return core::Status::invalid_argument("range() longer than " + std::to_string(kMaxRange) + " items");
    }
    out.push_back(Value::integer(i));
  }
  return Value::list(std::move(out));
}

// dict(**kwargs) and namespace(**kwargs), each also taking one dict to copy.
core::Result<std::vector<std::pair<std::string, Value>>> mapping_args(const CallArgs& a, std::string_view fn) {
  std::vector<std::pair<std::string, Value>> items;
  if (a.positional.size() > 1 || (a.positional.size() == 1 && !a.positional[0].is_dict())) {
    return core::Status::invalid_argument(std::string(fn) + "() takes one dict and keyword arguments");
  }
  if (!a.positional.empty()) items = a.positional[0].dict_data().items;
  for (const auto& kv : a.keyword) items.push_back(kv);
  return items;
}

core::Result<Value> g_dict(const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(auto items, mapping_args(a, "dict"));
  return Value::dict(std::move(items));
}

core::Result<Value> g_namespace(const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(auto items, mapping_args(a, "namespace"));
  return Value::make_namespace(std::move(items));
}

}  // namespace

std::vector<std::pair<std::string, Value>> default_globals() {
  return {{"range", Value::function("range", g_range)},
          {"dict", Value::function("dict", g_dict)},
          {"namespace", Value::function("namespace", g_namespace)}};
}

}  // namespace anvil::text::jinja
