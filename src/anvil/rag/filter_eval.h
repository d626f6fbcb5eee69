// The filter evaluator, generic over where metadata lives: a JSON object (Filter::matches) or the
// BM25 index's interned per-chunk store. Both see a field as zero or more scalars.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "anvil/rag/filter.h"
#include "anvil/rag/filter_time.h"

namespace anvil::rag::filter_eval {

// One scalar of a metadata field (an array field yields one per element).
struct Scalar {
  enum class Kind : uint8_t { kBool, kInt, kDouble, kString };
  // Whether a kString is known to be (or not to be) an ISO 8601 instant; kUnknown parses on demand.
  enum class Time : uint8_t { kUnknown, kNo, kYes };
  Kind kind = Kind::kBool;
  Time time = Time::kUnknown;
  bool b = false;
  int64_t i = 0;       // kInt
  double d = 0;        // kDouble
  std::string_view s;  // kString
  int64_t time_us = 0; // kString with time == kYes
};

inline constexpr int kIncomparable = 2;

// Three-way comparison of a metadata scalar with a literal: -1, 0, 1, or kIncomparable when their
// types differ (a string against a number, a non-timestamp string against a date, ...).
inline int compare(const Scalar& v, const FilterLiteral& lit) {
  auto three_way = [](auto a, auto b) { return a < b ? -1 : (b < a ? 1 : 0); };
  switch (lit.kind) {
    case FilterLiteral::Kind::kBool:
      return v.kind == Scalar::Kind::kBool ? three_way(v.b, lit.b) : kIncomparable;
    case FilterLiteral::Kind::kInt:
      if (v.kind == Scalar::Kind::kInt) return three_way(v.i, lit.i);
      if (v.kind == Scalar::Kind::kDouble) return three_way(v.d, lit.d);
      return kIncomparable;
    case FilterLiteral::Kind::kDouble:
      if (v.kind == Scalar::Kind::kInt) return three_way(static_cast<double>(v.i), lit.d);
      if (v.kind == Scalar::Kind::kDouble) return three_way(v.d, lit.d);
      return kIncomparable;
    case FilterLiteral::Kind::kString:
      return v.kind == Scalar::Kind::kString ? three_way(v.s.compare(lit.s), 0) : kIncomparable;
    case FilterLiteral::Kind::kTime: {
      if (v.kind != Scalar::Kind::kString || v.time == Scalar::Time::kNo) return kIncomparable;
      if (v.time == Scalar::Time::kYes) return three_way(v.time_us, lit.i);
      std::optional<int64_t> t = parse_iso8601_micros(v.s);
      return t ? three_way(*t, lit.i) : kIncomparable;
    }
  }
  return kIncomparable;
}

inline bool holds(FilterOp op, int c) {
  switch (op) {
    case FilterOp::kEq: return c == 0;
    case FilterOp::kLt: return c == -1;
    case FilterOp::kLe: return c == -1 || c == 0;
    case FilterOp::kGt: return c == 1;
    case FilterOp::kGe: return c == 1 || c == 0;
    default: return false;
  }
}

// Source must provide
//   template <class Fn> bool for_each(uint32_t field, Fn&& fn) const;
// which calls fn(const Scalar&) for each scalar of the field (stopping when fn returns true) and
// returns false when the field is missing or null. `field` indexes Filter::fields().
template <class Source>
bool evaluate(const FilterNode& node, const Source& source) {
  switch (node.op) {
    case FilterOp::kAnd:
      for (const FilterNode& c : node.children) {
        if (!evaluate(c, source)) return false;
      }
      return true;
    case FilterOp::kOr:
      for (const FilterNode& c : node.children) {
        if (evaluate(c, source)) return true;
      }
      return false;
    case FilterOp::kNot:
      return !evaluate(node.children.front(), source);
    case FilterOp::kExists:
      return source.for_each(node.field, [](const Scalar&) { return true; });
    case FilterOp::kEq:
    case FilterOp::kLt:
    case FilterOp::kLe:
    case FilterOp::kGt:
    case FilterOp::kGe: {
      bool found = false;
      const FilterLiteral& lit = node.values.front();
      source.for_each(node.field, [&](const Scalar& v) {
        found = holds(node.op, compare(v, lit));
        return found;
      });
      return found;
    }
    case FilterOp::kIn: {
      bool found = false;
      source.for_each(node.field, [&](const Scalar& v) {
        for (const FilterLiteral& lit : node.values) {
          if (compare(v, lit) == 0) return found = true;
        }
        return false;
      });
      return found;
    }
    case FilterOp::kNe:
    case FilterOp::kNotIn: {
      // True when the field holds at least one value comparable with the literal(s) and none
      // of its values equals one of them.
      bool comparable = false, equal = false;
      source.for_each(node.field, [&](const Scalar& v) {
        for (const FilterLiteral& lit : node.values) {
          int c = compare(v, lit);
          if (c == 0) return equal = true;
          if (c != kIncomparable) comparable = true;
        }
        return false;
      });
      return comparable && !equal;
    }
  }
  return false;
}

}  // namespace anvil::rag::filter_eval
