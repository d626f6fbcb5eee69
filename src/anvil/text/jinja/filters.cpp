// Jinja2's built-in filters, with HF's `tojson` (json.dumps without HTML escaping).
#include <unicode/uchar.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>

#include "anvil/text/jinja/builtins.h"
#include "anvil/text/jinja/operators.h"
#include "anvil/text/jinja/pystr.h"
#include "anvil/text/utf8.h"

namespace anvil::text::jinja {

const Value* find_arg(const CallArgs& args, size_t i, std::string_view name) {
  if (i < args.positional.size()) return &args.positional[i];
  for (const auto& [k, v] : args.keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

namespace {

using Filter = core::Result<Value> (*)(const Value&, const CallArgs&);

constexpr size_t kKeywordOnly = SIZE_MAX;  // find_arg index that matches no positional argument

bool flag(const CallArgs& a, size_t i, std::string_view name, bool fallback = false) {
  const Value* v = find_arg(a, i, name);
  return v ? v->truthy() : fallback;
}

core::Result<int64_t> int_arg(const CallArgs& a, size_t i, std::string_view name, int64_t fallback) {
  const Value* v = find_arg(a, i, name);
  if (v == nullptr || v->is_none()) return fallback;
  if (v->is_int() || v->is_bool()) return v->is_bool() ? int64_t{v->as_bool()} : v->as_int();
  return core::Status::invalid_argument("argument '" + std::string(name) + "' must be an integer, not " + v->type_name());
}

// obj.a.b.0 for map/selectattr/sort(attribute=...): dotted names, integer parts index.
core::Result<Value> get_path(const Value& obj, std::string_view path) {
  Value cur = obj;
  for (const std::string& part : py::split(path, std::string_view("."), -1)) {
    const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric) {
      ANVIL_ASSIGN_OR_RETURN(cur, get_item(cur, Value::integer(std::atoll(part.c_str()))));
    } else {
      ANVIL_ASSIGN_OR_RETURN(cur, get_item(cur, Value::string(part)));
    }
  }
  return cur;
}

core::Result<std::vector<Value>> items_of(const Value& v) { return iterate(v); }

// Sorting key for sort/dictsort/unique/min/max: strings lower-cased unless case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(py::lower(v.as_string()));
  return v;
}

core::Status sort_values(std::vector<Value>& keys, std::vector<size_t>& order, bool reverse) {
  core::Status error;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (!error.ok()) return false;
    auto lt = compare("<", reverse ? keys[b] : keys[a], reverse ? keys[a] : keys[b]);
    if (!lt.ok()) {
      error = lt.status();
      return false;
    }
    return *lt;
  });
  return error;
}

core::Result<Value> f_abs(const Value& v, const CallArgs&) {
  if (v.is_int()) return Value::integer(v.as_int() < 0 ? -v.as_int() : v.as_int());
  if (v.is_bool()) return Value::integer(v.as_bool());
  if (v.is_float()) return Value::number(std::fabs(v.as_float()));
  return core::Status::invalid_argument("bad operand type for abs(): '" + v.type_name() + "'");
}

// Jinja2's attr filter reads Python attributes only, never dict keys: only namespaces have any.
core::Result<Value> f_attr(const Value& v, const CallArgs& a) {
  const Value* name = find_arg(a, 0, "name");
  if (name == nullptr || !name->is_string()) return core::Status::invalid_argument("attr() needs an attribute name");
  if (v.is_namespace()) return get_attribute(v, name->as_string());
  if (v.is_undefined()) return undefined_error(v);
  return Value::undefined("'" + v.type_name() + " object' has no attribute '" + name->as_string() + "'");
}

core::Result<Value> f_capitalize(const Value& v, const CallArgs&) { return Value::string(py::capitalize(v.str())); }

core::Result<Value> f_length(const Value& v, const CallArgs&) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return Value::integer(0);
    case Value::Kind::kString:
      return Value::integer(static_cast<int64_t>(py::length(v.as_string())));
    case Value::Kind::kList:
      return Value::integer(static_cast<int64_t>(v.items().size()));
    case Value::Kind::kDict:
      return Value::integer(static_cast<int64_t>(v.dict_data().items.size()));
    default:
      return core::Status::invalid_argument("object of type '" + v.type_name() + "' has no len()");
  }
}

