// Prompt-token counting for the prompt limit: the estimate without a tokenizer, exact counts
// with a GGUF file's tokenizer and chat template, and which deployment the gateway counts with.
#include "anvil/gateway/prompt_counter.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "anvil/core/file_io.h"
#include "anvil/engine/gguf_vocab.h"
#include "anvil/gateway/routing_gateway.h"
#include "engine/llama_test_model.h"
#include "engine/tiny_spm_vocab.h"
#include "gateway/route_fixtures.h"
#include "gateway/scripted_provider.h"
#include "testing/temp_dir.h"

namespace anvil::gateway {
namespace {

namespace json = boost::json;

json::object body(std::string_view text) { return json::parse(text).as_object(); }

TEST(EstimatePromptTokens, CountsCjkCharactersOneEachAndOtherTextByThreeBytes) {
  // ASCII: one token per 3 bytes, rounded up; ideographs and full-width forms ("，"): one each.
  PromptCount c = estimate_prompt_tokens(Operation::kCompletions,
                                         body(R"({"prompt":"hello world, this is a test."})"));
  EXPECT_EQ(c.total, 10);  // 28 bytes, rounded up
  EXPECT_FALSE(c.exact);
  c = estimate_prompt_tokens(Operation::kCompletions, body(R"({"prompt":"你好，世界"})"));
  EXPECT_EQ(c.total, 5);
  c = estimate_prompt_tokens(Operation::kCompletions, body(R"({"prompt":"Anvil 支持中文"})"));
  EXPECT_EQ(c.total, 2 + 4);  // "Anvil " is 6 bytes
}

TEST(EstimatePromptTokens, ChatIsOnePromptWithFramingPerMessage) {
  PromptCount c = estimate_prompt_tokens(
      Operation::kChatCompletions,
      body(R"({"messages":[{"role":"system","content":"abcdef"},
                           {"role":"user","content":[{"type":"text","text":"你好"},
                                                     {"type":"image_url","image_url":{"url":"x"}}]}]})"));
  EXPECT_EQ(c.total, 4 + 2 + 4 + 2);
  EXPECT_EQ(c.largest, c.total);
  EXPECT_EQ(c.largest_index, -1);
}

TEST(EstimatePromptTokens, InputsAreCountedOneByOneAndTokenIdsExactly) {
  PromptCount c = estimate_prompt_tokens(Operation::kEmbeddings,
                                         body(R"({"input":["abc","abcdefghi","a"]})"));
  EXPECT_EQ(c.total, 1 + 3 + 1);
  EXPECT_EQ(c.largest, 3);
  EXPECT_EQ(c.largest_index, 1);
  c = estimate_prompt_tokens(Operation::kEmbeddings, body(R"({"input":[[1,2,3],[4,5,6,7,8]]})"));
  EXPECT_EQ(c.total, 8);
  EXPECT_EQ(c.largest, 5);
  EXPECT_EQ(c.largest_index, 1);
  c = estimate_prompt_tokens(Operation::kCompletions, body(R"({"prompt":[9,9,9,9]})"));
  EXPECT_EQ(c.total, 4);
  EXPECT_EQ(c.largest_index, 0);
}

TEST(EstimatePromptTokens, RerankCountsTheQueryWithEachDocument) {
  PromptCount c = estimate_prompt_tokens(
      Operation::kRerank, body(R"({"query":"abcdef","documents":["abc",{"text":"abcdefghi"}]})"));
  EXPECT_EQ(c.total, (2 + 1) + (2 + 3));
  EXPECT_EQ(c.largest, 5);
  EXPECT_EQ(c.largest_index, 1);
}

constexpr const char* kTemplate =
    "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}";

class PromptTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    anvil::testing::TinyLlamaSpec spec;
    spec.n_vocab = anvil::testing::kTinySpmVocabSize;
    spec.vocab = anvil::testing::tiny_spm_vocab_keys();
    spec.chat_template = kTemplate;
    path_ = dir_.path() / "tiny.gguf";
    ASSERT_TRUE(core::write_file_atomic(path_, anvil::testing::build_tiny_llama(spec)).ok());
    auto file = engine::GgufFile::open(path_);
    ASSERT_TRUE(file.ok());
    file_ = std::move(file).value();
    auto tok = engine::load_tokenizer(*file_);
    ASSERT_TRUE(tok.ok());
    tokenizer_ = std::move(tok).value();
  }

  anvil::testing::TempDir dir_;
  std::filesystem::path path_;
  std::unique_ptr<engine::GgufFile> file_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
};

