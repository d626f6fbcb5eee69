// The local provider answering /v1/embeddings from a tiny BERT embedding model: OpenAI's answer
// shape with the engine's own vectors, token-id inputs equal to their text, base64 as
// little-endian f32, `dimensions`, usage and token counting, inputs over the context refused with
// their index, requests a model does not serve refused with what it serves, and concurrent
// requests each answered with their own vectors.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "anvil/engine/embedder.h"
#include "anvil/gateway/local_provider.h"
#include "gateway/local_encoder_fixture.h"
#include "testing/temp_dir.h"

namespace anvil::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using anvil::testing::run_coroutine;

class LocalEmbeddingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [name, reranker] : {std::pair{"emb", false}, std::pair{"rerank", true}}) {
      Deployment d;
      d.name = name;
      d.provider = "local";
      d.model =
          anvil::testing::write_tiny_encoder(dir_.path(), std::string(name) + ".gguf", reranker).string();
      deployments_.push_back(d);
    }
    LocalProviderOptions o;
    o.threads = 1;
    auto p = LocalProvider::create(deployments_, o);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    provider_ = std::move(p).value();
    engine::EncoderOptions eo;
    eo.threads = 1;
    auto e = engine::Embedder::open(deployments_[0].model, eo);
    ASSERT_TRUE(e.ok());
    embedder_ = std::move(e).value();
  }

  const Deployment& emb() const { return deployments_[0]; }
  const Deployment& rerank() const { return deployments_[1]; }

  static ProviderRequest request(json::value input, json::object extra = {}) {
    ProviderRequest r;
    r.op = Operation::kEmbeddings;
    r.body = std::move(extra);
    r.body["model"] = "emb";
    r.body["input"] = std::move(input);
    r.request_id = "req-1";
    r.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    return r;
  }

  Attempt complete(const Deployment& d, const ProviderRequest& r) {
    return run_coroutine([&]() { return provider_->complete(d, r); });
  }

  // The vectors of a successful answer, after checking its shape.
  static std::vector<std::vector<float>> vectors_of(const Attempt& a) {
    EXPECT_TRUE(a.ok()) << a.failure->message;
    if (!a.ok()) return {};
    const json::object body = json::parse(a.response.body).as_object();
    EXPECT_EQ(body.at("object").as_string(), "list");
    EXPECT_EQ(body.at("model").as_string(), "emb");
    std::vector<std::vector<float>> out;
    const json::array& data = body.at("data").as_array();
    for (size_t i = 0; i < data.size(); ++i) {
      const json::object& item = data[i].as_object();
      EXPECT_EQ(item.at("object").as_string(), "embedding");
      EXPECT_EQ(item.at("index").as_int64(), static_cast<int64_t>(i));
      std::vector<float> v;
      for (const json::value& x : item.at("embedding").as_array())
        v.push_back(static_cast<float>(x.to_number<double>()));
      out.push_back(std::move(v));
    }
    return out;
  }

  anvil::testing::TempDir dir_;
  std::vector<Deployment> deployments_;
  std::unique_ptr<LocalProvider> provider_;
  std::unique_ptr<engine::Embedder> embedder_;
};

void expect_near(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << "component " << i;
}

// RFC 4648 base64 back to bytes (the test's own decoder, independent of the one under test).
std::vector<uint8_t> base64_decode(std::string_view s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::vector<uint8_t> out;
  uint32_t bits = 0;
  int n = 0;
  for (char c : s) {
    if (c == '=') break;
    const int v = value(c);
    EXPECT_GE(v, 0) << "not base64: " << c;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    n += 6;
    if (n >= 8) {
      n -= 8;
      out.push_back(static_cast<uint8_t>(bits >> n));
    }
  }
  return out;
}

