// Jinja2's built-in tests: `x is defined`, `x is not none`, `x is divisibleby 3`, ...
#include <map>

#include "anvil/text/jinja/builtins.h"
#include "anvil/text/jinja/operators.h"
#include "anvil/text/jinja/pystr.h"

namespace anvil::text::jinja {

namespace {

using Test = core::Result<bool> (*)(const Value&, const CallArgs&);

core::Result<const Value*> operand(const CallArgs& a, std::string_view test) {
  const Value* v = find_arg(a, 0, "other");
  if (v == nullptr) v = find_arg(a, 0, "num");
  if (v == nullptr) v = find_arg(a, 0, "seq");
  if (v == nullptr) return core::Status::invalid_argument("test '" + std::string(test) + "' needs an argument");
  return v;
}

core::Result<bool> t_defined(const Value& v, const CallArgs&) { return !v.is_undefined(); }
core::Result<bool> t_undefined(const Value& v, const CallArgs&) { return v.is_undefined(); }
core::Result<bool> t_none(const Value& v, const CallArgs&) { return v.is_none(); }
core::Result<bool> t_boolean(const Value& v, const CallArgs&) { return v.is_bool(); }
core::Result<bool> t_true(const Value& v, const CallArgs&) { return v.is_bool() && v.as_bool(); }
core::Result<bool> t_false(const Value& v, const CallArgs&) { return v.is_bool() && !v.as_bool(); }
core::Result<bool> t_integer(const Value& v, const CallArgs&) { return v.is_int(); }
core::Result<bool> t_float(const Value& v, const CallArgs&) { return v.is_float(); }
core::Result<bool> t_number(const Value& v, const CallArgs&) { return v.is_number(); }
core::Result<bool> t_string(const Value& v, const CallArgs&) { return v.is_string(); }
core::Result<bool> t_mapping(const Value& v, const CallArgs&) { return v.is_dict() && !v.is_namespace(); }
// Python's iter() and len()+__getitem__ accept strings, lists, dicts and Jinja's Undefined.
core::Result<bool> t_iterable(const Value& v, const CallArgs&) {
  return v.is_string() || v.is_list() || (v.is_dict() && !v.is_namespace()) || v.is_undefined();
}
core::Result<bool> t_callable(const Value& v, const CallArgs&) { return v.is_function(); }
core::Result<bool> t_escaped(const Value&, const CallArgs&) { return false; }

core::Result<bool> t_sameas(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(const Value* other, operand(a, "sameas"));
  if (v.kind() != other->kind()) return false;
  switch (v.kind()) {
    case Value::Kind::kList:
      return &v.list_data() == &other->list_data();
    case Value::Kind::kDict:
      return &v.dict_data() == &other->dict_data();
    default:
      return v == *other;
  }
}

template <const char* kOp>
core::Result<bool> t_compare(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(const Value* other, operand(a, kOp));
  return compare(kOp, v, *other);
}
constexpr char kEq[] = "==";
constexpr char kNe[] = "!=";
constexpr char kLt[] = "<";
constexpr char kLe[] = "<=";
constexpr char kGt[] = ">";
constexpr char kGe[] = ">=";

core::Result<bool> t_in(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(const Value* seq, operand(a, "in"));
  return compare("in", v, *seq);
}

core::Result<bool> remainder_is(const Value& v, const Value& divisor, int64_t want) {
  ANVIL_ASSIGN_OR_RETURN(Value r, binary_op("%", v, divisor));
  return r == Value::integer(want);
}

core::Result<bool> t_odd(const Value& v, const CallArgs&) { return remainder_is(v, Value::integer(2), 1); }
core::Result<bool> t_even(const Value& v, const CallArgs&) { return remainder_is(v, Value::integer(2), 0); }
core::Result<bool> t_divisibleby(const Value& v, const CallArgs& a) {
  ANVIL_ASSIGN_OR_RETURN(const Value* num, operand(a, "divisibleby"));
  return remainder_is(v, *num, 0);
}

core::Result<bool> t_lower(const Value& v, const CallArgs&) { return py::is_lower(v.str()); }
core::Result<bool> t_upper(const Value& v, const CallArgs&) { return py::is_upper(v.str()); }
core::Result<bool> t_filter(const Value& v, const CallArgs&) { return v.is_string() && has_filter(v.as_string()); }
core::Result<bool> t_test(const Value& v, const CallArgs&) { return v.is_string() && has_test(v.as_string()); }

const std::map<std::string_view, Test>& tests() {
  static const std::map<std::string_view, Test> kTests = {
      {"defined", t_defined},
      {"undefined", t_undefined},
      {"none", t_none},
      {"boolean", t_boolean},
      {"true", t_true},
      {"false", t_false},
      {"integer", t_integer},
      {"float", t_float},
      {"number", t_number},
      {"string", t_string},
      {"mapping", t_mapping},
      {"iterable", t_iterable},
      {"sequence", t_iterable},
      {"callable", t_callable},
      {"escaped", t_escaped},
      {"sameas", t_sameas},
      {"eq", t_compare<kEq>},
      {"equalto", t_compare<kEq>},
      {"==", t_compare<kEq>},
      {"ne", t_compare<kNe>},
      {"!=", t_compare<kNe>},
      {"lt", t_compare<kLt>},
      {"lessthan", t_compare<kLt>},
      {"<", t_compare<kLt>},
      {"le", t_compare<kLe>},
      {"<=", t_compare<kLe>},
      {"gt", t_compare<kGt>},
      {"greaterthan", t_compare<kGt>},
      {">", t_compare<kGt>},
      {"ge", t_compare<kGe>},
      {">=", t_compare<kGe>},
      {"in", t_in},
      {"odd", t_odd},
      {"even", t_even},
      {"divisibleby", t_divisibleby},
      {"lower", t_lower},
      {"upper", t_upper},
      {"filter", t_filter},
      {"test", t_test},
  };
  return kTests;
}

}  // namespace

bool has_test(std::string_view name) { return tests().count(name) > 0; }

core::Result<bool> apply_test(std::string_view name, const Value& input, const CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) return core::Status::unsupported("unsupported test '" + std::string(name) + "'");
  return it->second(input, args);
}

}  // namespace anvil::text::jinja
