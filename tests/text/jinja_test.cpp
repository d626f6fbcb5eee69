// The Jinja2 engine behind chat templates: outputs against Python's jinja2 on many small templates
// (tests/text/golden/chat/jinja_cases.json, written by make_jinja_cases.py), exact error messages
// with locations, and the limits that keep a hostile template from hanging or crashing.
#include "anvil/text/jinja/template.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "anvil/core/json.h"
#include "anvil/text/jinja/pystr.h"
#include "testing/temp_dir.h"

namespace anvil::text::jinja {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::pair<std::string, Value>> vars_of(const boost::json::object& o) {
  std::vector<std::pair<std::string, Value>> out;
  for (const auto& kv : o) out.emplace_back(std::string(kv.key()), Value::from_json(kv.value()));
  return out;
}

Value raise_exception() {
  return Value::function(
      "raise_exception",
      [](const CallArgs& a) -> core::Result<Value> { return core::Status::invalid_argument(a.positional.at(0).str()); },
      true);
}

core::Result<std::string> render(std::string_view source, const std::vector<std::pair<std::string, Value>>& vars = {},
                                 bool hf = false) {
  TemplateOptions o;
  o.trim_blocks = hf;
  o.lstrip_blocks = hf;
  ANVIL_ASSIGN_OR_RETURN(Template t, Template::parse(source, o));
  return t.render(vars);
}

TEST(JinjaTest, MatchesPythonJinja2OnGoldenCases) {
  const auto path = testing::source_dir() / "tests/text/golden/chat/jinja_cases.json";
  auto doc = core::parse_json(read_file(path));
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  const auto& root = doc->as_object();
  const auto base_vars = vars_of(root.at("vars").as_object());
  size_t checked = 0;
  for (const auto& c : root.at("cases").as_array()) {
    const auto& o = c.as_object();
    const std::string source(o.at("template").as_string());
    const bool hf = o.at("mode").as_string() == "hf";
    SCOPED_TRACE(source);
    auto vars = o.contains("vars") ? vars_of(o.at("vars").as_object()) : base_vars;
    if (hf) vars.emplace_back("raise_exception", raise_exception());
    auto out = render(source, vars, hf);
    if (o.contains("error")) {
      EXPECT_FALSE(out.ok()) << "jinja2 raised " << o.at("error").as_string() << " but Anvil rendered: " << *out;
    } else {
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      EXPECT_EQ(*out, std::string(o.at("expected").as_string()));
    }
    ++checked;
  }
  EXPECT_GE(checked, 120u);
}

TEST(JinjaTest, SyntaxErrorsNameLineColumnAndWhatWasFound) {
  struct Case {
    std::string source, message;
    core::StatusCode code = core::StatusCode::kInvalidArgument;
  };
  const std::vector<Case> cases = {
      {"{% for x in xs %}\n{{ x }}", "template: line 2, column 8: expected 'endfor' or 'else' to close the 'for' at "
                                     "line 1, column 4, found the end of the template"},
      {"{% if a %}x{% endfor %}", "template: line 1, column 15: unexpected 'endfor', expected 'elif', 'else' or 'endif'"},
      {"x{% endif %}", "template: line 1, column 5: unexpected 'endif': no open block to close"},
      {"{{ a + }}", "template: line 1, column 8: expected an expression, found '}}'"},
      {"{{ a b }}", "template: line 1, column 6: expected '}}' after the expression, found 'b'"},
      {"{{ 'abc }}", "template: line 1, column 4: unterminated string literal"},
      {"{{ a\n  ", "template: line 1, column 1: missing '}}' to close this expression"},
      {"{# never closed", "template: line 1, column 1: missing end of comment tag"},
      {"{{ f(a=1, 2) }}", "template: line 1, column 11: positional argument after a keyword argument"},
      {"{{ [1, 2) }}", "template: line 1, column 9: unexpected ')', expected ']'"},
      {"{{ a ? b }}", "template: line 1, column 6: unexpected character '?'"},
      {"{% for 1 in xs %}{% endfor %}", "template: line 1, column 8: expected a variable name in 'for', found number 1"},
      {"{% for x xs %}{% endfor %}", "template: line 1, column 10: expected 'in' after the loop variables, found 'xs'"},
      {"{% set x %}", "template: line 1, column 12: expected 'endset' to close the 'set' at line 1, column 4, found "
                      "the end of the template"},
      {"{% break %}", "template: line 1, column 4: 'break' outside of a loop"},
      {"{% frobnicate %}", "template: line 1, column 4: unknown tag 'frobnicate'"},
      {"{% macro m() %}{% endmacro %}", "template: line 1, column 4: unsupported tag 'macro'",
       core::StatusCode::kUnsupported},
      {"{% include 'x' %}", "template: line 1, column 4: unsupported tag 'include'", core::StatusCode::kUnsupported},
      {"{{ x | frobnicate }}", "template: line 1, column 8: unsupported filter 'frobnicate'",
       core::StatusCode::kUnsupported},
      {"{{ x is frobnicated }}", "template: line 1, column 9: unsupported test 'frobnicated'",
       core::StatusCode::kUnsupported},
      {"{{ f(*args) }}", "template: line 1, column 6: unsupported argument unpacking '*'", core::StatusCode::kUnsupported},
      {"{% for x in xs recursive %}{% endfor %}", "template: line 1, column 16: unsupported recursive loop",
       core::StatusCode::kUnsupported},
      {"{{ '\\x4' }}", "template: line 1, column 5: truncated \\x escape in string literal"},
      {"  {{ 'é' ~ }}", "template: line 1, column 12: expected an expression, found '}}'"},  // columns count code points
  };
  for (const auto& c : cases) {
    auto t = Template::parse(c.source);
    ASSERT_FALSE(t.ok()) << c.source;
    EXPECT_EQ(t.status().message(), c.message) << c.source;
    EXPECT_EQ(t.status().code(), c.code) << c.source;
  }
}

TEST(JinjaTest, RuntimeErrorsNameTheExpressionThatFailed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{{ missing.attr }}", "template: line 1, column 11: 'missing' is undefined"},
      {"line\n{{ d.nope.x }}", "template: line 2, column 10: 'dict object' has no attribute 'nope'"},
      {"{{ 'a' + 1 }}", "template: line 1, column 8: can only concatenate str (not \"int\") to str"},
      {"{{ 1 - 'a' }}", "template: line 1, column 6: unsupported operand type(s) for -: 'int' and 'str'"},
      {"{{ 1 // 0 }}", "template: line 1, column 6: integer division or modulo by zero"},
      {"{{ 1 < 'a' }}", "template: line 1, column 8: '<' not supported between instances of 'int' and 'str'"},
      {"{{ nothing() }}", "template: line 1, column 11: 'nothing' is undefined"},
      {"{{ s() }}", "template: line 1, column 5: 'str' object is not callable"},
      {"{{ s.nope() }}", "template: line 1, column 5: 'str object' has no attribute 'nope'"},
      {"{{ xs.append(1) }}", "template: line 1, column 6: access to attribute 'append' of 'list' object is unsafe "
                             "(templates cannot change lists or dicts)"},
      {"{% for x in 5 %}{% endfor %}", "template: line 1, column 13: 'int' object is not iterable"},
      {"{% set a, b = [1] %}", "template: line 1, column 1: not enough values to unpack (expected 2, got 1)"},
      {"{% set s.x = 1 %}", "template: line 1, column 1: cannot assign attribute on non-namespace object 's' (str)"},
      {"{{ missing | tojson }}", "template: line 1, column 14: Object of type Undefined is not JSON serializable"},
      {"{{ xs[1:2:0] }}", "template: line 1, column 6: slice step cannot be zero"},
      {"{{ range(5000000) }}", "template: line 1, column 9: range() longer than 1000000 items"},
      {"{{ 'ab' * 100000000 }}", "template: line 1, column 9: string repetition longer than 16 MiB"},
      {"{{ 9223372036854775807 + 1 }}", "template: line 1, column 24: integer overflow (Anvil's template integers are 64-bit)"},
      {"{{ {1: 2} }}", "template: line 1, column 5: dict keys must be strings, found int"},
      {"{{ '%s' % 1 }}", "template: line 1, column 9: printf-style string formatting ('%') is not supported"},
  };
  const std::vector<std::pair<std::string, Value>> vars = {
      {"d", Value::dict({{"a", Value::integer(1)}})},
      {"s", Value::string("str")},
      {"xs", Value::list({Value::integer(1)})},
  };
  for (const auto& [source, message] : cases) {
    auto out = render(source, vars);
    ASSERT_FALSE(out.ok()) << source << " rendered " << *out;
    EXPECT_EQ(out.status().message(), message) << source;
  }
}