core::Result<Value> f_default(const Value& v, const CallArgs& a) {
  const bool boolean = flag(a, 1, "boolean");
  if (v.is_undefined() || (boolean && !v.truthy())) {
    const Value* d = find_arg(a, 0, "default_value");
    return d ? *d : Value::string("");
  }
  return v;
}

core::Result<Value> f_dictsort(const Value& v, const CallArgs& a) {
  if (!v.is_dict()) return core::Status::invalid_argument("dictsort() needs a dict, not " + v.type_name());
  const bool case_sensitive = flag(a, 0, "case_sensitive");
  const Value* by = find_arg(a, 1, "by");
  const bool by_value = by && by->is_string() && by->as_string() == "value";
  const bool reverse = flag(a, 2, "reverse");
  std::vector<Value> pairs, keys;
  std::vector<size_t> order;
  for (const auto& [k, x] : v.dict_data().items) {
    order.push_back(pairs.size());
    pairs.push_back(Value::list({Value::string(k), x}, true));
    keys.push_back(sort_key(by_value ? x : Value::string(k), case_sensitive));
  }
  ANVIL_RETURN_IF_ERROR(sort_values(keys, order, reverse));
  std::vector<Value> out;
  for (size_t i : order) out.push_back(pairs[i]);
  return Value::list(std::move(out));
}

core::Result<Value> f_escape(const Value& v, const CallArgs&) {
  std::string out;
  for (char c : v.str()) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value::string(std::move(out));
}

core::Result<Value> f_first(const Value& v, const CallArgs&) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

core::Result<Value> f_last(const Value& v, const CallArgs&) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

std::optional<double> parse_float(const std::string& s) {
  const std::string t = py::strip(s, std::nullopt, true, true);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return d;
}

core::Result<Value> f_float(const Value& v, const CallArgs& a) {
  if (v.is_number()) return Value::number(v.to_double());
  if (v.is_string()) {
    if (auto d = parse_float(v.as_string())) return Value::number(*d);
  }
  const Value* d = find_arg(a, 0, "default");
  return d ? *d : Value::number(0.0);
}

core::Result<Value> f_int(const Value& v, const CallArgs& a) {
  if (v.is_int() || v.is_bool()) return Value::integer(v.is_bool() ? v.as_bool() : v.as_int());
  if (v.is_float() && std::isfinite(v.as_float()) && std::fabs(v.as_float()) < 9.2e18) {
    return Value::integer(static_cast<int64_t>(v.as_float()));
  }
  if (v.is_string()) {
    ANVIL_ASSIGN_OR_RETURN(int64_t base, int_arg(a, 1, "base", 10));
    const std::string t = py::strip(v.as_string(), std::nullopt, true, true);
    char* end = nullptr;
    errno = 0;
    const long long i = std::strtoll(t.c_str(), &end, static_cast<int>(base));
    if (!t.empty() && end == t.c_str() + t.size() && errno == 0) return Value::integer(i);
    if (auto d = parse_float(t); d && std::isfinite(*d) && std::fabs(*d) < 9.2e18) {
      return Value::integer(static_cast<int64_t>(*d));
    }
  }
  const Value* d = find_arg(a, 0, "default");
  return d ? *d : Value::integer(0);
}

core::Result<Value> f_indent(const Value& v, const CallArgs& a) {
  const Value* width = find_arg(a, 0, "width");
  std::string indention(4, ' ');
  if (width && width->is_string()) {
    indention = width->as_string();
  } else if (width) {
    ANVIL_ASSIGN_OR_RETURN(int64_t w, int_arg(a, 0, "width", 4));
    indention.assign(static_cast<size_t>(std::max<int64_t>(0, w)), ' ');
  }
  const bool first = flag(a, 1, "first"), blank = flag(a, 2, "blank");
  const std::vector<std::string> lines = py::splitlines(v.str() + "\n");
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    if (i > 0 && (blank || !lines[i].empty())) out += indention;
    out += lines[i];
  }
  if (first) out = indention + out;
  return Value::string(std::move(out));
}

