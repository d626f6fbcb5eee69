#include "anvil/text/jinja/evaluator.h"

#include <limits>

#include "anvil/text/jinja/builtins.h"
#include "anvil/text/jinja/lexer.h"
#include "anvil/text/jinja/operators.h"

namespace anvil::text::jinja {

namespace {

constexpr size_t kMaxOutputBytes = 64u << 20;  // a runaway template stops here with an error

class Evaluator {
 public:
  Evaluator(std::string_view source, uint64_t max_steps, std::string& out, bool& verbatim)
      : src_(source), max_steps_(max_steps), out_(&out), verbatim_(verbatim) {}

  core::Status run(const Body& body, const std::vector<std::pair<std::string, Value>>& variables) {
    frames_.emplace_back(default_globals());
    for (const auto& [k, v] : variables) assign(k, v);
    auto flow = exec(body);
    return flow.ok() ? core::Status::ok_status() : flow.status();
  }

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  using Frame = std::vector<std::pair<std::string, Value>>;

  core::Status at(size_t offset, const core::Status& st) const {
    return {st.code(), describe_location(src_, offset) + ": " + st.message()};
  }

  Value lookup(const std::string& name) const {
    for (auto f = frames_.rbegin(); f != frames_.rend(); ++f) {
      for (const auto& [k, v] : *f) {
        if (k == name) return v;
      }
    }
    return Value::undefined("'" + name + "' is undefined");
  }

  void assign(const std::string& name, Value v) {
    for (auto& [k, x] : frames_.back()) {
      if (k == name) {
        x = std::move(v);
        return;
      }
    }
    frames_.back().emplace_back(name, std::move(v));
  }

  core::Status step(size_t offset) {
    if (++steps_ > max_steps_) {
      return at(offset, core::Status::resource_exhausted("template ran more than " + std::to_string(max_steps_) +
                                                         " steps (statements and loop iterations)"));
    }
    if (out_->size() > kMaxOutputBytes) return at(offset, core::Status::resource_exhausted("template output longer than 64 MiB"));
    return core::Status::ok_status();
  }

