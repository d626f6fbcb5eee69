// The JSON front-end of filters (HTTP API), Chroma/Mongo style: {"field": value} is equality,
// {"field": {"$gte": 4}} an operator, {"$and": [...]}, {"$or": [...]}, {"$not": {...}}.
// Errors name the JSON path of the offending value ("$.$and[1].rating.$gte").
#include <limits>
#include <string>
#include <string_view>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/rag/filter.h"
#include "anvil/rag/filter_syntax.h"
#include "anvil/rag/filter_time.h"

namespace anvil::rag {
namespace {

using core::Result;
using core::Status;

Status json_error(std::string message) {
  return Status::invalid_argument("filter: " + std::move(message));
}

// How a JSON value is named in "found ..." parts of errors.
std::string describe(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::array: return v.get_array().empty() ? "[]" : "an array";
    case boost::json::kind::object: return v.get_object().empty() ? "{}" : "an object";
    case boost::json::kind::string: {
      std::string text = boost::json::serialize(v);
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return "string " + text;
    }
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return v.get_bool() ? "true" : "false";
    default: return "number " + boost::json::serialize(v);
  }
}

struct OpName {
  std::string_view name;
  FilterOp op;
};

constexpr OpName kFieldOps[] = {
    {"$eq", FilterOp::kEq},   {"$ne", FilterOp::kNe}, {"$gt", FilterOp::kGt},
    {"$gte", FilterOp::kGe},  {"$lt", FilterOp::kLt}, {"$lte", FilterOp::kLe},
    {"$in", FilterOp::kIn},   {"$nin", FilterOp::kNotIn}, {"$exists", FilterOp::kExists},
};

class JsonFilterParser {
 public:
  Result<Filter> run(const boost::json::value& json) {
    ANVIL_ASSIGN_OR_RETURN(FilterNode root, parse_filter(json, "$", 0));
    return Filter(std::move(root), fields_.take());
  }

 private:
  // A filter object: each member is a condition; several members are combined with AND.
  Result<FilterNode> parse_filter(const boost::json::value& json, const std::string& path,
                                  int depth) {
    if (depth >= filter_syntax::kMaxDepth) {
      return json_error(
          fmt::format("nesting deeper than {} levels at {}", filter_syntax::kMaxDepth, path));
    }
    const boost::json::object* obj = json.if_object();
    if (obj == nullptr) {
      return json_error(
          fmt::format("expected a JSON object at {}, found {}", path, describe(json)));
    }
    FilterNode all;
    all.op = FilterOp::kAnd;
    for (const auto& member : *obj) {
      std::string_view key = member.key();
      ANVIL_ASSIGN_OR_RETURN(FilterNode node, parse_member(key, member.value(), path, depth));
      all.children.push_back(std::move(node));
    }
    if (all.children.size() == 1) return std::move(all.children.front());
    return all;
  }

  Result<FilterNode> parse_member(std::string_view key, const boost::json::value& value,
                                  const std::string& path, int depth) {
    const std::string member_path = fmt::format("{}.{}", path, key);
    if (key == "$and" || key == "$or") {
      const boost::json::array* arr = value.if_array();
      if (arr == nullptr || arr->empty()) {
        return json_error(fmt::format("expected a non-empty array of filters for '{}' at {}, found {}",
                                      key, member_path, describe(value)));
      }
      FilterNode node;
      node.op = key == "$and" ? FilterOp::kAnd : FilterOp::kOr;
      for (std::size_t k = 0; k < arr->size(); ++k) {
        ANVIL_ASSIGN_OR_RETURN(
            FilterNode child, parse_filter((*arr)[k], fmt::format("{}[{}]", member_path, k), depth + 1));
        node.children.push_back(std::move(child));
      }
      if (node.children.size() == 1) return std::move(node.children.front());
      return node;
    }
    if (key == "$not") {
      ANVIL_ASSIGN_OR_RETURN(FilterNode child, parse_filter(value, member_path, depth + 1));
      FilterNode node;
      node.op = FilterOp::kNot;
      node.children.push_back(std::move(child));
      return node;
    }
    if (key.empty() || key.front() == '$') {
      return json_error(fmt::format(
          "expected '$and', '$or', '$not' or a field name at {}, found '{}'", path, key));
    }
    return parse_field(key, value, member_path);
  }

