#include "fake_upstream/content.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace anvil::fake {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 64> kWords = {
    "anvil",  "forge",  "hammer", "spark",  "steel",  "iron",   "ember",  "flame",
    "river",  "stone",  "cloud",  "light",  "shadow", "quiet",  "swift",  "bright",
    "north",  "south",  "east",   "west",   "green",  "amber",  "silver", "copper",
    "garden", "bridge", "tower",  "harbor", "meadow", "valley", "summit", "canyon",
    "signal", "vector", "token",  "model",  "layer",  "kernel", "matrix", "tensor",
    "answer", "question", "reason", "memory", "context", "window", "stream", "chunk",
    "alpha",  "beta",   "gamma",  "delta",  "omega",  "sigma",  "theta",  "kappa",
    "apple",  "cedar",  "maple",  "willow", "birch",  "aspen",  "laurel", "juniper"};

uint64_t fnv1a(uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}
constexpr uint64_t kFnvOffset = 14695981039346656037ull;

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The text of a message's content: a string, or the "text" of its parts.
void append_content(const json::value& content, std::string& out) {
  if (const auto* s = content.if_string()) {
    out.append(s->data(), s->size());
    out.push_back('\n');
  } else if (const auto* parts = content.if_array()) {
    for (const auto& part : *parts) {
      const auto* obj = part.if_object();
      if (!obj) continue;
      if (const auto* text = obj->if_contains("text"); text && text->is_string()) {
        out.append(text->get_string().data(), text->get_string().size());
        out.push_back('\n');
      }
    }
  }
}

// The prompt as one text: messages' contents (chat) or the prompt string(s) (completions).
std::optional<Reply> prompt_text(bool chat, const json::object& body, std::string& out) {
  if (chat) {
    const auto* messages = body.if_contains("messages");
    if (!messages || !messages->is_array() || messages->get_array().empty()) {
      return error_reply(400, "'messages' must be a non-empty array of messages", "", "messages");
    }
    for (const auto& message : messages->get_array()) {
      const auto* obj = message.if_object();
      if (!obj || !obj->contains("role")) {
        return error_reply(400, "each message must be an object with a 'role'", "", "messages");
      }
      if (const auto* content = obj->if_contains("content")) append_content(*content, out);
    }
    return std::nullopt;
  }
  const auto* prompt = body.if_contains("prompt");
  if (!prompt) return error_reply(400, "'prompt' is required", "", "prompt");
  if (prompt->is_string()) {
    append_content(*prompt, out);
  } else if (prompt->is_array()) {
    for (const auto& p : prompt->get_array()) append_content(p, out);
  } else {
    return error_reply(400, "'prompt' must be a string or an array of strings", "", "prompt");
  }
  return std::nullopt;
}

json::object usage_json(int64_t prompt, int64_t completion, int64_t cached) {
  json::object usage;
  usage["prompt_tokens"] = prompt;
  usage["completion_tokens"] = completion;
  usage["total_tokens"] = prompt + completion;
  usage["prompt_tokens_details"] = json::object{{"cached_tokens", cached}};
  return usage;
}

std::string joined_words(const Generation& g) {
  std::string text;
  for (size_t i = 0; i < g.words.size(); ++i) {
    if (i) text.push_back(' ');
    text.append(g.words[i]);
  }
  return text;
}

json::object chunk_head(const Generation& g, int64_t created) {
  json::object chunk;
  chunk["id"] = g.id;
  chunk["object"] = g.chat ? "chat.completion.chunk" : "text_completion";
  chunk["created"] = created;
  chunk["model"] = g.model;
  return chunk;
}

json::object chunk_choice(const Generation& g, std::string_view text, bool first,
                          const char* finish_reason) {
  json::object choice;
  choice["index"] = 0;
  if (g.chat) {
    json::object delta;
    if (first) delta["role"] = "assistant";
    if (first || !text.empty()) delta["content"] = text;
    choice["delta"] = std::move(delta);
  } else {
    choice["text"] = text;
  }
  choice["logprobs"] = nullptr;
  if (finish_reason) {
    choice["finish_reason"] = finish_reason;
  } else {
    choice["finish_reason"] = nullptr;
  }
  return choice;
}

