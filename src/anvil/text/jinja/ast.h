// The syntax tree the Jinja parser builds and the evaluator walks. Every node keeps the byte
// offset of its first token so that errors can name a line and column.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "anvil/text/jinja/value.h"

namespace anvil::text::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,    // literal
    kName,       // name
    kList,       // [args...]
    kTuple,      // (args...)
    kDict,       // {args[0]: args[1], args[2]: args[3], ...}
    kAttribute,  // args[0].name
    kItem,       // args[0][args[1]]
    kSlice,      // args[0][args[1]:args[2]:args[3]], any of the three may be null
    kCall,       // args[0](args[1:]..., kwargs...)
    kFilter,     // args[0] | name(args[1:]..., kwargs...)
    kTest,       // args[0] is [not] name(args[1:]...)
    kUnary,      // name ("-", "+", "not") args[0]
    kBinary,     // args[0] name args[1]: + - * / // % ** ~ and or
    kCompare,    // args[0] ops[0] args[1] ops[1] args[2] ...: == != < <= > >= in "not in"
    kCondition,  // args[0] if args[1] else args[2] (args[2] may be null)
  };
  Kind kind = Kind::kLiteral;
  size_t offset = 0;
  Value literal;
  std::string name;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;  // kCompare
  bool negated = false;          // kTest: "is not"
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  enum class Kind {
    kText,      // text
    kOutput,    // {{ expr }}
    kIf,        // branches: (condition, body)...; a final else has a null condition
    kFor,       // {% for targets in expr [if filter] %}body{% else %}else_body{% endfor %}
    kSet,       // {% set targets = expr %} or {% set targets[0].attribute = expr %}
    kSetBlock,  // {% set targets[0] %}body{% endset %}
    kBreak,
    kContinue,
    kScope,     // body rendered in place: {% generation %} (HF's assistant-mask tag)
  };
  Kind kind = Kind::kText;
  size_t offset = 0;
  std::string text;
  ExprPtr expr;
  std::vector<std::pair<ExprPtr, Body>> branches;
  std::vector<std::string> targets;
  std::string attribute;  // kSet on a namespace: targets[0].attribute
  ExprPtr filter;
  Body body;
  Body else_body;
};

}  // namespace anvil::text::jinja