  // {"field": value} or {"field": {"$op": value, ...}} (several operators are combined with AND).
  Result<FilterNode> parse_field(std::string_view field, const boost::json::value& value,
                                 const std::string& path) {
    const uint32_t field_index = fields_.intern(field);
    const boost::json::object* ops = value.if_object();
    if (ops == nullptr || is_date_literal(*ops)) {
      if (value.is_array()) {
        return json_error(fmt::format(
            "expected a value or an object of operators for field '{}' at {}, found {} (use "
            "$in to match any of several values)",
            field, path, describe(value)));
      }
      FilterNode node;
      node.op = FilterOp::kEq;
      node.field = field_index;
      ANVIL_ASSIGN_OR_RETURN(FilterLiteral lit, parse_literal(value, "$eq", FilterOp::kEq, path));
      node.values.push_back(std::move(lit));
      return node;
    }
    if (ops->empty()) {
      return json_error(fmt::format("expected at least one operator for field '{}' at {}, found {{}}",
                                    field, path));
    }
    FilterNode all;
    all.op = FilterOp::kAnd;
    for (const auto& member : *ops) {
      std::string_view name = member.key();
      const std::string op_path = fmt::format("{}.{}", path, name);
      const OpName* found = nullptr;
      for (const OpName& candidate : kFieldOps) {
        if (candidate.name == name) found = &candidate;
      }
      if (found == nullptr) {
        return json_error(fmt::format(
            "expected one of $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists at {}, found '{}'",
            path, name));
      }
      FilterNode node;
      node.op = found->op;
      node.field = field_index;
      const boost::json::value& arg = member.value();
      if (found->op == FilterOp::kExists) {
        if (!arg.is_bool()) {
          return json_error(fmt::format("expected true or false for '$exists' at {}, found {}",
                                        op_path, describe(arg)));
        }
        if (!arg.get_bool()) {
          FilterNode negated;
          negated.op = FilterOp::kNot;
          negated.children.push_back(std::move(node));
          node = std::move(negated);
        }
      } else if (found->op == FilterOp::kIn || found->op == FilterOp::kNotIn) {
        const boost::json::array* arr = arg.if_array();
        if (arr == nullptr) {
          return json_error(fmt::format("expected an array of values for '{}' at {}, found {}", name,
                                        op_path, describe(arg)));
        }
        for (std::size_t k = 0; k < arr->size(); ++k) {
          ANVIL_ASSIGN_OR_RETURN(FilterLiteral lit,
                                 parse_literal((*arr)[k], name, FilterOp::kEq,
                                               fmt::format("{}[{}]", op_path, k)));
          node.values.push_back(std::move(lit));
        }
      } else {
        ANVIL_ASSIGN_OR_RETURN(FilterLiteral lit, parse_literal(arg, name, found->op, op_path));
        node.values.push_back(std::move(lit));
      }
      all.children.push_back(std::move(node));
    }
    if (all.children.size() == 1) return std::move(all.children.front());
    return all;
  }

  static bool is_date_literal(const boost::json::object& obj) {
    return obj.size() == 1 && obj.contains("$date");
  }

  // A string, number, boolean or {"$date": "ISO 8601"}.
  static Result<FilterLiteral> parse_literal(const boost::json::value& v, std::string_view op_name,
                                             FilterOp op, const std::string& path) {
    const bool ordering =
        op == FilterOp::kLt || op == FilterOp::kLe || op == FilterOp::kGt || op == FilterOp::kGe;
    switch (v.kind()) {
      case boost::json::kind::string: return FilterLiteral::string(std::string(v.get_string()));
      case boost::json::kind::int64: return FilterLiteral::integer(v.get_int64());
      case boost::json::kind::uint64:
        if (v.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return FilterLiteral::integer(static_cast<int64_t>(v.get_uint64()));
        }
        return FilterLiteral::number(static_cast<double>(v.get_uint64()));
      case boost::json::kind::double_: return FilterLiteral::number(v.get_double());
      case boost::json::kind::bool_:
        if (ordering) {
          return json_error(fmt::format(
              "expected a number, string or {{\"$date\": ...}} for '{}' at {}, found {} (booleans "
              "have no order)",
              op_name, path, describe(v)));
        }
        return FilterLiteral::boolean(v.get_bool());
      case boost::json::kind::object:
        if (is_date_literal(v.get_object())) {
          const boost::json::value& text = v.get_object().at("$date");
          if (const boost::json::string* s = text.if_string()) {
            if (std::optional<int64_t> micros = parse_iso8601_micros(*s)) {
              return FilterLiteral::time(*micros);
            }
          }
          return json_error(fmt::format(
              "expected an ISO 8601 date or datetime string for '$date' at {}.$date, found {}", path,
              describe(text)));
        }
        [[fallthrough]];
      default:
        return json_error(fmt::format(
            "expected a string, number, boolean or {{\"$date\": ...}} for '{}' at {}, found {}",
            op_name, path, describe(v)));
    }
  }

  filter_syntax::FieldTable fields_;
};

}  // namespace

core::Result<Filter> Filter::from_json(const boost::json::value& json) {
  return JsonFilterParser().run(json);
}

core::Result<Filter> Filter::parse_json(std::string_view json_text) {
  boost::json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t consumed = parser.write(json_text.data(), json_text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return json_error(fmt::format("invalid JSON at byte {}: {}", consumed, ec.message()));
  }
  return from_json(parser.release());
}

}  // namespace anvil::rag
