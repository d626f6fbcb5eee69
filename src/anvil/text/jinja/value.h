// Template values modelled on the Python objects Jinja2 uses: undefined, None, bool, int, float,
// str, list/tuple, ordered dict, namespace, callables. Lists and dicts are shared and immutable (HF's
// sandbox); only namespace() objects change, by `{% set ns.attr = ... %}`.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text::jinja {

class Value;

// Arguments of a call: f(a, b, key=c).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

using NativeFunction = std::function<core::Result<Value>(const CallArgs&)>;

struct ListData {
  std::vector<Value> items;
  bool is_tuple = false;  // prints as (a, b) and never equals a list, as in Python
};

struct DictData {
  std::vector<std::pair<std::string, Value>> items;  // insertion order, unique keys
  bool is_namespace = false;                         // the only mutable kind of dict

  const Value* find(std::string_view key) const;
  // Replaces the value of `key` or appends it.
  void set(std::string key, Value value);
};

struct FunctionData {
  std::string name;
  NativeFunction fn;
  // Errors from raise_exception() reach the caller verbatim, without the template location.
  bool verbatim_errors = false;
};

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kFunction };

  // Undefined. `hint` says why for the error raised if the value is used as an object:
  // "'x' is undefined", "'dict object' has no attribute 'y'".
  Value() = default;
  static Value undefined(std::string hint);
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  static Value list(std::vector<Value> items, bool is_tuple = false);
  static Value dict(std::vector<std::pair<std::string, Value>> items);
  static Value make_namespace(std::vector<std::pair<std::string, Value>> items);
  static Value function(std::string name, NativeFunction fn, bool verbatim_errors = false);
  // JSON: objects -> dict, arrays -> list, null -> none, numbers -> int or float.
  static Value from_json(const boost::json::value& json);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }  // bool is an int in Python
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_function() const { return kind() == Kind::kFunction; }
  bool is_namespace() const { return is_dict() && dict_data().is_namespace; }

  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  // int, float or bool as a double.
  double to_double() const;
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const std::vector<Value>& items() const { return list_data().items; }
  const ListData& list_data() const { return *std::get<std::shared_ptr<const ListData>>(v_); }
  const DictData& dict_data() const { return *std::get<std::shared_ptr<DictData>>(v_); }
  DictData& mutable_namespace() const { return *std::get<std::shared_ptr<DictData>>(v_); }
  const FunctionData& function_data() const { return *std::get<std::shared_ptr<const FunctionData>>(v_); }
  const std::string& undefined_hint() const { return std::get<Undefined>(v_).hint; }

  // Python truthiness: undefined, None, False, 0, 0.0, "", [], {} are false.
  bool truthy() const;
  // Python str(): None -> "None", True -> "True", 1.0 -> "1.0", lists as ['a', 1]; undefined -> "".
  std::string str() const;
  // Python repr(): strings quoted ('a'), everything else as str().
  std::string repr() const;
  // Python type names for errors: "int", "str", "list", "dict", "NoneType", "undefined".
  std::string type_name() const;

  // Python ==: 1 == 1.0 == True, lists element-wise, dicts regardless of order; undefined equals
  // only undefined (as Jinja's Undefined does).
  friend bool operator==(const Value& a, const Value& b);

 private:
  struct Undefined {
    std::string hint;
  };
  using Storage = std::variant<Undefined, std::nullptr_t, bool, int64_t, double, std::string,
                               std::shared_ptr<const ListData>, std::shared_ptr<DictData>,
                               std::shared_ptr<const FunctionData>>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

// The error an undefined value raises when used as an object, e.g. "'x' is undefined".
core::Status undefined_error(const Value& v);

}  // namespace anvil::text::jinja
