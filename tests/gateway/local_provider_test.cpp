// The local provider on a tiny random decoder with a SentencePiece vocabulary and a chat
// template: answers equal the engine's own generation, streams add up to the same text, usage
// counts the model's tokens, and bad requests, context overflow and a departed client are handled.
#include "anvil/gateway/local_provider.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "anvil/core/file_io.h"
#include "anvil/engine/chat_prompt.h"
#include "anvil/engine/generator.h"
#include "anvil/engine/gguf_vocab.h"
#include "engine/llama_test_model.h"
#include "engine/tiny_spm_vocab.h"
#include "testing/temp_dir.h"

namespace anvil::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr const char* kTemplate =
    "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}";

class RecordingSink final : public StreamSink {
 public:
  explicit RecordingSink(size_t accept = SIZE_MAX) : accept_(accept) {}
  asio::awaitable<bool> write_event(std::string_view json_text) override {
    events.emplace_back(json_text);
    co_return events.size() < accept_;
  }
  bool started() const override { return !events.empty(); }
  std::vector<std::string> events;

 private:
  size_t accept_;
};

class LocalProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    anvil::testing::TinyLlamaSpec spec;
    spec.n_vocab = anvil::testing::kTinySpmVocabSize;
    spec.n_ctx = 96;
    spec.seed = 11;
    spec.vocab = anvil::testing::tiny_spm_vocab_keys();
    spec.chat_template = kTemplate;
    path_ = dir_.path() / "tiny-chat.gguf";
    ASSERT_TRUE(core::write_file_atomic(path_, anvil::testing::build_tiny_llama(spec)).ok());
    deployment_.name = "tiny";
    deployment_.provider = "local";
    deployment_.model = path_.string();
    LocalProviderOptions o;
    o.threads = 1;
    o.max_sequences = 4;
    auto p = LocalProvider::create(std::span(&deployment_, 1), o);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    provider_ = std::move(p).value();
  }

  ProviderRequest chat(std::string_view user, int max_tokens) {
    ProviderRequest r;
    r.op = Operation::kChatCompletions;
    r.body = json::object{{"model", "tiny"},
                          {"messages", json::array{json::object{{"role", "user"}, {"content", user}}}},
                          {"temperature", 0},
                          {"max_tokens", max_tokens}};
    r.request_id = "req-1";
    r.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    return r;
  }

  template <typename F>
  auto run(F&& f) {
    asio::io_context io;
    auto fut = asio::co_spawn(io, std::forward<F>(f), asio::use_future);
    io.run();
    return fut.get();
  }

  // What the engine alone generates for the same conversation, greedily.
  engine::GenerateResult expected(std::string_view user, int max_tokens) {
    auto model = engine::LlamaModel::open(path_);
    EXPECT_TRUE(model.ok());
    auto tok = engine::load_tokenizer((*model)->file());
    EXPECT_TRUE(tok.ok());
    auto prompt = engine::ChatPrompt::create((*model)->file(), **tok);
    EXPECT_TRUE(prompt.ok());
    auto text = prompt->render(json::array{json::object{{"role", "user"}, {"content", user}}});
    EXPECT_TRUE(text.ok());
    engine::LlamaSessionOptions so;
    so.n_ctx = 96;
    auto session = engine::LlamaSession::create(**model, so, nullptr);
    engine::GenerateOptions go;
    go.sampling.temperature = 0;
    go.sampling.repeat_penalty = 1.0f;
    go.max_tokens = max_tokens;
    go.penalize_prompt = false;
    auto r = engine::Generator(**session, **tok).generate(prompt->encode(*text), go);
    EXPECT_TRUE(r.ok());
    prompt_tokens_ = static_cast<int64_t>(prompt->encode(*text).size());
    return std::move(r).value();
  }

  anvil::testing::TempDir dir_;
  std::filesystem::path path_;
  Deployment deployment_;
  std::unique_ptr<LocalProvider> provider_;
  int64_t prompt_tokens_ = 0;
};

TEST_F(LocalProviderTest, ChatAnswerIsTheEnginesGreedyGeneration) {
  const engine::GenerateResult want = expected("the cat sat", 8);
  const ProviderRequest request = chat("the cat sat", 8);  // outlives the coroutine, which holds a reference
  Attempt a = run([&]() { return provider_->complete(deployment_, request); });
  ASSERT_TRUE(a.ok()) << a.failure->message;
  const json::object body = json::parse(a.response.body).as_object();
  EXPECT_EQ(body.at("object").as_string(), "chat.completion");
  const json::object& choice = body.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(choice.at("message").at("content").as_string(), want.text);
  EXPECT_EQ(choice.at("message").at("role").as_string(), "assistant");
  EXPECT_EQ(choice.at("finish_reason").as_string(),
            want.finish == engine::FinishReason::kLength ? "length" : "stop");
  EXPECT_EQ(a.response.usage.prompt_tokens, prompt_tokens_);
  EXPECT_EQ(a.response.usage.completion_tokens, static_cast<int64_t>(want.tokens.size()));
  EXPECT_EQ(body.at("usage").at("completion_tokens").as_int64(), a.response.usage.completion_tokens);
  auto counted = provider_->count_prompt_tokens(deployment_, Operation::kChatCompletions, chat("the cat sat", 8).body);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(*counted, prompt_tokens_);
}