TEST_F(LocalEmbeddingsTest, AnswersTheEnginesVectorsInOpenAIsShape) {
  const std::vector<std::string> texts = {"the cat sat on the mat", "hello world", ""};
  const ProviderRequest r = request(json::array{"the cat sat on the mat", "hello world", ""});
  Attempt a = complete(emb(), r);
  const auto got = vectors_of(a);
  auto want = embedder_->embed(texts);
  ASSERT_TRUE(want.ok());
  ASSERT_EQ(got.size(), texts.size());
  int64_t tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    expect_near(got[i], (*want)[i]);
    tokens += static_cast<int64_t>(embedder_->tokens_for(texts[i]).size());
  }
  EXPECT_EQ(tokens, 8 + 4 + 2);
  const json::object body = json::parse(a.response.body).as_object();
  EXPECT_EQ(body.at("usage").at("prompt_tokens").as_int64(), tokens);
  EXPECT_EQ(body.at("usage").at("total_tokens").as_int64(), tokens);
  EXPECT_EQ(a.response.usage.prompt_tokens, tokens);
  EXPECT_EQ(a.response.usage.completion_tokens, 0);
  EXPECT_TRUE(a.response.usage.reported);
  auto counted = provider_->count_prompt_tokens(emb(), Operation::kEmbeddings, r.body);
  ASSERT_TRUE(counted.ok()) << counted.status().to_string();
  EXPECT_EQ(*counted, tokens);
  EXPECT_EQ(provider_->operations(emb()), std::vector<Operation>{Operation::kEmbeddings});
}

TEST_F(LocalEmbeddingsTest, TokenIdInputsEmbedLikeTheirText) {
  const std::vector<text::TokenId> ids = embedder_->runtime().tokenize("the cats sat");
  json::array flat;
  for (text::TokenId id : ids) flat.push_back(id);
  const auto from_text = vectors_of(complete(emb(), request("the cats sat")));
  const auto from_ids = vectors_of(complete(emb(), request(flat)));
  const auto from_lists = vectors_of(complete(emb(), request(json::array{flat, flat})));
  ASSERT_EQ(from_text.size(), 1u);
  ASSERT_EQ(from_ids.size(), 1u);
  ASSERT_EQ(from_lists.size(), 2u);
  expect_near(from_ids[0], from_text[0]);
  expect_near(from_lists[1], from_text[0]);
}

TEST_F(LocalEmbeddingsTest, Base64IsTheLittleEndianF32OfTheSameVectors) {
  const auto floats = vectors_of(complete(emb(), request(json::array{"hello world", "the dog"})));
  Attempt a =
      complete(emb(), request(json::array{"hello world", "the dog"}, {{"encoding_format", "base64"}}));
  ASSERT_TRUE(a.ok());
  const json::value body = json::parse(a.response.body);
  const json::array& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const std::vector<uint8_t> bytes = base64_decode(data[i].at("embedding").as_string());
    ASSERT_EQ(bytes.size(), 4u * anvil::testing::kTinyEncoderDim);
    for (size_t k = 0; k < floats[i].size(); ++k) {
      const uint32_t u = uint32_t{bytes[4 * k]} | uint32_t{bytes[4 * k + 1]} << 8 |
                         uint32_t{bytes[4 * k + 2]} << 16 | uint32_t{bytes[4 * k + 3]} << 24;
      float x;
      std::memcpy(&x, &u, 4);
      // The JSON floats are the shortest text that reads back as the same float: bit-exact.
      EXPECT_EQ(x, floats[i][k]) << "vector " << i << " component " << k;
    }
  }
}

TEST_F(LocalEmbeddingsTest, DimensionsMustBeTheModels) {
  EXPECT_EQ(vectors_of(complete(emb(), request("the cat", {{"dimensions", 32}}))).size(), 1u);
  Attempt a = complete(emb(), request("the cat", {{"dimensions", 16}}));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.failure->http_status, 400);
  EXPECT_EQ(a.failure->message,
            "invalid 'dimensions': this model makes 32-dimensional embeddings and does not shorten "
            "them; expected 32 or no 'dimensions', found 16");
  EXPECT_EQ(json::parse(a.failure->body).at("error").at("param").as_string(), "dimensions");
}