std::string base64(const unsigned char* data, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (size_t i = 0; i < size; i += 3) {
    uint32_t n = uint32_t(data[i]) << 16;
    if (i + 1 < size) n |= uint32_t(data[i + 1]) << 8;
    if (i + 2 < size) n |= data[i + 2];
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kAlphabet[n & 63] : '=');
  }
  return out;
}

// A deterministic unit vector for `text` (dimension `dim`), as floats.
std::vector<float> unit_vector(std::string_view text, int dim) {
  uint64_t seed = fnv1a(kFnvOffset, text);
  std::vector<float> v(static_cast<size_t>(dim));
  double norm = 0;
  for (int j = 0; j < dim; ++j) {
    double x = double(splitmix64(seed + uint64_t(j)) >> 11) * 0x1.0p-53 * 2.0 - 1.0;
    v[size_t(j)] = float(x);
    norm += x * x;
  }
  double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
  for (auto& x : v) x = float(x * scale);
  return v;
}

std::vector<std::string> lower_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (is_space(c)) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace

std::string error_body(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code) {
  json::object error;
  error["message"] = message;
  error["type"] = type;
  if (param.empty()) {
    error["param"] = nullptr;
  } else {
    error["param"] = param;
  }
  if (code.empty()) {
    error["code"] = nullptr;
  } else {
    error["code"] = code;
  }
  return json::serialize(json::object{{"error", std::move(error)}});
}

Reply error_reply(int status, std::string_view message, std::string_view code,
                  std::string_view param) {
  std::string_view type = "invalid_request_error";
  if (status == 429) type = "rate_limit_error";
  if (status >= 500) type = "server_error";
  return {status, error_body(message, type, param, code)};
}

int64_t count_words(std::string_view text) {
  int64_t n = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = is_space(c);
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

Planned plan_generation(bool chat, const json::object& body, const FakeUpstreamOptions& options) {
  Planned planned;
  Generation& g = planned.generation;
  g.chat = chat;
  const auto* model = body.if_contains("model");
  if (!model || !model->is_string()) {
    planned.error = error_reply(400, "'model' is required and must be a string", "", "model");
    return planned;
  }
  g.model = model->get_string();
  std::string prompt;
  if (auto error = prompt_text(chat, body, prompt)) {
    planned.error = std::move(error);
    return planned;
  }
  int64_t max_tokens = options.default_max_tokens;
  g.finish_reason = "stop";
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    const auto* value = body.if_contains(key);
    if (!value || value->is_null()) continue;
    if (!value->is_int64() || value->get_int64() < 1 || value->get_int64() > 1000000) {
      planned.error = error_reply(400, fmt::format("'{}' must be an integer in 1..1000000", key),
                                  "", key);
      return planned;
    }
    max_tokens = value->get_int64();
    g.finish_reason = "length";
    break;
  }
  g.prompt_tokens = count_words(prompt);
  if (options.context_window > 0 && g.prompt_tokens + max_tokens > options.context_window) {
    planned.error = error_reply(
        400,
        fmt::format("This model's maximum context length is {} tokens. However, you requested {} "
                    "tokens ({} in the messages, {} in the completion). Please reduce the length "
                    "of the messages or completion.",
                    options.context_window, g.prompt_tokens + max_tokens, g.prompt_tokens,
                    max_tokens),
        "context_length_exceeded", chat ? "messages" : "prompt");
    return planned;
  }
  g.prompt_hash = fnv1a(kFnvOffset, prompt);
  uint64_t id_hash = splitmix64(g.prompt_hash ^ uint64_t(max_tokens));
  g.id = fmt::format("{}-fake-{:016x}", chat ? "chatcmpl" : "cmpl", id_hash);
  g.words.reserve(size_t(max_tokens));
  for (int64_t i = 0; i < max_tokens; ++i) {
    g.words.push_back(kWords[splitmix64(g.prompt_hash + uint64_t(i)) % kWords.size()]);
  }
  if (const auto* stream = body.if_contains("stream"); stream && stream->is_bool()) {
    g.stream = stream->get_bool();
  }
  if (const auto* so = body.if_contains("stream_options"); so && so->is_object()) {
    const auto* include = so->get_object().if_contains("include_usage");
    g.include_usage = include && include->is_bool() && include->get_bool();
  }
  return planned;
}

