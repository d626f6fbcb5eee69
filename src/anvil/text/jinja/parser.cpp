#include "anvil/text/jinja/parser.h"

#include <algorithm>
#include <initializer_list>

#include "anvil/text/jinja/builtins.h"

namespace anvil::text::jinja {

namespace {

constexpr int kMaxDepth = 100;  // nesting of expressions and blocks; deeper is an error, not a crash

std::string describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "the end of the template";
    case TokenKind::kText:
      return "template text";
    case TokenKind::kBlockBegin:
      return "'{%'";
    case TokenKind::kBlockEnd:
      return "'%}'";
    case TokenKind::kVariableBegin:
      return "'{{'";
    case TokenKind::kVariableEnd:
      return "'}}'";
    case TokenKind::kString:
      return "a string";
    case TokenKind::kInteger:
    case TokenKind::kFloat:
      return "number " + t.text;
    case TokenKind::kName:
    case TokenKind::kOperator:
      return "'" + t.text + "'";
  }
  return "a token";
}

std::string quoted_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + std::string(names[i]) + "'";
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view source, const std::vector<Token>& tokens) : src_(source), t_(tokens) {}

  core::Result<Body> run() {
    ANVIL_ASSIGN_OR_RETURN(Body body, subparse({}));
    if (cur().kind != TokenKind::kEnd) {  // a stray end tag: subparse stopped at it
      return error(cur(), "unexpected '" + cur().text + "': no open block to close");
    }
    return body;
  }

 private:
  const Token& cur() const { return t_[pos_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(pos_ + n, t_.size() - 1)]; }
  void next() {
    if (pos_ + 1 < t_.size()) ++pos_;
  }
  bool is_op(std::string_view op) const { return cur().kind == TokenKind::kOperator && cur().text == op; }
  bool is_name(std::string_view name) const { return cur().kind == TokenKind::kName && cur().text == name; }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }

  core::Status error(const Token& at, const std::string& message) const {
    return core::Status::invalid_argument(describe_location(src_, at.offset) + ": " + message);
  }
  core::Status unsupported(const Token& at, const std::string& message) const {
    return core::Status::unsupported(describe_location(src_, at.offset) + ": " + message);
  }
  core::Status expect_op(std::string_view op, std::string_view context) {
    if (skip_op(op)) return core::Status::ok_status();
    return error(cur(), "expected '" + std::string(op) + "' " + std::string(context) + ", found " + describe(cur()));
  }
  core::Status expect_block_end(std::string_view tag) {
    if (cur().kind == TokenKind::kBlockEnd) {
      next();
      return core::Status::ok_status();
    }
    return error(cur(), "expected '%}' to end the '" + std::string(tag) + "' tag, found " + describe(cur()));
  }

  // Statements until a block tag whose name is in `ends` (left unconsumed, after its '{%') or
  // the end of the tokens.
  core::Result<Body> subparse(const std::vector<std::string_view>& ends) {
    Body body;
    for (;;) {
      const Token& t = cur();
      if (t.kind == TokenKind::kEnd) return body;
      if (t.kind == TokenKind::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kText;
        s->offset = t.offset;
        s->text = t.text;
        body.push_back(std::move(s));
        next();
      } else if (t.kind == TokenKind::kVariableBegin) {
        next();
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kOutput;
        s->offset = t.offset;
        ANVIL_ASSIGN_OR_RETURN(s->expr, parse_tuple(true, {}));
        if (cur().kind != TokenKind::kVariableEnd) {
          return error(cur(), "expected '}}' after the expression, found " + describe(cur()));
        }
        next();
        body.push_back(std::move(s));
      } else if (t.kind == TokenKind::kBlockBegin) {
        next();
        if (cur().kind != TokenKind::kName) return error(cur(), "expected a tag name after '{%', found " + describe(cur()));
        if (std::find(ends.begin(), ends.end(), cur().text) != ends.end()) return body;
        if (cur().text.rfind("end", 0) == 0 || cur().text == "elif" || cur().text == "else") {
          if (ends.empty()) return body;  // reported by the caller with the innermost open block
          return error(cur(), "unexpected '" + cur().text + "', expected " + quoted_list(ends));
        }
        ANVIL_ASSIGN_OR_RETURN(StmtPtr s, statement(t));
        body.push_back(std::move(s));
      } else {
        return error(t, "unexpected " + describe(t));
      }
    }
  }

  // Parses the body of a block up to one of `ends`, then checks that the tag found is one of them.
  core::Result<Body> block_body(const std::vector<std::string_view>& ends, const Token& opener) {
    if (++block_depth_ > kMaxDepth) {
      return error(opener, "blocks nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    ANVIL_ASSIGN_OR_RETURN(Body body, subparse(ends));
    --block_depth_;
    if (cur().kind == TokenKind::kEnd || std::find(ends.begin(), ends.end(), cur().text) == ends.end()) {
      return error(cur(), "expected " + quoted_list(ends) + " to close the '" + opener.text + "' at " +
                              describe_location(src_, opener.offset) + ", found " +
                              (cur().kind == TokenKind::kEnd ? describe(cur()) : "'" + cur().text + "'"));
    }
    return body;
  }

  core::Result<StmtPtr> statement(const Token& begin) {
    const Token& name = cur();
    auto s = std::make_unique<Stmt>();
    s->offset = begin.offset;
    const std::string tag = name.text;
    if (tag == "if") return if_statement(std::move(s));
    if (tag == "for") return for_statement(std::move(s));
    if (tag == "set") return set_statement(std::move(s));
    if (tag == "break" || tag == "continue") {
      if (loops_ == 0) return error(name, "'" + tag + "' outside of a loop");
      s->kind = tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      next();
      ANVIL_RETURN_IF_ERROR(expect_block_end(tag));
      return s;
    }
    if (tag == "generation") {
      const Token opener = name;
      next();
      ANVIL_RETURN_IF_ERROR(expect_block_end(tag));
      s->kind = Stmt::Kind::kScope;
      ANVIL_ASSIGN_OR_RETURN(s->body, block_body({"endgeneration"}, opener));
      next();
      ANVIL_RETURN_IF_ERROR(expect_block_end("endgeneration"));
      return s;
    }
    static const std::vector<std::string_view> kUnsupported = {
        "macro", "call", "filter", "include", "import", "from", "extends", "block", "with", "autoescape", "do"};
    if (std::find(kUnsupported.begin(), kUnsupported.end(), tag) != kUnsupported.end()) {
      return unsupported(name, "unsupported tag '" + tag + "'");
    }
    return error(name, "unknown tag '" + tag + "'");
  }

  core::Result<StmtPtr> if_statement(StmtPtr s) {
    s->kind = Stmt::Kind::kIf;
    const Token opener = cur();
    next();
    for (;;) {
      ANVIL_ASSIGN_OR_RETURN(ExprPtr cond, parse_tuple(false, {}, /*with_condexpr=*/false));
      ANVIL_RETURN_IF_ERROR(expect_block_end("if"));
      ANVIL_ASSIGN_OR_RETURN(Body body, block_body({"elif", "else", "endif"}, opener));
      s->branches.emplace_back(std::move(cond), std::move(body));
      const std::string tag = cur().text;
      next();
      if (tag == "elif") continue;
      if (tag == "else") {
        ANVIL_RETURN_IF_ERROR(expect_block_end("else"));
        ANVIL_ASSIGN_OR_RETURN(Body else_body, block_body({"endif"}, opener));
        s->branches.emplace_back(nullptr, std::move(else_body));
        next();
      }
      ANVIL_RETURN_IF_ERROR(expect_block_end("endif"));
      return s;
    }
  }

  // Names for `for` and `set`: "a", "a, b", "(a, b)".
  core::Result<std::vector<std::string>> target_names(std::string_view tag) {
    std::vector<std::string> names;
    const bool paren = skip_op("(");
    for (;;) {
      if (cur().kind != TokenKind::kName) {
        return error(cur(), "expected a variable name in '" + std::string(tag) + "', found " + describe(cur()));
      }
      names.push_back(cur().text);
      next();
      if (!skip_op(",")) break;
      if (paren && is_op(")")) break;
    }
    if (paren) ANVIL_RETURN_IF_ERROR(expect_op(")", "after the variable names"));
    return names;
  }

  core::Result<StmtPtr> for_statement(StmtPtr s) {
    s->kind = Stmt::Kind::kFor;
    const Token opener = cur();
    next();
    ANVIL_ASSIGN_OR_RETURN(s->targets, target_names("for"));
    if (!skip_name("in")) return error(cur(), "expected 'in' after the loop variables, found " + describe(cur()));
    ANVIL_ASSIGN_OR_RETURN(s->expr, parse_tuple(false, {}, /*with_condexpr=*/false));
    if (skip_name("if")) {
      ANVIL_ASSIGN_OR_RETURN(s->filter, parse_expression(true));
    }
    if (is_name("recursive")) return unsupported(cur(), "unsupported recursive loop");
    ANVIL_RETURN_IF_ERROR(expect_block_end("for"));
    ++loops_;
    ANVIL_ASSIGN_OR_RETURN(s->body, block_body({"endfor", "else"}, opener));
    --loops_;
    if (cur().text == "else") {
      next();
      ANVIL_RETURN_IF_ERROR(expect_block_end("else"));
      ANVIL_ASSIGN_OR_RETURN(s->else_body, block_body({"endfor"}, opener));
    }
    next();
    ANVIL_RETURN_IF_ERROR(expect_block_end("endfor"));
    return s;
  }

  core::Result<StmtPtr> set_statement(StmtPtr s) {
    const Token opener = cur();
    next();
    if (cur().kind == TokenKind::kName && peek().kind == TokenKind::kOperator && peek().text == ".") {
      s->targets.push_back(cur().text);
      next();
      next();
      if (cur().kind != TokenKind::kName) return error(cur(), "expected an attribute name after '.', found " + describe(cur()));
      s->attribute = cur().text;
      next();
    } else {
      ANVIL_ASSIGN_OR_RETURN(s->targets, target_names("set"));
    }
    if (skip_op("=")) {
      s->kind = Stmt::Kind::kSet;
      ANVIL_ASSIGN_OR_RETURN(s->expr, parse_tuple(true, {}));
      ANVIL_RETURN_IF_ERROR(expect_block_end("set"));
      return s;
    }
    if (s->targets.size() != 1 || !s->attribute.empty()) {
      return error(cur(), "expected '=' in the 'set' tag, found " + describe(cur()));
    }
    if (cur().kind != TokenKind::kBlockEnd) return error(cur(), "expected '=' or '%}' in the 'set' tag, found " + describe(cur()));
    next();
    s->kind = Stmt::Kind::kSetBlock;
    ANVIL_ASSIGN_OR_RETURN(s->body, block_body({"endset"}, opener));
    next();
    ANVIL_RETURN_IF_ERROR(expect_block_end("endset"));
    return s;
  }

  // ---- expressions -------------------------------------------------------------------------

  ExprPtr node(Expr::Kind kind, size_t offset, std::string name = {}) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->offset = offset;
    e->name = std::move(name);
    return e;
  }

  bool at_tuple_end(const std::vector<std::string_view>& extra_end_names) const {
    const Token& t = cur();
    if (t.kind == TokenKind::kVariableEnd || t.kind == TokenKind::kBlockEnd || t.kind == TokenKind::kEnd) return true;
    if (t.kind == TokenKind::kOperator && t.text == ")") return true;
    return t.kind == TokenKind::kName &&
           std::find(extra_end_names.begin(), extra_end_names.end(), t.text) != extra_end_names.end();
  }

  // `a, b` is a tuple wherever Jinja2 allows one (outputs, set values, loop iterables).
  core::Result<ExprPtr> parse_tuple(bool allow_tuple, const std::vector<std::string_view>& extra_end_names,
                                    bool with_condexpr = true) {
    const size_t offset = cur().offset;
    std::vector<ExprPtr> items;
    bool comma = false;
    for (;;) {
      if (!items.empty()) {
        if (!allow_tuple || !skip_op(",")) break;
        comma = true;
        if (at_tuple_end(extra_end_names)) break;
      }
      ANVIL_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(with_condexpr));
      items.push_back(std::move(e));
    }
    if (!comma) return std::move(items.front());
    auto t = node(Expr::Kind::kTuple, offset);
    t->args = std::move(items);
    return t;
  }

  core::Result<ExprPtr> parse_expression(bool with_condexpr) {
    if (++depth_ > kMaxDepth) return error(cur(), "expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
    auto r = with_condexpr ? parse_condexpr() : parse_or();
    --depth_;
    return r;
  }

  core::Result<ExprPtr> parse_condexpr() {
    ANVIL_ASSIGN_OR_RETURN(ExprPtr expr, parse_or());
    while (is_name("if")) {
      const size_t offset = cur().offset;
      next();
      ANVIL_ASSIGN_OR_RETURN(ExprPtr cond, parse_or());
      ExprPtr otherwise;
      if (skip_name("else")) {
        ANVIL_ASSIGN_OR_RETURN(otherwise, parse_condexpr());
      }
      auto c = node(Expr::Kind::kCondition, offset);
      c->args.push_back(std::move(expr));
      c->args.push_back(std::move(cond));
      c->args.push_back(std::move(otherwise));
      expr = std::move(c);
    }
    return expr;
  }

  core::Result<ExprPtr> binary(ExprPtr left, std::string op, ExprPtr right, size_t offset) {
    auto b = node(Expr::Kind::kBinary, offset, std::move(op));
    b->args.push_back(std::move(left));
    b->args.push_back(std::move(right));
    return b;
  }

  core::Result<ExprPtr> parse_or() {
    ANVIL_ASSIGN_OR_RETURN(ExprPtr left, parse_and());
    while (is_name("or")) {
      const size_t offset = cur().offset;
      next();
      ANVIL_ASSIGN_OR_RETURN(ExprPtr right, parse_and());
      ANVIL_ASSIGN_OR_RETURN(left, binary(std::move(left), "or", std::move(right), offset));
    }
    return left;
  }

  core::Result<ExprPtr> parse_and() {
    ANVIL_ASSIGN_OR_RETURN(ExprPtr left, parse_not());
    while (is_name("and")) {
      const size_t offset = cur().offset;
      next();
      ANVIL_ASSIGN_OR_RETURN(ExprPtr right, parse_not());
      ANVIL_ASSIGN_OR_RETURN(left, binary(std::move(left), "and", std::move(right), offset));
    }
    return left;
  }

  core::Result<ExprPtr> parse_not() {
    if (is_name("not")) {
      const size_t offset = cur().offset;
      next();
      if (++depth_ > kMaxDepth) return error(cur(), "expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
      ANVIL_ASSIGN_OR_RETURN(ExprPtr operand, parse_not());
      --depth_;
      auto u = node(Expr::Kind::kUnary, offset, "not");
      u->args.push_back(std::move(operand));
      return u;
    }
    return parse_compare();
  }

  core::Result<ExprPtr> parse_compare() {
    const size_t offset = cur().offset;
    ANVIL_ASSIGN_OR_RETURN(ExprPtr first, parse_math1());
    ExprPtr cmp;
    for (;;) {
      std::string op;
      if (cur().kind == TokenKind::kOperator &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == "<=" ||
           cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        next();
      } else if (is_name("in")) {
        op = "in";
        next();
      } else if (is_name("not") && peek().kind == TokenKind::kName && peek().text == "in") {
        op = "not in";
        next();
        next();
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(Expr::Kind::kCompare, offset);
        cmp->args.push_back(std::move(first));
      }
      ANVIL_ASSIGN_OR_RETURN(ExprPtr operand, parse_math1());
      cmp->ops.push_back(op);
      cmp->args.push_back(std::move(operand));
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  template <typename Next>
  core::Result<ExprPtr> left_assoc(std::initializer_list<std::string_view> ops, Next next_level) {
    ANVIL_ASSIGN_OR_RETURN(ExprPtr left, next_level());
    for (;;) {
      const Token& t = cur();
      if (t.kind != TokenKind::kOperator || std::find(ops.begin(), ops.end(), t.text) == ops.end()) return left;
      const std::string op = t.text;
      const size_t offset = t.offset;
      next();
      ANVIL_ASSIGN_OR_RETURN(ExprPtr right, next_level());
      ANVIL_ASSIGN_OR_RETURN(left, binary(std::move(left), op, std::move(right), offset));
    }
  }

  core::Result<ExprPtr> parse_math1() { return left_assoc({"+", "-"}, [this] { return parse_concat(); }); }
  core::Result<ExprPtr> parse_concat() { return left_assoc({"~"}, [this] { return parse_math2(); }); }
  core::Result<ExprPtr> parse_math2() { return left_assoc({"*", "/", "//", "%"}, [this] { return parse_pow(); }); }
  core::Result<ExprPtr> parse_pow() { return left_assoc({"**"}, [this] { return parse_unary(true); }); }

  core::Result<ExprPtr> parse_unary(bool with_filter) {
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const size_t offset = cur().offset;
      const std::string op = cur().text;
      next();
      if (++depth_ > kMaxDepth) return error(cur(), "expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
      ANVIL_ASSIGN_OR_RETURN(ExprPtr operand, parse_unary(false));
      --depth_;
      e = node(Expr::Kind::kUnary, offset, op);
      e->args.push_back(std::move(operand));
    } else {
      ANVIL_ASSIGN_OR_RETURN(e, parse_primary());
    }
    ANVIL_ASSIGN_OR_RETURN(e, parse_postfix(std::move(e)));
    if (with_filter) return parse_filter_expr(std::move(e));
    return e;
  }

  core::Result<ExprPtr> parse_primary() {
    const Token& t = cur();
    switch (t.kind) {
      case TokenKind::kName: {
        auto e = node(Expr::Kind::kLiteral, t.offset);
        if (t.text == "true" || t.text == "True") {
          e->literal = Value::boolean(true);
        } else if (t.text == "false" || t.text == "False") {
          e->literal = Value::boolean(false);
        } else if (t.text == "none" || t.text == "None") {
          e->literal = Value::none();
        } else {
          e->kind = Expr::Kind::kName;
          e->name = t.text;
        }
        next();
        return e;
      }
      case TokenKind::kString: {
        auto e = node(Expr::Kind::kLiteral, t.offset);
        std::string s;
        while (cur().kind == TokenKind::kString) {  // adjacent literals concatenate
          s += cur().text;
          next();
        }
        e->literal = Value::string(std::move(s));
        return e;
      }
      case TokenKind::kInteger:
      case TokenKind::kFloat: {
        auto e = node(Expr::Kind::kLiteral, t.offset);
        e->literal = t.kind == TokenKind::kInteger ? Value::integer(t.int_value) : Value::number(t.float_value);
        next();
        return e;
      }
      case TokenKind::kOperator:
        if (t.text == "(") {
          next();
          if (skip_op(")")) return node(Expr::Kind::kTuple, t.offset);
          ANVIL_ASSIGN_OR_RETURN(ExprPtr inner, parse_tuple(true, {}));
          ANVIL_RETURN_IF_ERROR(expect_op(")", "to close '('"));
          return inner;
        }
        if (t.text == "[") return parse_list();
        if (t.text == "{") return parse_dict();
        break;
      default:
        break;
    }
    return error(t, "expected an expression, found " + describe(t));
  }

  core::Result<ExprPtr> parse_list() {
    auto e = node(Expr::Kind::kList, cur().offset);
    next();
    while (!is_op("]")) {
      if (!e->args.empty()) {
        ANVIL_RETURN_IF_ERROR(expect_op(",", "between list items"));
        if (is_op("]")) break;
      }
      ANVIL_ASSIGN_OR_RETURN(ExprPtr item, parse_expression(true));
      e->args.push_back(std::move(item));
    }
    next();
    return e;
  }

  core::Result<ExprPtr> parse_dict() {
    auto e = node(Expr::Kind::kDict, cur().offset);
    next();
    while (!is_op("}")) {
      if (!e->args.empty()) {
        ANVIL_RETURN_IF_ERROR(expect_op(",", "between dict items"));
        if (is_op("}")) break;
      }
      ANVIL_ASSIGN_OR_RETURN(ExprPtr key, parse_expression(true));
      ANVIL_RETURN_IF_ERROR(expect_op(":", "after a dict key"));
      ANVIL_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
      e->args.push_back(std::move(key));
      e->args.push_back(std::move(value));
    }
    next();
    return e;
  }

  core::Result<ExprPtr> parse_postfix(ExprPtr e) {
    for (;;) {
      const Token& t = cur();
      if (is_op(".")) {
        next();
        if (cur().kind == TokenKind::kName) {
          auto a = node(Expr::Kind::kAttribute, t.offset, cur().text);
          a->args.push_back(std::move(e));
          e = std::move(a);
        } else if (cur().kind == TokenKind::kInteger) {
          auto item = node(Expr::Kind::kItem, t.offset);
          auto index = node(Expr::Kind::kLiteral, cur().offset);
          index->literal = Value::integer(cur().int_value);
          item->args.push_back(std::move(e));
          item->args.push_back(std::move(index));
          e = std::move(item);
        } else {
          return error(cur(), "expected an attribute name after '.', found " + describe(cur()));
        }
        next();
      } else if (is_op("[")) {
        next();
        ANVIL_ASSIGN_OR_RETURN(e, parse_subscript(std::move(e), t.offset));
      } else if (is_op("(")) {
        auto call = node(Expr::Kind::kCall, t.offset);
        call->args.push_back(std::move(e));
        ANVIL_RETURN_IF_ERROR(parse_call_args(*call));
        e = std::move(call);
      } else {
        return e;
      }
    }
  }

  core::Result<ExprPtr> parse_subscript(ExprPtr object, size_t offset) {
    ExprPtr parts[3];
    int part = 0;
    bool slice = false;
    for (;;) {
      if (is_op("]")) break;
      if (is_op(":")) {
        slice = true;
        if (++part > 2) return error(cur(), "expected ']' after a slice, found ':'");
        next();
        continue;
      }
      if (parts[part]) return error(cur(), "expected ':' or ']' in a subscript, found " + describe(cur()));
      ANVIL_ASSIGN_OR_RETURN(parts[part], parse_expression(true));
    }
    next();
    if (!slice) {
      if (!parts[0]) return error(cur(), "expected an index between '[' and ']'");
      auto item = node(Expr::Kind::kItem, offset);
      item->args.push_back(std::move(object));
      item->args.push_back(std::move(parts[0]));
      return item;
    }
    auto s = node(Expr::Kind::kSlice, offset);
    s->args.push_back(std::move(object));
    for (auto& p : parts) s->args.push_back(std::move(p));
    return s;
  }

  // (a, b, key=c): appends to e.args and e.kwargs.
  core::Status parse_call_args(Expr& e) {
    next();  // (
    bool first = true;
    while (!is_op(")")) {
      if (!first) {
        ANVIL_RETURN_IF_ERROR(expect_op(",", "between arguments"));
        if (is_op(")")) break;
      }
      first = false;
      if (is_op("*") || is_op("**")) return unsupported(cur(), "unsupported argument unpacking '" + cur().text + "'");
      if (cur().kind == TokenKind::kName && peek().kind == TokenKind::kOperator && peek().text == "=") {
        std::string key = cur().text;
        next();
        next();
        ANVIL_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
        e.kwargs.emplace_back(std::move(key), std::move(value));
        continue;
      }
      if (!e.kwargs.empty()) return error(cur(), "positional argument after a keyword argument");
      ANVIL_ASSIGN_OR_RETURN(ExprPtr value, parse_expression(true));
      e.args.push_back(std::move(value));
    }
    next();
    return core::Status::ok_status();
  }

  core::Result<ExprPtr> parse_filter_expr(ExprPtr e) {
    for (;;) {
      if (is_op("|")) {
        next();
        if (cur().kind != TokenKind::kName) return error(cur(), "expected a filter name after '|', found " + describe(cur()));
        const Token& name = cur();
        if (!has_filter(name.text)) return unsupported(name, "unsupported filter '" + name.text + "'");
        auto f = node(Expr::Kind::kFilter, name.offset, name.text);
        f->args.push_back(std::move(e));
        next();
        if (is_op("(")) ANVIL_RETURN_IF_ERROR(parse_call_args(*f));
        e = std::move(f);
      } else if (is_name("is")) {
        next();
        const bool negated = skip_name("not");
        if (cur().kind != TokenKind::kName) return error(cur(), "expected a test name after 'is', found " + describe(cur()));
        const Token& name = cur();
        if (!has_test(name.text)) return unsupported(name, "unsupported test '" + name.text + "'");
        auto t = node(Expr::Kind::kTest, name.offset, name.text);
        t->negated = negated;
        t->args.push_back(std::move(e));
        next();
        if (is_op("(")) {
          ANVIL_RETURN_IF_ERROR(parse_call_args(*t));
        } else if ((cur().kind == TokenKind::kName || cur().kind == TokenKind::kString ||
                    cur().kind == TokenKind::kInteger || cur().kind == TokenKind::kFloat || is_op("[") ||
                    is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
          if (is_name("is")) return error(cur(), "tests cannot be chained with 'is'");
          ANVIL_ASSIGN_OR_RETURN(ExprPtr arg, parse_primary());
          ANVIL_ASSIGN_OR_RETURN(arg, parse_postfix(std::move(arg)));
          t->args.push_back(std::move(arg));
        }
        e = std::move(t);
      } else if (is_op("(")) {
        auto call = node(Expr::Kind::kCall, cur().offset);
        call->args.push_back(std::move(e));
        ANVIL_RETURN_IF_ERROR(parse_call_args(*call));
        e = std::move(call);
      } else {
        return e;
      }
    }
  }

  std::string_view src_;
  const std::vector<Token>& t_;
  size_t pos_ = 0;
  int depth_ = 0;        // expression nesting
  int block_depth_ = 0;  // {% %} block nesting
  int loops_ = 0;
};

}  // namespace

core::Result<Body> parse(std::string_view source, const std::vector<Token>& tokens) {
  return Parser(source, tokens).run();
}

}  // namespace anvil::text::jinja