core::Result<Value> f_items(const Value& v, const CallArgs&) {
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) return core::Status::invalid_argument("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, x] : v.dict_data().items) out.push_back(Value::list({Value::string(k), x}, true));
  return Value::list(std::move(out));
}

core::Result<Value> f_join(const Value& v, const CallArgs& a) {
  const Value* sep = find_arg(a, 0, "d");
  const Value* attribute = find_arg(a, 1, "attribute");
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && sep) out += sep->str();
    if (attribute && !attribute->is_none()) {
      ANVIL_ASSIGN_OR_RETURN(Value x, get_path(items[i], attribute->str()));
      out += x.str();
    } else {
      out += items[i].str();
    }
  }
  return Value::string(std::move(out));
}

core::Result<Value> f_list(const Value& v, const CallArgs&) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  return Value::list(std::move(items));
}

core::Result<Value> f_lower(const Value& v, const CallArgs&) { return Value::string(py::lower(v.str())); }
core::Result<Value> f_upper(const Value& v, const CallArgs&) { return Value::string(py::upper(v.str())); }

// The filter, test or attribute that map/select/selectattr apply, with its remaining arguments.
CallArgs rest_args(const CallArgs& a, size_t from) {
  CallArgs rest;
  for (size_t i = from; i < a.positional.size(); ++i) rest.positional.push_back(a.positional[i]);
  return rest;
}

core::Result<Value> f_map(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  std::vector<Value> out;
  const Value* attribute = find_arg(a, kKeywordOnly, "attribute");
  if (attribute) {
    const Value* dflt = find_arg(a, kKeywordOnly, "default");
    for (const Value& x : items) {
      ANVIL_ASSIGN_OR_RETURN(Value y, get_path(x, attribute->str()));
      out.push_back(y.is_undefined() && dflt ? *dflt : y);
    }
    return Value::list(std::move(out));
  }
  if (a.positional.empty() || !a.positional[0].is_string()) {
    return core::Status::invalid_argument("map() needs a filter name or attribute=");
  }
  const std::string name = a.positional[0].as_string();
  if (!has_filter(name)) return core::Status::unsupported("unsupported filter '" + name + "' in map()");
  CallArgs rest = rest_args(a, 1);
  rest.keyword = a.keyword;
  for (const Value& x : items) {
    ANVIL_ASSIGN_OR_RETURN(Value y, apply_filter(name, x, rest));
    out.push_back(std::move(y));
  }
  return Value::list(std::move(out));
}

// select / reject / selectattr / rejectattr.
core::Result<Value> select_impl(const Value& v, const CallArgs& a, bool by_attribute, bool keep) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  size_t next = 0;
  std::string attribute;
  if (by_attribute) {
    if (a.positional.empty()) return core::Status::invalid_argument("selectattr() needs an attribute name");
    attribute = a.positional[next++].str();
  }
  std::string test;
  if (next < a.positional.size()) test = a.positional[next++].str();
  if (!test.empty() && !has_test(test)) return core::Status::unsupported("unsupported test '" + test + "'");
  const CallArgs rest = rest_args(a, next);
  std::vector<Value> out;
  for (const Value& x : items) {
    Value subject = x;
    if (by_attribute) {
      ANVIL_ASSIGN_OR_RETURN(subject, get_path(x, attribute));
    }
    bool pass = subject.truthy();
    if (!test.empty()) {
      ANVIL_ASSIGN_OR_RETURN(pass, apply_test(test, subject, rest));
    }
    if (pass == keep) out.push_back(x);
  }
  return Value::list(std::move(out));
}

core::Result<Value> f_select(const Value& v, const CallArgs& a) { return select_impl(v, a, false, true); }
core::Result<Value> f_reject(const Value& v, const CallArgs& a) { return select_impl(v, a, false, false); }
core::Result<Value> f_selectattr(const Value& v, const CallArgs& a) { return select_impl(v, a, true, true); }
core::Result<Value> f_rejectattr(const Value& v, const CallArgs& a) { return select_impl(v, a, true, false); }