std::string generation_body(const Generation& g, int64_t created) {
  json::object out;
  out["id"] = g.id;
  out["object"] = g.chat ? "chat.completion" : "text_completion";
  out["created"] = created;
  out["model"] = g.model;
  json::object choice;
  choice["index"] = 0;
  if (g.chat) {
    choice["message"] = json::object{{"role", "assistant"}, {"content", joined_words(g)}};
  } else {
    choice["text"] = joined_words(g);
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = g.finish_reason;
  out["choices"] = json::array{std::move(choice)};
  out["usage"] = usage_json(g.prompt_tokens, int64_t(g.words.size()), g.cached_tokens);
  return json::serialize(out);
}

std::vector<std::string> generation_events(const Generation& g, int64_t created) {
  std::vector<std::string> events;
  events.reserve(g.words.size() + 3);
  // OpenAI sends "usage": null in every chunk but the last when usage is asked for.
  auto emit = [&](json::object choice, bool with_choice) {
    json::object chunk = chunk_head(g, created);
    json::array choices;
    if (with_choice) choices.push_back(std::move(choice));
    chunk["choices"] = std::move(choices);
    if (g.include_usage) chunk["usage"] = nullptr;
    events.push_back(json::serialize(chunk));
  };
  if (g.chat) emit(chunk_choice(g, "", true, nullptr), true);
  std::string text;
  for (size_t i = 0; i < g.words.size(); ++i) {
    text.clear();
    if (i) text.push_back(' ');
    text.append(g.words[i]);
    emit(chunk_choice(g, text, false, nullptr), true);
  }
  emit(chunk_choice(g, "", false, g.finish_reason), true);
  if (g.include_usage) {
    json::object chunk = chunk_head(g, created);
    chunk["choices"] = json::array{};
    chunk["usage"] = usage_json(g.prompt_tokens, int64_t(g.words.size()), g.cached_tokens);
    events.push_back(json::serialize(chunk));
  }
  return events;
}

Reply embeddings_reply(const json::object& body, const FakeUpstreamOptions& options) {
  const auto* model = body.if_contains("model");
  if (!model || !model->is_string()) {
    return error_reply(400, "'model' is required and must be a string", "", "model");
  }
  const auto* input = body.if_contains("input");
  std::vector<std::string> texts;
  auto add = [&](const json::value& item) {
    if (item.is_string()) {
      texts.emplace_back(item.get_string());
      return true;
    }
    if (item.is_array()) {  // token ids: one text of their decimal forms
      std::string text;
      for (const auto& t : item.get_array()) {
        if (!t.is_int64()) return false;
        text += fmt::format("{} ", t.get_int64());
      }
      texts.push_back(std::move(text));
      return true;
    }
    return false;
  };
  bool ok = input != nullptr;
  if (ok && input->is_array() && !input->get_array().empty() &&
      (input->get_array()[0].is_string() || input->get_array()[0].is_array())) {
    for (const auto& item : input->get_array()) ok = ok && add(item);
  } else if (ok) {
    ok = add(*input);
  }
  if (!ok || texts.empty()) {
    return error_reply(400, "'input' must be a string, an array of strings or token arrays", "",
                       "input");
  }
  int dim = options.embedding_dim;
  if (const auto* d = body.if_contains("dimensions"); d && !d->is_null()) {
    if (!d->is_int64() || d->get_int64() < 1 || d->get_int64() > 65536) {
      return error_reply(400, "'dimensions' must be an integer in 1..65536", "", "dimensions");
    }
    dim = int(d->get_int64());
  }
  bool base64_format = false;
  if (const auto* f = body.if_contains("encoding_format"); f && f->is_string()) {
    base64_format = f->get_string() == "base64";
  }
  json::array data;
  int64_t tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    tokens += count_words(texts[i]);
    std::vector<float> v = unit_vector(texts[i], dim);
    json::object item;
    item["object"] = "embedding";
    item["index"] = int64_t(i);
    if (base64_format) {
      std::vector<unsigned char> bytes(v.size() * sizeof(float));
      std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian, as OpenAI sends it
      item["embedding"] = base64(bytes.data(), bytes.size());
    } else {
      json::array values;
      values.reserve(v.size());
      for (float x : v) values.emplace_back(double(x));
      item["embedding"] = std::move(values);
    }
    data.push_back(std::move(item));
  }
  json::object out;
  out["object"] = "list";
  out["data"] = std::move(data);
  out["model"] = model->get_string();
  out["usage"] = json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}};
  return {200, json::serialize(out)};
}