  core::Result<Flow> exec(const Body& body) {
    for (const StmtPtr& s : body) {
      ANVIL_ASSIGN_OR_RETURN(Flow f, exec(*s));
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  core::Result<Flow> exec(const Stmt& s) {
    ANVIL_RETURN_IF_ERROR(step(s.offset));
    switch (s.kind) {
      case Stmt::Kind::kText:
        *out_ += s.text;
        return Flow::kNormal;
      case Stmt::Kind::kOutput: {
        ANVIL_ASSIGN_OR_RETURN(Value v, eval(*s.expr));
        *out_ += v.str();
        return Flow::kNormal;
      }
      case Stmt::Kind::kIf:
        for (const auto& [cond, body] : s.branches) {
          bool take = true;
          if (cond) {
            ANVIL_ASSIGN_OR_RETURN(Value c, eval(*cond));
            take = c.truthy();
          }
          if (take) return exec(body);
        }
        return Flow::kNormal;
      case Stmt::Kind::kFor:
        return exec_for(s);
      case Stmt::Kind::kSet: {
        ANVIL_ASSIGN_OR_RETURN(Value v, eval(*s.expr));
        ANVIL_RETURN_IF_ERROR(set_targets(s, std::move(v)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kSetBlock: {
        std::string captured;
        std::string* saved = out_;
        out_ = &captured;
        auto f = exec(s.body);
        out_ = saved;
        if (!f.ok()) return f.status();
        assign(s.targets[0], Value::string(std::move(captured)));
        return Flow::kNormal;
      }
      case Stmt::Kind::kBreak:
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        return Flow::kContinue;
      case Stmt::Kind::kScope:
        return exec(s.body);
    }
    return Flow::kNormal;
  }

  // Binds `v` to the targets of a set or for: one name, or several unpacked from a sequence.
  core::Status bind(const Stmt& s, const std::vector<std::string>& names, Value v) {
    if (names.size() == 1) {
      assign(names[0], std::move(v));
      return core::Status::ok_status();
    }
    auto items = iterate(v);
    if (!items.ok()) return at(s.offset, items.status());
    if (items->size() != names.size()) {
      const std::string msg = items->size() > names.size()
                                  ? "too many values to unpack (expected " + std::to_string(names.size()) + ")"
                                  : "not enough values to unpack (expected " + std::to_string(names.size()) +
                                        ", got " + std::to_string(items->size()) + ")";
      return at(s.offset, core::Status::invalid_argument(msg));
    }
    for (size_t i = 0; i < names.size(); ++i) assign(names[i], (*items)[i]);
    return core::Status::ok_status();
  }

  core::Status set_targets(const Stmt& s, Value v) {
    if (s.attribute.empty()) return bind(s, s.targets, std::move(v));
    const Value ns = lookup(s.targets[0]);
    if (!ns.is_namespace()) {
      return at(s.offset, core::Status::invalid_argument("cannot assign attribute on non-namespace object '" +
                                                         s.targets[0] + "' (" + ns.type_name() + ")"));
    }
    ns.mutable_namespace().set(s.attribute, std::move(v));
    return core::Status::ok_status();
  }

  core::Result<Flow> exec_for(const Stmt& s) {
    ANVIL_ASSIGN_OR_RETURN(Value iterable, eval(*s.expr));
    auto all = iterate(iterable);
    if (!all.ok()) return at(s.expr->offset, all.status());
    std::vector<Value> items;
    if (s.filter) {  // `for x in xs if cond`: cond sees the loop variables, not `loop`
      for (Value& item : *all) {
        frames_.emplace_back();
        core::Status st = bind(s, s.targets, item);
        auto keep = st.ok() ? eval(*s.filter) : core::Result<Value>(st);
        frames_.pop_back();
        if (!keep.ok()) return keep.status();
        if (keep->truthy()) items.push_back(std::move(item));
      }
    } else {
      items = std::move(*all);
    }
    if (items.empty()) return exec(s.else_body);
    const int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      ANVIL_RETURN_IF_ERROR(step(s.offset));
      frames_.emplace_back();
      core::Status st = bind(s, s.targets, items[static_cast<size_t>(i)]);
      if (st.ok()) assign("loop", loop_object(items, i));
      auto flow = st.ok() ? exec(s.body) : core::Result<Flow>(st);
      frames_.pop_back();
      if (!flow.ok()) return flow.status();
      if (*flow == Flow::kBreak) break;
    }
    return Flow::kNormal;
  }

  static Value loop_object(const std::vector<Value>& items, int64_t i) {
    const int64_t n = static_cast<int64_t>(items.size());
    std::vector<std::pair<std::string, Value>> fields = {
        {"index", Value::integer(i + 1)},
        {"index0", Value::integer(i)},
        {"revindex", Value::integer(n - i)},
        {"revindex0", Value::integer(n - i - 1)},
        {"first", Value::boolean(i == 0)},
        {"last", Value::boolean(i == n - 1)},
        {"length", Value::integer(n)},
        {"depth", Value::integer(1)},
        {"depth0", Value::integer(0)},
        {"previtem", i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("there is no previous item")},
        {"nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("there is no next item")},
        {"cycle", Value::function("loop.cycle", [i](const CallArgs& a) -> core::Result<Value> {
           if (a.positional.empty()) return core::Status::invalid_argument("no items for cycling given");
           return a.positional[static_cast<size_t>(i) % a.positional.size()];
         })},
    };
    return Value::dict(std::move(fields));
  }

  core::Result<CallArgs> eval_args(const Expr& e, size_t first) {
    CallArgs args;
    for (size_t i = first; i < e.args.size(); ++i) {
      ANVIL_ASSIGN_OR_RETURN(Value v, eval(*e.args[i]));
      args.positional.push_back(std::move(v));
    }
    for (const auto& [k, x] : e.kwargs) {
      ANVIL_ASSIGN_OR_RETURN(Value v, eval(*x));
      args.keyword.emplace_back(k, std::move(v));
    }
    return args;
  }

  core::Result<Value> call(const Expr& e) {
    const Expr& callee = *e.args[0];
    if (callee.kind == Expr::Kind::kAttribute) {  // obj.method(...)
      ANVIL_ASSIGN_OR_RETURN(Value obj, eval(*callee.args[0]));
      if (obj.is_undefined()) return at(callee.offset, undefined_error(obj));
      const Value* member = obj.is_dict() ? obj.dict_data().find(callee.name) : nullptr;
      if (member == nullptr || !member->is_function()) {
        ANVIL_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, 1));
        auto r = call_method(obj, callee.name, args);
        if (!r.ok()) return at(callee.offset, r.status());
        return r;
      }
      return invoke(e, *member);
    }
    ANVIL_ASSIGN_OR_RETURN(Value fn, eval(callee));
    return invoke(e, fn);
  }

  core::Result<Value> invoke(const Expr& e, const Value& fn) {
    if (fn.is_undefined()) return at(e.offset, undefined_error(fn));
    if (!fn.is_function()) {
      return at(e.offset, core::Status::invalid_argument("'" + fn.type_name() + "' object is not callable"));
    }
    ANVIL_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, 1));
    auto r = fn.function_data().fn(args);
    if (r.ok()) return r;
    if (fn.function_data().verbatim_errors) {
      verbatim_ = true;
      return r.status();
    }
    return at(e.offset, r.status());
  }

  core::Result<Value> unary(const Expr& e) {
    ANVIL_ASSIGN_OR_RETURN(Value v, eval(*e.args[0]));
    if (e.name == "not") return Value::boolean(!v.truthy());
    if (v.is_undefined()) return at(e.offset, undefined_error(v));
    if (!v.is_number()) {
      return at(e.offset, core::Status::invalid_argument("bad operand type for unary " + e.name + ": '" + v.type_name() + "'"));
    }
    if (v.is_float()) return Value::number(e.name == "-" ? -v.as_float() : v.as_float());
    const int64_t i = v.is_bool() ? v.as_bool() : v.as_int();
    if (e.name == "+") return Value::integer(i);
    if (i == std::numeric_limits<int64_t>::min()) return at(e.offset, core::Status::invalid_argument("integer overflow"));
    return Value::integer(-i);
  }

  core::Result<Value> eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return e.literal;
      case Expr::Kind::kName:
        return lookup(e.name);
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        std::vector<Value> items;
        for (const ExprPtr& x : e.args) {
          ANVIL_ASSIGN_OR_RETURN(Value v, eval(*x));
          items.push_back(std::move(v));
        }
        return Value::list(std::move(items), e.kind == Expr::Kind::kTuple);
      }
      case Expr::Kind::kDict: {
        std::vector<std::pair<std::string, Value>> items;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          ANVIL_ASSIGN_OR_RETURN(Value k, eval(*e.args[i]));
          if (!k.is_string()) {
            return at(e.args[i]->offset, core::Status::unsupported("dict keys must be strings, found " + k.type_name()));
          }
          ANVIL_ASSIGN_OR_RETURN(Value v, eval(*e.args[i + 1]));
          items.emplace_back(k.as_string(), std::move(v));
        }
        return Value::dict(std::move(items));
      }
      case Expr::Kind::kAttribute: {
        ANVIL_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0]));
        auto r = get_attribute(obj, e.name);
        return r.ok() ? r : at(e.offset, r.status());
      }
      case Expr::Kind::kItem: {
        ANVIL_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0]));
        ANVIL_ASSIGN_OR_RETURN(Value key, eval(*e.args[1]));
        auto r = get_item(obj, key);
        return r.ok() ? r : at(e.offset, r.status());
      }
      case Expr::Kind::kSlice: {
        ANVIL_ASSIGN_OR_RETURN(Value obj, eval(*e.args[0]));
        Value parts[3];
        for (int i = 0; i < 3; ++i) {
          if (e.args[1 + i]) {
            ANVIL_ASSIGN_OR_RETURN(parts[i], eval(*e.args[1 + i]));
          }
        }
        auto r = get_slice(obj, e.args[1] ? &parts[0] : nullptr, e.args[2] ? &parts[1] : nullptr,
                           e.args[3] ? &parts[2] : nullptr);
        return r.ok() ? r : at(e.offset, r.status());
      }
      case Expr::Kind::kCall:
        return call(e);
      case Expr::Kind::kFilter: {
        ANVIL_ASSIGN_OR_RETURN(Value input, eval(*e.args[0]));
        ANVIL_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, 1));
        auto r = apply_filter(e.name, input, args);
        return r.ok() ? r : at(e.offset, r.status());
      }
      case Expr::Kind::kTest: {
        ANVIL_ASSIGN_OR_RETURN(Value input, eval(*e.args[0]));
        ANVIL_ASSIGN_OR_RETURN(CallArgs args, eval_args(e, 1));
        auto r = apply_test(e.name, input, args);
        if (!r.ok()) return at(e.offset, r.status());
        return Value::boolean(*r != e.negated);
      }
      case Expr::Kind::kUnary:
        return unary(e);
      case Expr::Kind::kBinary: {
        ANVIL_ASSIGN_OR_RETURN(Value a, eval(*e.args[0]));
        if (e.name == "and") return a.truthy() ? eval(*e.args[1]) : a;
        if (e.name == "or") return a.truthy() ? a : eval(*e.args[1]);
        ANVIL_ASSIGN_OR_RETURN(Value b, eval(*e.args[1]));
        auto r = binary_op(e.name, a, b);
        return r.ok() ? r : at(e.offset, r.status());
      }
      case Expr::Kind::kCompare: {
        ANVIL_ASSIGN_OR_RETURN(Value left, eval(*e.args[0]));
        for (size_t i = 0; i < e.ops.size(); ++i) {
          ANVIL_ASSIGN_OR_RETURN(Value right, eval(*e.args[i + 1]));
          auto r = compare(e.ops[i], left, right);
          if (!r.ok()) return at(e.args[i + 1]->offset, r.status());
          if (!*r) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case Expr::Kind::kCondition: {
        ANVIL_ASSIGN_OR_RETURN(Value cond, eval(*e.args[1]));
        if (cond.truthy()) return eval(*e.args[0]);
        if (e.args[2]) return eval(*e.args[2]);
        return Value::undefined("the inline if-expression at " + describe_location(src_, e.offset) +
                                " evaluated to false and has no else section");
      }
    }
    return Value();
  }

  std::string_view src_;
  uint64_t max_steps_;
  std::string* out_;
  bool& verbatim_;
  std::vector<Frame> frames_;
  uint64_t steps_ = 0;
};

}  // namespace

core::Status render_body(std::string_view source, const Body& body,
                         const std::vector<std::pair<std::string, Value>>& variables, uint64_t max_steps,
                         std::string& out, bool& verbatim_error) {
  verbatim_error = false;
  return Evaluator(source, max_steps, out, verbatim_error).run(body, variables);
}

}  // namespace anvil::text::jinja