// min / max / sort / unique share the key: attribute= then case folding.
core::Result<std::vector<Value>> keys_for(const std::vector<Value>& items, const CallArgs& a, size_t case_index,
                                          size_t attribute_index) {
  const bool case_sensitive = flag(a, case_index, "case_sensitive");
  const Value* attribute = find_arg(a, attribute_index, "attribute");
  std::vector<Value> keys;
  for (const Value& x : items) {
    Value k = x;
    if (attribute && !attribute->is_none()) {
      ANVIL_ASSIGN_OR_RETURN(k, get_path(x, attribute->str()));
    }
    keys.push_back(sort_key(k, case_sensitive));
  }
  return keys;
}

core::Result<Value> f_sort(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> keys, keys_for(items, a, 1, 2));
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  ANVIL_RETURN_IF_ERROR(sort_values(keys, order, flag(a, 0, "reverse")));
  std::vector<Value> out;
  for (size_t i : order) out.push_back(items[i]);
  return Value::list(std::move(out));
}

core::Result<Value> min_max(const Value& v, const CallArgs& a, bool want_max) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  if (items.empty()) return Value::undefined(std::string("No aggregated item, sequence was empty."));
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> keys, keys_for(items, a, 0, 1));
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    ANVIL_ASSIGN_OR_RETURN(bool better, compare(want_max ? ">" : "<", keys[i], keys[best]));
    if (better) best = i;
  }
  return items[best];
}

core::Result<Value> f_min(const Value& v, const CallArgs& a) { return min_max(v, a, false); }
core::Result<Value> f_max(const Value& v, const CallArgs& a) { return min_max(v, a, true); }

core::Result<Value> f_unique(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> keys, keys_for(items, a, 0, 1));
  std::vector<Value> out, seen;
  for (size_t i = 0; i < items.size(); ++i) {
    if (std::find(seen.begin(), seen.end(), keys[i]) != seen.end()) continue;
    seen.push_back(keys[i]);
    out.push_back(items[i]);
  }
  return Value::list(std::move(out));
}

core::Result<Value> f_replace(const Value& v, const CallArgs& a) {
  const Value* old_s = find_arg(a, 0, "old");
  const Value* new_s = find_arg(a, 1, "new");
  if (old_s == nullptr || new_s == nullptr) return core::Status::invalid_argument("replace() needs old and new strings");
  ANVIL_ASSIGN_OR_RETURN(int64_t count, int_arg(a, 2, "count", -1));
  CallArgs m;
  m.positional = {Value::string(old_s->str()), Value::string(new_s->str()), Value::integer(count)};
  return call_method(Value::string(v.str()), "replace", m);
}

core::Result<Value> f_reverse(const Value& v, const CallArgs&) {
  if (v.is_string()) {
    std::vector<std::string> cs = py::chars(v.as_string());
    std::string out;
    for (auto it = cs.rbegin(); it != cs.rend(); ++it) out += *it;
    return Value::string(std::move(out));
  }
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

core::Result<Value> f_round(const Value& v, const CallArgs& a) {
  if (!v.is_number()) return core::Status::invalid_argument("round() needs a number, not " + v.type_name());
  ANVIL_ASSIGN_OR_RETURN(int64_t precision, int_arg(a, 0, "precision", 0));
  const Value* method = find_arg(a, 1, "method");
  const std::string m = method ? method->str() : "common";
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.to_double() * scale;
  double r;
  if (m == "common") {
    r = std::nearbyint(x);  // Python's round(): halves go to the even neighbour
  } else if (m == "ceil") {
    r = std::ceil(x);
  } else if (m == "floor") {
    r = std::floor(x);
  } else {
    return core::Status::invalid_argument("method must be common, ceil or floor, not '" + m + "'");
  }
  return Value::number(r / scale);
}

core::Result<Value> f_safe(const Value& v, const CallArgs&) { return Value::string(v.str()); }
core::Result<Value> f_string(const Value& v, const CallArgs&) { return Value::string(v.str()); }

core::Result<Value> f_sum(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Value> items, items_of(v));
  const Value* attribute = find_arg(a, 0, "attribute");
  const Value* start = find_arg(a, 1, "start");
  Value total = start ? *start : Value::integer(0);
  for (const Value& x : items) {
    Value term = x;
    if (attribute && !attribute->is_none()) {
      ANVIL_ASSIGN_OR_RETURN(term, get_path(x, attribute->str()));
    }
    ANVIL_ASSIGN_OR_RETURN(total, binary_op("+", total, term));
  }
  return total;
}