TEST_F(LocalEmbeddingsTest, InputsOverTheContextAreRefusedWithTheirIndex) {
  std::string thirty_words;
  for (int i = 0; i < 5; ++i) thirty_words += "the cat sat on the mat ";
  Attempt a = complete(emb(), request(json::array{"hello", thirty_words}));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.failure->kind, FailureKind::kContextOverflow);
  EXPECT_EQ(a.failure->message,
            "input[1] has 32 tokens (the 2 special tokens that frame it included), the model's "
            "context holds 24; inputs are never truncated: split it");
  const json::value error = json::parse(a.failure->body).at("error");
  EXPECT_EQ(error.at("code").as_string(), "context_length_exceeded");
  EXPECT_EQ(error.at("param").as_string(), "input");

  Attempt single = complete(emb(), request(json::string(thirty_words)));
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.failure->message.substr(0, 20), "input has 32 tokens ");
  auto counted =
      provider_->count_prompt_tokens(emb(), Operation::kEmbeddings, request(json::string(thirty_words)).body);
  ASSERT_FALSE(counted.ok());
  EXPECT_EQ(counted.status().message(), single.failure->message);

  Attempt bad_id = complete(emb(), request(json::array{json::array{8, 10}, json::array{8, 999}}));
  ASSERT_FALSE(bad_id.ok());
  EXPECT_EQ(bad_id.failure->http_status, 400);
  EXPECT_EQ(bad_id.failure->message,
            "invalid 'input[1][1]': expected a token id of this model (0 to 31), found 999");
}

TEST_F(LocalEmbeddingsTest, RequestsAModelDoesNotServeAreClientErrors) {
  ProviderRequest chat = request("x");
  chat.op = Operation::kChatCompletions;
  Attempt a = complete(emb(), chat);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.failure->http_status, 400);
  EXPECT_EQ(a.failure->message,
            "deployment 'emb' is an embedding model (32 dimensions, mean pooling): it serves "
            "/v1/embeddings, not /v1/chat/completions");
  const json::value error = json::parse(a.failure->body).at("error");
  EXPECT_EQ(error.at("param").as_string(), "model");
  EXPECT_EQ(error.at("code").as_string(), "unsupported_operation");

  Attempt b = complete(rerank(), request("x"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.failure->message,
            "deployment 'rerank' is a reranker (a cross-encoder with a classification head): it "
            "serves /v1/rerank, not /v1/embeddings");

  ProviderRequest streamed = request("x");
  streamed.stream = true;
  struct NoSink final : StreamSink {
    asio::awaitable<bool> write_event(std::string_view) override { co_return true; }
    bool started() const override { return false; }
  } sink;
  StreamAttempt s = run_coroutine([&]() { return provider_->stream(emb(), streamed, sink); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.failure->http_status, 400);
  EXPECT_EQ(s.failure->message, "/v1/embeddings answers are not streamed: expected 'stream' false or absent");
}

TEST_F(LocalEmbeddingsTest, ConcurrentRequestsGetTheirOwnVectors) {
  const std::vector<std::string> texts = {
      "the cat",     "the dog",    "hello world", "what is noise", "replace the bearing",
      "a seal leak", "how to fix", "the mat"};
  std::vector<ProviderRequest> requests;
  for (const std::string& t : texts) requests.push_back(request(json::string(t)));
  asio::io_context io;
  std::vector<std::future<Attempt>> answers;
  for (const ProviderRequest& r : requests) {
    answers.push_back(asio::co_spawn(io, provider_->complete(emb(), r), asio::use_future));
  }
  io.run();
  auto want = embedder_->embed(texts);
  ASSERT_TRUE(want.ok());
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto got = vectors_of(answers[i].get());
    ASSERT_EQ(got.size(), 1u);
    expect_near(got[0], (*want)[i]);
  }
}

}  // namespace
}  // namespace anvil::gateway
