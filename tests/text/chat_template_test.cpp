// Chat templates of real models (tests/text/golden/chat/<model>.jinja) rendered for a set of
// conversations and compared byte for byte with what HF transformers' environment of Python
// jinja2 produced (expected/<model>/<conversation>.<gen|nogen>[.tools].txt, or .err.txt when the
// template raised), plus the API's own behaviour: variables, options and errors.
#include "anvil/text/chat_template.h"

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "anvil/core/json.h"
#include "testing/temp_dir.h"

namespace anvil::text {
namespace {

namespace fs = std::filesystem;

fs::path golden_dir() { return testing::source_dir() / "tests/text/golden/chat"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

boost::json::object read_json(const fs::path& p) {
  auto v = core::parse_json(read_file(p));
  EXPECT_TRUE(v.ok()) << p << ": " << v.status().to_string();
  return v.ok() ? v->as_object() : boost::json::object();
}

// 2024-09-26 14:30:05 local time: the clock make_golden.py gave strftime_now().
std::chrono::system_clock::time_point golden_now() {
  std::tm tm{};
  tm.tm_year = 2024 - 1900;
  tm.tm_mon = 8;
  tm.tm_mday = 26;
  tm.tm_hour = 14;
  tm.tm_min = 30;
  tm.tm_sec = 5;
  tm.tm_isdst = -1;
  return std::chrono::system_clock::from_time_t(std::mktime(&tm));
}

std::vector<ChatMessage> to_messages(const boost::json::array& a) {
  std::vector<ChatMessage> out;
  for (const auto& m : a) {
    out.push_back({std::string(m.at("role").as_string()), std::string(m.at("content").as_string())});
  }
  return out;
}

TEST(ChatTemplateGoldenTest, RealModelTemplatesMatchTransformers) {
  const auto models = read_json(golden_dir() / "models.json");
  const auto conversations = read_json(golden_dir() / "conversations.json");
  const auto tool_data = read_json(golden_dir() / "tool_conversations.json");
  size_t checked = 0, raised = 0;
  std::set<std::string> models_seen;
  for (const auto& [model_key, spec] : models) {
    const std::string model(model_key);
    SCOPED_TRACE(model);
    auto tmpl = ChatTemplate::parse(read_file(golden_dir() / (model + ".jinja")));
    ASSERT_TRUE(tmpl.ok()) << tmpl.status().to_string();
    for (const auto& entry : fs::directory_iterator(golden_dir() / "expected" / model)) {
      // <conversation>.<gen|nogen>[.tools](.txt|.err.txt)
      std::string name = entry.path().filename().string();
      SCOPED_TRACE(name);
      const bool is_error = name.size() > 8 && name.ends_with(".err.txt");
      name.resize(name.size() - (is_error ? 8 : 4));
      const bool tools = name.ends_with(".tools");
      if (tools) name.resize(name.size() - 6);
      const bool gen = name.ends_with(".gen");
      name.resize(name.rfind('.'));

      ChatTemplateOptions opt;
      opt.add_generation_prompt = gen;
      opt.bos_token = std::string(spec.at("bos_token").as_string());
      opt.eos_token = std::string(spec.at("eos_token").as_string());
      opt.now = golden_now();
      core::Result<std::string> out = std::string();
      if (tools) {
        opt.tools = tool_data.at("tools").as_array();
        if (const auto* extra = tool_data.at("extra_vars").as_object().if_contains(name)) opt.extra = extra->as_object();
        out = tmpl->render_json(tool_data.at("conversations").at(name).as_array(), opt);
      } else {
        const auto& conv = conversations.at(name).as_array();
        out = tmpl->render(to_messages(conv), opt);
        // The JSON path renders plain role/content messages identically.
        auto via_json = tmpl->render_json(conv, opt);
        EXPECT_EQ(via_json.ok(), out.ok());
        if (out.ok() && via_json.ok()) {
          EXPECT_EQ(*via_json, *out);
        }
      }
      const std::string expected = read_file(entry.path());
      if (is_error) {
        EXPECT_EQ(out.status().to_string(), core::Status::invalid_argument(expected).to_string());
        ++raised;
      } else {
        ASSERT_TRUE(out.ok()) << out.status().to_string();
        EXPECT_EQ(*out, expected);
      }
      ++checked;
      models_seen.insert(model);
    }
  }
  EXPECT_EQ(models_seen.size(), 10u);
  EXPECT_EQ(checked, 152u);  // 7 conversations x 2 x 10 models + 3 tool conversations x 4 models
  EXPECT_GE(raised, 10u);  // role-alternation and system-role errors from Mistral and Gemma
}

TEST(ChatTemplateGoldenTest, Phi3TemplateIsTheOneInTheSharedVocabGguf) {
  // tests/text/golden/chat/phi-3.jinja was copied from the tokenizer.chat_template value of
  // ggml-vocab-phi-3.gguf; guard the copy against edits.
  const fs::path gguf = testing::shared_dir() / "data/tokenizer/ggml-vocab-phi-3.gguf";
  if (!fs::exists(gguf)) GTEST_SKIP() << "no " << gguf;
  const std::string bytes = read_file(gguf);
  const std::string tmpl = read_file(golden_dir() / "phi-3.jinja");
  EXPECT_NE(bytes.find(tmpl), std::string::npos);
}

TEST(ChatTemplateTest, ProvidesHfVariablesAndExtraOnes) {
  auto t = ChatTemplate::parse(
      "{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|{{ tools is none }}|{{ documents is none }}|"
      "{{ date_string | default('no date') }}|{{ custom is defined }}|{{ messages | length }}");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ChatTemplateOptions opt;
  opt.bos_token = "<s>";
  opt.eos_token = "</s>";
  opt.add_generation_prompt = false;
  auto out = t->render({{"user", "hi"}}, opt);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "<s>|</s>|False|True|True|no date|False|1");

  opt.extra["date_string"] = "01 Jan 2025";
  opt.extra["custom"] = boost::json::object{{"k", 5}};
  opt.tools = boost::json::array{boost::json::object{{"type", "function"}}};
  auto t2 = ChatTemplate::parse("{{ date_string }}|{{ custom.k }}|{{ tools[0].type }}");
  ASSERT_TRUE(t2.ok());
  auto out2 = t2->render({}, opt);
  ASSERT_TRUE(out2.ok()) << out2.status().to_string();
  EXPECT_EQ(*out2, "01 Jan 2025|5|function");
}

TEST(ChatTemplateTest, StrftimeNowFormatsTheGivenClock) {
  auto t = ChatTemplate::parse("{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M') }}");
  ASSERT_TRUE(t.ok());
  ChatTemplateOptions opt;
  opt.now = golden_now();
  auto out = t->render({}, opt);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "26 Sep 2024 2024-09-26 14:30");
}

TEST(ChatTemplateTest, TrimsBlocksAndStripsIndentationLikeTransformers) {
  auto t = ChatTemplate::parse(
      "{% for m in messages %}\n"
      "    {% if m.role == 'user' %}\n"
      "U: {{ m.content }}\n"
      "    {% endif %}\n"
      "{% endfor %}\n");
  ASSERT_TRUE(t.ok());
  auto out = t->render({{"user", "a"}, {"assistant", "b"}, {"user", "c"}}, {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "U: a\nU: c\n");
}

TEST(ChatTemplateTest, ErrorsSayChatTemplateAndWhere) {
  // Status has no printer: compare the printable form so a failure shows both messages.
  EXPECT_EQ(ChatTemplate::parse("{% if x %}").status().to_string(),
            core::Status::invalid_argument("chat template: line 1, column 11: expected 'elif', 'else' or 'endif' to "
                                           "close the 'if' at line 1, column 4, found the end of the template")
                .to_string());
  EXPECT_EQ(ChatTemplate::parse("{% macro f() %}{% endmacro %}").status().to_string(),
            core::Status::unsupported("chat template: line 1, column 4: unsupported tag 'macro'").to_string());
  auto t = ChatTemplate::parse("{{ messages[0].content + 1 }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->render({{"user", "x"}}, {}).status().to_string(),
            core::Status::invalid_argument("chat template: line 1, column 24: can only concatenate str (not \"int\") to str")
                .to_string());
  auto raising = ChatTemplate::parse("{% if messages[0].role != 'user' %}{{ raise_exception('First must be user') }}{% endif %}");
  ASSERT_TRUE(raising.ok());
  EXPECT_EQ(raising->render({{"system", "x"}}, {}).status().to_string(),
            core::Status::invalid_argument("First must be user").to_string());
}

TEST(ChatTemplateTest, ContentPartsAndNullContentReachTheTemplateAsJson) {
  auto t = ChatTemplate::parse(
      "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% elif m.content is none %}<null>"
      "{% else %}{% for p in m.content %}[{{ p.type }}:{{ p.text }}]{% endfor %}{% endif %};{% endfor %}");
  ASSERT_TRUE(t.ok());
  auto msgs = core::parse_json(R"([{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                                  {"role":"assistant","content":null},{"role":"user","content":"s"}])");
  ASSERT_TRUE(msgs.ok());
  auto out = t->render_json(msgs->as_array(), {});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "[text:a][text:b];<null>;s;");
}

}  // namespace
}  // namespace anvil::text