TEST_F(PromptTokenizerTest, ChatCountsTheRenderedTemplateAndTextsTheirTokens) {
  auto counter = PromptTokenizer::open(path_);
  ASSERT_TRUE(counter.ok()) << counter.status().to_string();
  const json::object chat = body(R"({"messages":[{"role":"user","content":"the cat sat on the mat"}]})");
  auto chat_prompt = engine::ChatPrompt::create(*file_, *tokenizer_);
  ASSERT_TRUE(chat_prompt.ok());
  auto rendered = chat_prompt->render(chat.at("messages").as_array());
  ASSERT_TRUE(rendered.ok());
  auto c = (*counter)->count(Operation::kChatCompletions, chat);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->total, static_cast<std::int64_t>(chat_prompt->encode(*rendered).size()));
  EXPECT_TRUE(c->exact);

  c = (*counter)->count(Operation::kEmbeddings, body(R"({"input":["the cat","the cat sat on the mat"]})"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->largest, static_cast<std::int64_t>(tokenizer_->encode("the cat sat on the mat", false, false).size()));
  EXPECT_EQ(c->largest_index, 1);
  EXPECT_EQ(c->total, c->largest + static_cast<std::int64_t>(tokenizer_->encode("the cat", false, false).size()));
}

TEST_F(PromptTokenizerTest, AFileThatIsNotGgufIsRejectedWithItsName) {
  auto bad = dir_.write("notes.txt", "not a model");
  auto counter = PromptTokenizer::open(bad);
  ASSERT_FALSE(counter.ok());
  EXPECT_NE(counter.status().message().find("notes.txt"), std::string::npos) << counter.status().message();
}

TEST_F(PromptTokenizerTest, TheGatewayCountsWithTheFirstDeploymentThatHasATokenizer) {
  GatewayConfig config;
  config.deployments = {testing::deployment("plain"), testing::deployment("counted")};
  config.deployments[1].tokenizer = path_.string();
  config.models = {testing::model("chat", {"plain", "counted"}), testing::model("guess", {"plain"})};
  config.models[0].max_prompt_tokens = 50;
  testing::ScriptedProvider provider;
  auto gw = RoutingGateway::create(config, {{"scripted", &provider}}, {.metrics = nullptr});
  ASSERT_TRUE(gw.ok()) << gw.status().to_string();
  const json::object completion = body(R"({"prompt":"the cat sat"})");

  auto c = (*gw)->count_prompt_tokens("chat", Operation::kCompletions, completion);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->exact);
  EXPECT_EQ(c->counted_with, "counted");
  EXPECT_EQ(c->total, static_cast<std::int64_t>(tokenizer_->encode("the cat sat", false, false).size()));
  c = (*gw)->count_prompt_tokens("guess", Operation::kCompletions, completion);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->exact);
  EXPECT_EQ(c->total, 4);  // 11 bytes / 3, rounded up

  EXPECT_EQ((*gw)->max_prompt_tokens("chat"), 50);
  EXPECT_EQ((*gw)->max_prompt_tokens("guess"), 1000);  // the [gateway] default

  config.deployments[1].tokenizer = (dir_ / "missing.gguf").string();
  auto broken = RoutingGateway::create(config, {{"scripted", &provider}}, {.metrics = nullptr});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("deployment 'counted': tokenizer: "), std::string::npos)
      << broken.status().message();
}

}  // namespace
}  // namespace anvil::gateway