Reply rerank_reply(const json::object& body) {
  const auto* model = body.if_contains("model");
  const auto* query = body.if_contains("query");
  const auto* documents = body.if_contains("documents");
  if (!model || !model->is_string()) {
    return error_reply(400, "'model' is required and must be a string", "", "model");
  }
  if (!query || !query->is_string()) {
    return error_reply(400, "'query' is required and must be a string", "", "query");
  }
  if (!documents || !documents->is_array()) {
    return error_reply(400, "'documents' must be an array", "", "documents");
  }
  std::vector<std::string> texts;
  for (const auto& d : documents->get_array()) {
    if (d.is_string()) {
      texts.emplace_back(d.get_string());
    } else if (const auto* obj = d.if_object(); obj && obj->contains("text") &&
                                                 obj->at("text").is_string()) {
      texts.emplace_back(obj->at("text").get_string());
    } else {
      return error_reply(400, "each document must be a string or an object with a 'text'", "",
                         "documents");
    }
  }
  size_t top_n = texts.size();
  if (const auto* t = body.if_contains("top_n"); t && t->is_int64() && t->get_int64() >= 0) {
    top_n = std::min(top_n, size_t(t->get_int64()));
  }
  bool return_documents = true;
  if (const auto* r = body.if_contains("return_documents"); r && r->is_bool()) {
    return_documents = r->get_bool();
  }
  // Score: the share of the query's words found in the document (deterministic and monotone in
  // lexical overlap, so tests can predict the order).
  std::vector<std::string> query_words = lower_words(query->get_string());
  std::vector<std::pair<double, size_t>> scored;
  int64_t tokens = count_words(query->get_string());
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<std::string> words = lower_words(texts[i]);
    tokens += int64_t(words.size());
    std::sort(words.begin(), words.end());
    size_t hits = 0;
    for (const auto& w : query_words) hits += std::binary_search(words.begin(), words.end(), w);
    double score = query_words.empty() ? 0.0 : double(hits) / double(query_words.size());
    scored.emplace_back(score, i);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  json::array results;
  for (size_t k = 0; k < top_n; ++k) {
    json::object r;
    r["index"] = int64_t(scored[k].second);
    r["relevance_score"] = scored[k].first;
    if (return_documents) r["document"] = json::object{{"text", texts[scored[k].second]}};
    results.push_back(std::move(r));
  }
  json::object out;
  out["id"] = fmt::format("rerank-fake-{:016x}", fnv1a(kFnvOffset, query->get_string()));
  out["model"] = model->get_string();
  out["results"] = std::move(results);
  out["usage"] = json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}};
  return {200, json::serialize(out)};
}

std::string models_body(const FakeUpstreamOptions& options, int64_t created) {
  json::array data;
  for (const auto& id : options.models) {
    data.push_back(json::object{
        {"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "fake-upstream"}});
  }
  return json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace anvil::fake
