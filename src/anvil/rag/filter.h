// Metadata filters: one AST with two front-ends (the CLI's text form and the HTTP API's Mongo-style
// JSON form) and one evaluator, used by the BM25 path and by anything holding metadata as JSON.
// Grammar, semantics and examples: docs/FILTERS.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "anvil/core/status.h"

namespace anvil::rag {

// A constant a field is compared with.
struct FilterLiteral {
  enum class Kind : uint8_t { kBool, kInt, kDouble, kString, kTime };
  Kind kind = Kind::kBool;
  bool b = false;    // kBool
  int64_t i = 0;     // kInt: the value; kTime: microseconds since 1970-01-01T00:00:00Z
  double d = 0;      // kDouble: the value; kInt: the value as a double
  std::string s;     // kString: UTF-8 text; kTime: the instant as "2024-01-01T00:00:00Z"

  static FilterLiteral boolean(bool v);
  static FilterLiteral integer(int64_t v);
  static FilterLiteral number(double v);
  static FilterLiteral string(std::string v);
  static FilterLiteral time(int64_t micros);

  friend bool operator==(const FilterLiteral&, const FilterLiteral&) = default;
};

enum class FilterOp : uint8_t {
  kEq, kNe, kLt, kLe, kGt, kGe,  // field <op> values[0]
  kIn, kNotIn,                   // field [not] in values
  kExists,                       // field is present and not null
  kAnd, kOr, kNot,               // children; an empty kAnd matches everything
};

struct FilterNode {
  FilterOp op = FilterOp::kAnd;
  uint32_t field = 0;                  // comparisons: index into Filter::fields()
  std::vector<FilterLiteral> values;   // comparisons: one; kIn/kNotIn: any number
  std::vector<FilterNode> children;    // kAnd/kOr: any number; kNot: one

  friend bool operator==(const FilterNode&, const FilterNode&) = default;
};

// A parsed filter. Immutable and cheap to evaluate from many threads at once.
class Filter {
 public:
  // Matches everything (an empty conjunction), like the JSON filter {}.
  Filter() = default;

  // Text form (CLI --filter):
  //   type = "csv" and (rating >= 4 or brand in ["Acme", "小米"]) and not timestamp < 2024-01-01
  // A malformed filter is kInvalidArgument:
  //   "filter: expected a value after '>=' at column 14, found end of input"
  static core::Result<Filter> parse(std::string_view text);

  // JSON form (HTTP API), Chroma/Mongo style:
  //   {"$and": [{"brand": {"$in": ["Acme"]}}, {"rating": {"$gte": 4}}]}
  // Errors name the JSON path: "filter: expected an array of filters for '$and' at $, found 3".
  static core::Result<Filter> from_json(const boost::json::value& json);
  // Parses the JSON text first; invalid JSON is reported with its byte offset.
  static core::Result<Filter> parse_json(std::string_view json_text);

  // Builds a filter from an AST whose field indexes point into `fields`.
  Filter(FilterNode root, std::vector<std::string> fields)
      : root_(std::move(root)), fields_(std::move(fields)) {}

  // Evaluates against a metadata object. A field name is looked up as a key first ("a.b"), then
  // as a path through nested objects (metadata["a"]["b"]).
  bool matches(const boost::json::object& metadata) const;

  // Canonical text form, accepted by parse(): fully parenthesized binary operators, strings in
  // double quotes. Used by tests and logs.
  std::string to_string() const;

  // True for the match-everything filter.
  bool is_trivial() const { return root_.op == FilterOp::kAnd && root_.children.empty(); }

  const FilterNode& root() const { return root_; }
  // Distinct field names, in order of first appearance; FilterNode::field indexes this list.
  const std::vector<std::string>& fields() const { return fields_; }

 private:
  FilterNode root_;
  std::vector<std::string> fields_;
};

}  // namespace anvil::rag
