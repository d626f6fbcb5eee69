#include "anvil/text/jinja/value.h"

#include <boost/json.hpp>

#include "anvil/text/jinja/pystr.h"

namespace anvil::text::jinja {

const Value* DictData::find(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k == key) return &v;
  }
  return nullptr;
}

void DictData::set(std::string key, Value value) {
  for (auto& [k, v] : items) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  items.emplace_back(std::move(key), std::move(value));
}

Value Value::undefined(std::string hint) { return Value(Storage(Undefined{std::move(hint)})); }
Value Value::none() { return Value(Storage(nullptr)); }
Value Value::boolean(bool b) { return Value(Storage(b)); }
Value Value::integer(int64_t i) { return Value(Storage(i)); }
Value Value::number(double d) { return Value(Storage(d)); }
Value Value::string(std::string s) { return Value(Storage(std::move(s))); }

Value Value::list(std::vector<Value> items, bool is_tuple) {
  auto data = std::make_shared<ListData>();
  data->items = std::move(items);
  data->is_tuple = is_tuple;
  return Value(Storage(std::shared_ptr<const ListData>(std::move(data))));
}

Value Value::dict(std::vector<std::pair<std::string, Value>> items) {
  auto data = std::make_shared<DictData>();
  for (auto& [k, v] : items) data->set(std::move(k), std::move(v));
  return Value(Storage(std::move(data)));
}

Value Value::make_namespace(std::vector<std::pair<std::string, Value>> items) {
  Value v = dict(std::move(items));
  v.mutable_namespace().is_namespace = true;
  return v;
}

Value Value::function(std::string name, NativeFunction fn, bool verbatim_errors) {
  auto data = std::make_shared<FunctionData>();
  data->name = std::move(name);
  data->fn = std::move(fn);
  data->verbatim_errors = verbatim_errors;
  return Value(Storage(std::shared_ptr<const FunctionData>(std::move(data))));
}

Value Value::from_json(const boost::json::value& json) {
  switch (json.kind()) {
    case boost::json::kind::null:
      return none();
    case boost::json::kind::bool_:
      return boolean(json.get_bool());
    case boost::json::kind::int64:
      return integer(json.get_int64());
    case boost::json::kind::uint64: {
      const uint64_t u = json.get_uint64();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return integer(static_cast<int64_t>(u));
      return number(static_cast<double>(u));
    }
    case boost::json::kind::double_:
      return number(json.get_double());
    case boost::json::kind::string:
      return string(std::string(json.get_string()));
    case boost::json::kind::array: {
      std::vector<Value> items;
      for (const auto& e : json.get_array()) items.push_back(from_json(e));
      return list(std::move(items));
    }
    case boost::json::kind::object: {
      std::vector<std::pair<std::string, Value>> items;
      for (const auto& kv : json.get_object()) items.emplace_back(std::string(kv.key()), from_json(kv.value()));
      return dict(std::move(items));
    }
  }
  return none();
}

double Value::to_double() const {
  switch (kind()) {
    case Kind::kBool:
      return as_bool() ? 1.0 : 0.0;
    case Kind::kInt:
      return static_cast<double>(as_int());
    case Kind::kFloat:
      return as_float();
    default:
      return 0.0;
  }
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_float() != 0.0;
    case Kind::kString:
      return !as_string().empty();
    case Kind::kList:
      return !items().empty();
    case Kind::kDict:
      return is_namespace() || !dict_data().items.empty();
    case Kind::kFunction:
      return true;
  }
  return false;
}

std::string Value::str() const {
  switch (kind()) {
    case Kind::kUndefined:
      return {};
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return as_bool() ? "True" : "False";
    case Kind::kInt:
      return std::to_string(as_int());
    case Kind::kFloat:
      return py::float_repr(as_float());
    case Kind::kString:
      return as_string();
    case Kind::kList: {
      const ListData& l = list_data();
      std::string out = l.is_tuple ? "(" : "[";
      for (size_t i = 0; i < l.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += l.items[i].repr();
      }
      if (l.is_tuple && l.items.size() == 1) out += ',';
      out += l.is_tuple ? ")" : "]";
      return out;
    }
    case Kind::kDict: {
      const DictData& d = dict_data();
      std::string out = d.is_namespace ? "<Namespace {" : "{";
      bool first = true;
      for (const auto& [k, v] : d.items) {
        if (!first) out += ", ";
        first = false;
        out += py::string_repr(k) + ": " + v.repr();
      }
      out += d.is_namespace ? "}>" : "}";
      return out;
    }
    case Kind::kFunction:
      return "<built-in function " + function_data().name + ">";
  }
  return {};
}

std::string Value::repr() const {
  if (is_string()) return py::string_repr(as_string());
  if (is_undefined()) return "Undefined";
  return str();
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return list_data().is_tuple ? "tuple" : "list";
    case Kind::kDict:
      return is_namespace() ? "Namespace" : "dict";
    case Kind::kFunction:
      return "builtin_function_or_method";
  }
  return "object";
}

bool operator==(const Value& a, const Value& b) {
  using Kind = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.to_double() == b.to_double();
    const int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
    const int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
    return x == y;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.as_string() == b.as_string();
    case Kind::kList: {
      const ListData& x = a.list_data();
      const ListData& y = b.list_data();
      return x.is_tuple == y.is_tuple && x.items == y.items;
    }
    case Kind::kDict: {
      const DictData& x = a.dict_data();
      const DictData& y = b.dict_data();
      if (x.is_namespace || y.is_namespace) return &x == &y;
      if (x.items.size() != y.items.size()) return false;
      for (const auto& [k, v] : x.items) {
        const Value* w = y.find(k);
        if (w == nullptr || !(*w == v)) return false;
      }
      return true;
    }
    case Kind::kFunction:
      return &a.function_data() == &b.function_data();
    default:
      return false;
  }
}

core::Status undefined_error(const Value& v) {
  return core::Status::invalid_argument(v.undefined_hint().empty() ? "a value is undefined" : v.undefined_hint());
}

}  // namespace anvil::text::jinja