// Jinja2's title filter: upper-case the first character after each run of "-", whitespace,
// "(", "{", "[", "<" and lower-case the rest.
core::Result<Value> f_title(const Value& v, const CallArgs&) {
  const std::string s = v.str();
  std::string out;
  bool word_start = true;
  for (size_t i = 0; i < s.size();) {
    const size_t b = i;
    const char32_t cp = decode_utf8(s, i);
    const std::string_view one(s.data() + b, i - b);
    const bool sep = cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<' || py::is_space(cp);
    if (sep) {
      out += one;
      word_start = true;
    } else {
      out += word_start ? py::upper(one) : py::lower(one);
      word_start = false;
    }
  }
  return Value::string(std::move(out));
}

core::Result<Value> f_tojson(const Value& v, const CallArgs& a) {
  std::optional<int> indent;
  if (const Value* i = find_arg(a, 0, "indent"); i && !i->is_none()) {
    if (!i->is_int()) return core::Status::unsupported("tojson(indent=...) needs an integer");
    indent = static_cast<int>(std::clamp<int64_t>(i->as_int(), 0, 64));
  }
  std::optional<std::pair<std::string, std::string>> separators;
  if (const Value* s = find_arg(a, 2, "separators"); s && !s->is_none()) {
    if (!s->is_list() || s->items().size() != 2) return core::Status::invalid_argument("separators must be a pair of strings");
    separators.emplace(s->items()[0].str(), s->items()[1].str());
  }
  ANVIL_ASSIGN_OR_RETURN(std::string json,
                         to_json(v, indent, flag(a, 3, "sort_keys"), separators, flag(a, 1, "ensure_ascii")));
  return Value::string(std::move(json));
}

core::Result<Value> f_trim(const Value& v, const CallArgs& a) {
  const Value* chars = find_arg(a, 0, "chars");
  std::optional<std::string> c;
  if (chars && !chars->is_none()) c = chars->str();
  return Value::string(py::strip(v.str(), c ? std::optional<std::string_view>(*c) : std::nullopt, true, true));
}

core::Result<Value> f_wordcount(const Value& v, const CallArgs&) {
  const std::string s = v.str();
  int64_t words = 0;
  bool in_word = false;
  for (size_t i = 0; i < s.size();) {
    const auto cp = static_cast<UChar32>(decode_utf8(s, i));
    const bool w = u_isalnum(cp) || cp == '_';
    if (w && !in_word) ++words;
    in_word = w;
  }
  return Value::integer(words);
}

const std::map<std::string_view, Filter>& filters() {
  static const std::map<std::string_view, Filter> kFilters = {
      {"abs", f_abs},           {"attr", f_attr},         {"capitalize", f_capitalize},
      {"count", f_length},      {"d", f_default},         {"default", f_default},
      {"dictsort", f_dictsort}, {"e", f_escape},          {"escape", f_escape},
      {"first", f_first},       {"float", f_float},       {"indent", f_indent},
      {"int", f_int},           {"items", f_items},       {"join", f_join},
      {"last", f_last},         {"length", f_length},     {"list", f_list},
      {"lower", f_lower},       {"map", f_map},           {"max", f_max},
      {"min", f_min},           {"reject", f_reject},     {"rejectattr", f_rejectattr},
      {"replace", f_replace},   {"reverse", f_reverse},   {"round", f_round},
      {"safe", f_safe},         {"select", f_select},     {"selectattr", f_selectattr},
      {"sort", f_sort},         {"string", f_string},     {"sum", f_sum},
      {"title", f_title},       {"tojson", f_tojson},     {"trim", f_trim},
      {"unique", f_unique},     {"upper", f_upper},       {"wordcount", f_wordcount},
  };
  return kFilters;
}

}  // namespace

bool has_filter(std::string_view name) { return filters().count(name) > 0; }

core::Result<Value> apply_filter(std::string_view name, const Value& input, const CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) return core::Status::unsupported("unsupported filter '" + std::string(name) + "'");
  return it->second(input, args);
}

}  // namespace anvil::text::jinja
