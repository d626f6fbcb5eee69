#include "anvil/gateway/local_embeddings.h"

#include <bit>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/gateway/local_failures.h"

namespace anvil::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::optional<int64_t> integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

bool all_integers(const json::array& a) {
  for (const json::value& v : a) {
    if (!integer(v)) return false;
  }
  return true;
}

// Reads the items of `input` as framed sequences; `param` of an item is "input" (a lone string or
// token list) or "input[i]".
class InputReader {
 public:
  explicit InputReader(const engine::Embedder& e) : e_(e) {}

  std::optional<UpstreamFailure> text(const json::string& s, const std::string& param) {
    return add(e_.tokens_for(std::string_view(s.data(), s.size())), param);
  }
  std::optional<UpstreamFailure> tokens(const json::array& ids, const std::string& param) {
    const engine::EncoderRuntime& rt = e_.runtime();
    const int64_t n_vocab = rt.tokenizer().n_vocab();
    std::vector<text::TokenId> seq;
    seq.reserve(ids.size() + 2);
    seq.push_back(rt.cls());
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::optional<int64_t> id = integer(ids[i]);
      if (!id || *id < 0 || *id >= n_vocab) {
        return local_client_error(
            400,
            fmt::format("invalid '{}[{}]': expected a token id of this model (0 to {}), found {}", param, i,
                        n_vocab - 1, json::serialize(ids[i])),
            "input");
      }
      seq.push_back(static_cast<text::TokenId>(*id));
    }
    seq.push_back(rt.sep());
    return add(std::move(seq), param);
  }
  std::vector<std::vector<text::TokenId>> take() { return std::move(sequences_); }

 private:
  std::optional<UpstreamFailure> add(std::vector<text::TokenId> seq, const std::string& param) {
    const auto n = static_cast<int64_t>(seq.size());
    if (n > e_.max_tokens()) {
      return local_context_overflow(
          fmt::format("{} has {} tokens (the 2 special tokens that frame it included), the "
                      "model's context holds {}; inputs are never truncated: split it",
                      param, n, e_.max_tokens()),
          "input");
    }
    sequences_.push_back(std::move(seq));
    return std::nullopt;
  }

  const engine::Embedder& e_;
  std::vector<std::vector<text::TokenId>> sequences_;
};

constexpr std::string_view kInputShapes =
    "a string, an array of strings, an array of token ids, or an array of arrays of token ids";

std::optional<UpstreamFailure> read_input(InputReader& reader, const json::value* input) {
  if (input == nullptr) {
    return local_client_error(400, fmt::format("missing 'input': expected {}", kInputShapes), "input");
  }
  if (input->is_string()) return reader.text(input->get_string(), "input");
  if (!input->is_array() || input->get_array().empty()) {
    return local_client_error(
        400, fmt::format("invalid 'input': expected {}, found {}", kInputShapes, json::serialize(*input)),
        "input");
  }
  const json::array& items = input->get_array();
  if (all_integers(items)) return reader.tokens(items, "input");
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string param = fmt::format("input[{}]", i);
    std::optional<UpstreamFailure> f;
    if (items[i].is_string()) {
      f = reader.text(items[i].get_string(), param);
    } else if (items[i].is_array() && !items[i].get_array().empty()) {
      f = reader.tokens(items[i].get_array(), param);
    } else {
      f = local_client_error(400,
                             fmt::format("invalid '{}': expected a string or a non-empty array "
                                         "of token ids, found {}",
                                         param, json::serialize(items[i])),
                             "input");
    }
    if (f) return f;
  }
  return std::nullopt;
}

// Standard base64 (RFC 4648 section 4, with padding) of `bytes`, appended to `out`.
void append_base64(std::span<const uint8_t> bytes, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return;
  const uint32_t v = (uint32_t{bytes[i]} << 16) | (rest == 2 ? uint32_t{bytes[i + 1]} << 8 : 0);
  out.push_back(kAlphabet[(v >> 18) & 63]);
  out.push_back(kAlphabet[(v >> 12) & 63]);
  out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
}