TEST(JinjaTest, RaiseExceptionKeepsItsMessageVerbatim) {
  auto out = render("line 1\n{{ raise_exception('Roles must alternate') }}", {{"raise_exception", raise_exception()}});
  EXPECT_EQ(out.status(), core::Status::invalid_argument("Roles must alternate"));
}

TEST(JinjaTest, GenerationTagRendersItsBody) {
  // HF's {% generation %} marks assistant text for training masks; rendering keeps the body.
  auto out = render("a{% generation %}[{{ x }}]{% endgeneration %}b", {{"x", Value::integer(1)}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "a[1]b");
}

TEST(JinjaTest, NamespacesAreSharedAcrossLoopScopesButPlainVariablesAreNot) {
  auto out = render(
      "{% set ns = namespace(i=0) %}{% set plain = 0 %}"
      "{% for x in [1, 2, 3] %}{% set ns.i = ns.i + x %}{% set plain = plain + x %}{% endfor %}"
      "{{ ns.i }},{{ plain }}");
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "6,0");
}

TEST(JinjaTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "{{ ";
  for (int i = 0; i < 5000; ++i) deep += "(";
  deep += "1";
  for (int i = 0; i < 5000; ++i) deep += ")";
  deep += " }}";
  auto t = Template::parse(deep);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("nested deeper than 100 levels"), std::string::npos) << t.status().message();

  std::string blocks;
  for (int i = 0; i < 500; ++i) blocks += "{% if true %}";
  auto b = Template::parse(blocks);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("blocks nested deeper than 100 levels"), std::string::npos);

  std::string nots = "{{ ";
  for (int i = 0; i < 5000; ++i) nots += "not ";
  nots += "x }}";
  EXPECT_FALSE(Template::parse(nots).ok());
}

