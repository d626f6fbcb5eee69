#include "anvil/rag/filter.h"

#include <charconv>
#include <cstdio>
#include <limits>

#include <boost/json.hpp>

#include "anvil/core/quote.h"
#include "anvil/rag/filter_eval.h"
#include "anvil/rag/filter_syntax.h"
#include "anvil/rag/filter_time.h"

namespace anvil::rag {

FilterLiteral FilterLiteral::boolean(bool v) {
  FilterLiteral l;
  l.kind = Kind::kBool;
  l.b = v;
  return l;
}

FilterLiteral FilterLiteral::integer(int64_t v) {
  FilterLiteral l;
  l.kind = Kind::kInt;
  l.i = v;
  l.d = static_cast<double>(v);
  return l;
}

FilterLiteral FilterLiteral::number(double v) {
  FilterLiteral l;
  l.kind = Kind::kDouble;
  l.d = v;
  return l;
}

FilterLiteral FilterLiteral::string(std::string v) {
  FilterLiteral l;
  l.kind = Kind::kString;
  l.s = std::move(v);
  return l;
}

FilterLiteral FilterLiteral::time(int64_t micros) {
  FilterLiteral l;
  l.kind = Kind::kTime;
  l.i = micros;
  l.s = core::format_timestamp_micros(micros);
  return l;
}

namespace {

// Metadata held as a JSON object, seen through the evaluator's Source interface.
class JsonSource {
 public:
  JsonSource(const boost::json::object& metadata, const std::vector<std::string>& fields)
      : metadata_(metadata), fields_(fields) {}

  template <class Fn>
  bool for_each(uint32_t field, Fn&& fn) const {
    const boost::json::value* v = lookup(fields_[field]);
    if (v == nullptr || v->is_null() || v->is_object()) return false;
    if (const boost::json::array* arr = v->if_array()) {
      for (const boost::json::value& e : *arr) {
        filter_eval::Scalar s;
        if (to_scalar(e, s) && fn(s)) break;
      }
      return true;
    }
    filter_eval::Scalar s;
    if (to_scalar(*v, s)) fn(s);
    return true;
  }

 private:
  const boost::json::value* lookup(const std::string& name) const {
    if (const boost::json::value* v = metadata_.if_contains(name)) return v;
    // A dotted name walks nested objects: "a.b" finds {"a": {"b": ...}}.
    const boost::json::object* obj = &metadata_;
    std::string_view rest = name;
    for (;;) {
      std::size_t dot = rest.find('.');
      const boost::json::value* v = obj->if_contains(rest.substr(0, dot));
      if (v == nullptr || dot == std::string_view::npos) return v;
      obj = v->if_object();
      if (obj == nullptr) return nullptr;
      rest = rest.substr(dot + 1);
    }
  }

  static bool to_scalar(const boost::json::value& v, filter_eval::Scalar& s) {
    using Kind = filter_eval::Scalar::Kind;
    switch (v.kind()) {
      case boost::json::kind::bool_: s.kind = Kind::kBool; s.b = v.get_bool(); return true;
      case boost::json::kind::int64: s.kind = Kind::kInt; s.i = v.get_int64(); return true;
      case boost::json::kind::uint64:
        if (v.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          s.kind = Kind::kInt;
          s.i = static_cast<int64_t>(v.get_uint64());
        } else {
          s.kind = Kind::kDouble;
          s.d = static_cast<double>(v.get_uint64());
        }
        return true;
      case boost::json::kind::double_: s.kind = Kind::kDouble; s.d = v.get_double(); return true;
      case boost::json::kind::string:
        s.kind = Kind::kString;
        s.s = std::string_view(v.get_string());
        return true;
      default: return false;  // null, nested arrays and objects are not filterable scalars
    }
  }

  const boost::json::object& metadata_;
  const std::vector<std::string>& fields_;
};

void append_string_literal(std::string& out, std::string_view s) { core::append_quoted(out, s); }

void append_literal(std::string& out, const FilterLiteral& lit) {
  switch (lit.kind) {
    case FilterLiteral::Kind::kBool: out += lit.b ? "true" : "false"; break;
    case FilterLiteral::Kind::kInt: out += std::to_string(lit.i); break;
    case FilterLiteral::Kind::kDouble: {
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, lit.d);
      std::string_view text(buf, static_cast<std::size_t>(end - buf));
      out += text;
      // Keep it a double when parsed again ("4" would come back as an integer).
      if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
      break;
    }
    case FilterLiteral::Kind::kString: append_string_literal(out, lit.s); break;
    case FilterLiteral::Kind::kTime: out += lit.s; break;
  }
}

void append_field(std::string& out, std::string_view name) {
  if (filter_syntax::is_plain_field_name(name)) {
    out += name;
    return;
  }
  out += '`';
  for (char c : name) {
    if (c == '`') out += '`';  // a backquote inside a quoted name is doubled
    out += c;
  }
  out += '`';
}

std::string_view op_text(FilterOp op) {
  switch (op) {
    case FilterOp::kEq: return "=";
    case FilterOp::kNe: return "!=";
    case FilterOp::kLt: return "<";
    case FilterOp::kLe: return "<=";
    case FilterOp::kGt: return ">";
    case FilterOp::kGe: return ">=";
    case FilterOp::kIn: return "in";
    case FilterOp::kNotIn: return "not in";
    case FilterOp::kExists: return "exists";
    case FilterOp::kAnd: return "and";
    case FilterOp::kOr: return "or";
    case FilterOp::kNot: return "not";
  }
  return "?";
}

void append_node(std::string& out, const FilterNode& node, const std::vector<std::string>& fields,
                 bool nested) {
  switch (node.op) {
    case FilterOp::kAnd:
    case FilterOp::kOr: {
      if (node.children.size() == 1) {
        append_node(out, node.children.front(), fields, nested);
        return;
      }
      if (nested) out += '(';
      for (std::size_t k = 0; k < node.children.size(); ++k) {
        if (k > 0) {
          out += ' ';
          out += op_text(node.op);
          out += ' ';
        }
        append_node(out, node.children[k], fields, true);
      }
      if (nested) out += ')';
      return;
    }
    case FilterOp::kNot:
      out += "not ";
      append_node(out, node.children.front(), fields, true);
      return;
    case FilterOp::kExists:
      append_field(out, fields[node.field]);
      out += " exists";
      return;
    case FilterOp::kIn:
    case FilterOp::kNotIn:
      append_field(out, fields[node.field]);
      out += ' ';
      out += op_text(node.op);
      out += " [";
      for (std::size_t k = 0; k < node.values.size(); ++k) {
        if (k > 0) out += ", ";
        append_literal(out, node.values[k]);
      }
      out += ']';
      return;
    default:
      append_field(out, fields[node.field]);
      out += ' ';
      out += op_text(node.op);
      out += ' ';
      append_literal(out, node.values.front());
      return;
  }
}

}  // namespace

bool Filter::matches(const boost::json::object& metadata) const {
  return filter_eval::evaluate(root_, JsonSource(metadata, fields_));
}

std::string Filter::to_string() const {
  std::string out;
  if (!is_trivial()) append_node(out, root_, fields_, false);
  return out;
}

}  // namespace anvil::rag