// One vector as the value of "embedding": shortest round-trip floats, or base64 of its
// little-endian f32 bytes (what OpenAI's SDKs decode with Float32Array / np.frombuffer).
void append_vector(std::span<const float> v, bool base64, std::string& out) {
  if (!base64) {
    out.push_back('[');
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out.push_back(',');
      fmt::format_to(std::back_inserter(out), "{}", v[i]);
    }
    out.push_back(']');
    return;
  }
  std::vector<uint8_t> bytes;
  bytes.reserve(v.size() * 4);
  for (float x : v) {
    const auto u = std::bit_cast<uint32_t>(x);
    for (int k = 0; k < 4; ++k) bytes.push_back(static_cast<uint8_t>(u >> (8 * k)));
  }
  out.push_back('"');
  append_base64(bytes, out);
  out.push_back('"');
}

// vectors: [n, dim] f32, finite.
std::string answer_body(std::span<const float> vectors, size_t dim, bool base64, std::string_view model,
                        int64_t tokens) {
  const size_t n = dim == 0 ? 0 : vectors.size() / dim;
  std::string out;
  out.reserve(64 + n * (48 + dim * (base64 ? 6 : 12)));
  out += R"({"object":"list","data":[)";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out.push_back(',');
    fmt::format_to(std::back_inserter(out), R"({{"object":"embedding","index":{},"embedding":)", i);
    append_vector(vectors.subspan(i * dim, dim), base64, out);
    out.push_back('}');
  }
  fmt::format_to(std::back_inserter(out),
                 R"(],"model":{},"usage":{{"prompt_tokens":{},"total_tokens":{}}}}})",
                 json::serialize(json::value(model)), tokens, tokens);
  return out;
}

}  // namespace

std::variant<EmbeddingsCall, UpstreamFailure> read_embeddings(const engine::Embedder& embedder,
                                                              const json::object& body) {
  EmbeddingsCall call;
  if (const json::value* format = body.if_contains("encoding_format");
      format != nullptr && !format->is_null()) {
    if (*format == "base64") {
      call.base64 = true;
    } else if (*format != "float") {
      return local_client_error(400,
                                fmt::format("invalid 'encoding_format': expected one of float, "
                                            "base64, found {}",
                                            json::serialize(*format)),
                                "encoding_format");
    }
  }
  if (const json::value* dims = body.if_contains("dimensions"); dims != nullptr && !dims->is_null()) {
    const std::optional<int64_t> d = integer(*dims);
    if (!d || *d != embedder.dim()) {
      return local_client_error(
          400,
          fmt::format("invalid 'dimensions': this model makes {}-dimensional embeddings and does "
                      "not shorten them; expected {} or no 'dimensions', found {}",
                      embedder.dim(), embedder.dim(), json::serialize(*dims)),
          "dimensions");
    }
  }
  InputReader reader(embedder);
  if (auto f = read_input(reader, body.if_contains("input"))) return std::move(*f);
  call.work.texts = reader.take();
  return call;
}

asio::awaitable<Attempt> answer_embeddings(LocalEncoder& encoder, const Deployment& deployment,
                                           const ProviderRequest& request) {
  Attempt attempt;
  auto read = read_embeddings(*encoder.embedder(), request.body);
  if (auto* f = std::get_if<UpstreamFailure>(&read)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  EmbeddingsCall call = std::move(std::get<EmbeddingsCall>(read));
  const int64_t tokens = call.work.tokens();
  auto vectors = co_await run_encoder(encoder, std::move(call.work), deployment, request.deadline);
  if (auto* f = std::get_if<UpstreamFailure>(&vectors)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  attempt.response.usage = encoder_usage(tokens);
  attempt.response.body =
      answer_body(std::get<std::vector<float>>(vectors), static_cast<size_t>(encoder.width()), call.base64,
                  deployment.name, tokens);
  co_return attempt;
}

}  // namespace anvil::gateway