TEST(JinjaTest, RunawayLoopsStopWithAnError) {
  TemplateOptions o;
  o.max_steps = 5000;
  auto t = Template::parse("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", o);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->render({}).status().to_string(),
            core::Status::resource_exhausted(
                "template: line 1, column 29: template ran more than 5000 steps (statements and loop iterations)")
                .to_string());
  // The default allows a million: a long conversation with tools stays far below it.
  auto small = Template::parse("{% for i in range(1000) %}{% for j in range(100) %}{% endfor %}{% endfor %}ok");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->render({}).value_or("failed"), "ok");
}

TEST(JinjaTest, RendersTheSameTemplateManyTimesWithDifferentVariables) {
  auto t = Template::parse("{% set ns = namespace(n=0) %}{% set ns.n = ns.n + x %}{{ ns.n }}");
  ASSERT_TRUE(t.ok());
  for (int i = 0; i < 3; ++i) {
    auto out = t->render({{"x", Value::integer(i)}});
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(*out, std::to_string(i));  // a namespace is created per render, never shared
  }
}

TEST(JinjaTest, RandomTokenSoupNeverCrashes) {
  // Parse and render thousands of random templates built from Jinja's own tokens: every one must
  // come back as output or a Status.
  const std::vector<std::string> pieces = {
      "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", " if ", " elif ", " else ", " endif ",
      " for ", " in ", " endfor ", " set ", " = ", " ns.a ", " namespace() ", " loop.index ", " x ", " xs ",
      " d ", "(", ")", "[", "]", "{", "}", ":", ",", ".", "|", " trim ", " tojson ", " is ", " not ", " defined ",
      " and ", " or ", "+", "-", "*", "/", "//", "%", "**", "~", "==", "<", "'s'", "\"q\"", "'", "1", "2.5",
      " none ", " true ", "\n", "text", " raw ", " endraw ", " break ", " range(3) ", "[1, 2]", "[::-1]",
  };
  std::mt19937 gen(12345);
  TemplateOptions o;
  o.max_steps = 2000;
  const std::vector<std::pair<std::string, Value>> vars = {
      {"x", Value::string("v")},
      {"xs", Value::list({Value::integer(1), Value::string("a")})},
      {"d", Value::dict({{"k", Value::none()}})},
  };
  size_t rendered = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string src;
    const int n = 1 + static_cast<int>(gen() % 14);
    for (int k = 0; k < n; ++k) src += pieces[gen() % pieces.size()];
    o.trim_blocks = o.lstrip_blocks = (i % 2 == 0);
    auto t = Template::parse(src, o);
    if (!t.ok()) continue;
    auto out = t->render(vars);
    rendered += out.ok() ? 1 : 0;
  }
  EXPECT_GT(rendered, 100u);  // the soup is not all syntax errors
}

TEST(PyStrTest, FloatReprMatchesPython) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.0, "0.0"},        {-0.0, "-0.0"},      {1.0, "1.0"},         {0.5, "0.5"},
      {1e16, "1e+16"},     {1e15, "1000000000000000.0"},              {123.456, "123.456"},
      {1e-4, "0.0001"},    {1e-5, "1e-05"},     {2.5e-7, "2.5e-07"},  {1.5e300, "1.5e+300"},
      {0.1 + 0.2, "0.30000000000000004"},       {12345678901234567890.0, "1.2345678901234567e+19"},
      {-42.0, "-42.0"},    {1.0 / 0.0, "inf"},  {-1.0 / 0.0, "-inf"},
  };
  for (const auto& [d, want] : cases) EXPECT_EQ(py::float_repr(d), want) << want;
}

TEST(PyStrTest, StripSplitAndCaseFollowPython) {
  EXPECT_EQ(py::strip("\u3000 x \u00a0\n", std::nullopt, true, true), "x");
  EXPECT_EQ(py::strip("xyhixy", std::string_view("xy"), true, false), "hixy");
  EXPECT_EQ(py::split("  a  b ", std::nullopt, -1), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(py::split("a,,b", std::string_view(","), 1), (std::vector<std::string>{"a", ",b"}));
  EXPECT_EQ(py::split("", std::string_view(","), -1), (std::vector<std::string>{""}));
  EXPECT_EQ(py::upper("straße"), "STRASSE");
  EXPECT_EQ(py::lower("ÀÉ"), "àé");
  EXPECT_EQ(py::title("hello wORLD 2nd"), "Hello World 2Nd");
  EXPECT_EQ(py::string_repr("a'b"), "\"a'b\"");
  EXPECT_EQ(py::string_repr("a'\"b"), "'a\\'\"b'");
}

}  // namespace
}  // namespace anvil::text::jinja