TEST_F(LocalProviderTest, StreamAddsUpToTheSameTextAndUsage) {
  const engine::GenerateResult want = expected("the dog", 10);
  RecordingSink sink;
  ProviderRequest r = chat("the dog", 10);
  r.stream = true;
  StreamAttempt a = run([&]() { return provider_->stream(deployment_, r, sink); });
  ASSERT_TRUE(a.ok()) << a.failure->message;
  ASSERT_GE(sink.events.size(), 2u);
  std::string text;
  for (size_t i = 0; i < sink.events.size(); ++i) {
    const json::object chunk = json::parse(sink.events[i]).as_object();
    EXPECT_EQ(chunk.at("object").as_string(), "chat.completion.chunk");
    const json::object& choice = chunk.at("choices").as_array().at(0).as_object();
    const json::object& delta = choice.at("delta").as_object();
    EXPECT_EQ(delta.contains("role"), i == 0);
    if (const json::value* c = delta.if_contains("content")) text += c->as_string();
    EXPECT_EQ(choice.at("finish_reason").is_null(), i + 1 < sink.events.size());
  }
  EXPECT_EQ(text, want.text);
  EXPECT_EQ(a.usage.prompt_tokens, prompt_tokens_);
  EXPECT_EQ(a.usage.completion_tokens, static_cast<int64_t>(want.tokens.size()));
}

TEST_F(LocalProviderTest, ClientGoneStopsGenerationAndCountsTokensSoFar) {
  // The client is gone after the first chunk. How far generation got by then depends on thread
  // timing; what must hold is that nothing more reaches the sink and the tokens made are counted.
  RecordingSink sink(/*accept=*/1);
  ProviderRequest r = chat("the cat", 60);
  r.stream = true;
  StreamAttempt a = run([&]() { return provider_->stream(deployment_, r, sink); });
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(sink.events.size(), 1u);
  EXPECT_GT(a.usage.completion_tokens, 0);
  EXPECT_LE(a.usage.completion_tokens, 60);
}

TEST_F(LocalProviderTest, ContextOverflowAndBadRequests) {
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "the cat sat on the mat ";
  const ProviderRequest too_long = chat(long_text, 4);
  Attempt over = run([&]() { return provider_->complete(deployment_, too_long); });
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.failure->kind, FailureKind::kContextOverflow);
  EXPECT_NE(over.failure->message.find("maximum context length is 96 tokens"), std::string::npos)
      << over.failure->message;
  EXPECT_EQ(json::parse(over.failure->body).at("error").at("code").as_string(), "context_length_exceeded");

  ProviderRequest embeddings = chat("x", 1);
  embeddings.op = Operation::kEmbeddings;
  Attempt refused = run([&]() { return provider_->complete(deployment_, embeddings); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure->http_status, 400);
  EXPECT_EQ(refused.failure->message,
            "deployment 'tiny' is a text generation model: it serves /v1/chat/completions and "
            "/v1/completions, not /v1/embeddings");
  EXPECT_EQ(json::parse(refused.failure->body).at("error").at("param").as_string(), "model");
  EXPECT_EQ(provider_->operations(deployment_),
            (std::vector<Operation>{Operation::kChatCompletions, Operation::kCompletions}));
  auto counted = provider_->count_prompt_tokens(deployment_, Operation::kRerank, embeddings.body);
  ASSERT_FALSE(counted.ok());
  EXPECT_EQ(counted.status().message(),
            "deployment 'tiny' is a text generation model: it serves /v1/chat/completions and "
            "/v1/completions, not /v1/rerank");
}

TEST_F(LocalProviderTest, CompletionsUseThePromptAsIs) {
  ProviderRequest r;
  r.op = Operation::kCompletions;
  r.body = json::object{{"model", "tiny"}, {"prompt", "the cat"}, {"temperature", 0}, {"max_tokens", 5}};
  r.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  Attempt a = run([&]() { return provider_->complete(deployment_, r); });
  ASSERT_TRUE(a.ok());
  const json::object body = json::parse(a.response.body).as_object();
  EXPECT_EQ(body.at("object").as_string(), "text_completion");
  EXPECT_TRUE(body.at("choices").as_array().at(0).as_object().contains("text"));
  EXPECT_GT(a.response.usage.completion_tokens, 0);
}

}  // namespace
}  // namespace anvil::gateway
