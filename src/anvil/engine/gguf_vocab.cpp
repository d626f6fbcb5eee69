#include "anvil/engine/gguf_vocab.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

namespace anvil::engine {

namespace {

using text::TokenId;
using text::TokenizerVocab;
using text::TokenType;

// Pre-tokenizers whose models do not clean up spaces when decoding (llama.cpp's table).
constexpr std::array<std::string_view, 16> kNoCleanSpaces = {
    "deepseek-llm", "deepseek-coder", "command-r", "qwen2",  "deepseek-r1-qwen", "kormo",
    "poro-chat",    "viking",         "tekken",    "smollm", "gpt-4o",           "llama4",
    "trillion",     "granite-docling", "hunyuan",  "chameleon"};
// Pre-tokenizers of Llama-3-like models: whole-token pre-tokens skip merging, BOS is added.
constexpr std::array<std::string_view, 9> kLlama3Like = {"llama3",    "llama-v3", "llama-bpe", "falcon3", "falcon-h1",
                                                         "pixtral",   "midm-2.0", "lfm2",      "tekken"};

template <size_t N>
bool one_of(const std::array<std::string_view, N>& names, std::string_view s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

core::Status missing(const GgufFile& f, std::string_view key) {
  return core::Status::invalid_argument(fmt::format("{}: metadata '{}' is missing", f.name(), key));
}

// llama.cpp's defaults for each tokenizer model, before the metadata overrides them.
core::Status apply_model_defaults(const GgufFile& f, TokenizerVocab& v) {
  if (v.model == "llama") {
    v.bos = 1, v.eos = 2, v.unk = 0;
    v.add_space_prefix = true;
    v.add_bos = true;
  } else if (v.model == "bert") {
    v.bos = 101, v.unk = 100, v.sep = 102, v.pad = 0, v.mask = 103;
    v.add_space_prefix = false;
    v.add_bos = true;
    v.add_sep = true;
    v.clean_spaces = true;
  } else if (v.model == "gpt2") {
    v.bos = 11, v.eos = 11;
    v.add_space_prefix = false;
    v.clean_spaces = !one_of(kNoCleanSpaces, v.pre);
    if (one_of(kLlama3Like, v.pre)) {
      v.ignore_merges = true;
      v.add_bos = true;
    }
    if (v.pre == "chatglm-bpe" || v.pre == "glm4") v.bos = -1;
    if (v.pre == "jina-v1-en" || v.pre == "jina-v2-code" || v.pre == "roberta-bpe") v.add_sep = true;
  } else if (v.model == "t5") {  // SentencePiece unigram: T5, and XLM-RoBERTa (bge-m3, bge-reranker)
    v.eos = 1, v.unk = 2, v.pad = 0;
    v.add_space_prefix = false;  // llama.cpp's default; XLM-R files set it from add_dummy_prefix
    v.add_eos = true;
  } else {
    return core::Status::unsupported(fmt::format(
        "{}: tokenizer.ggml.model is '{}', expected llama (SentencePiece), gpt2 (byte-level BPE), bert (WordPiece) "
        "or t5 (SentencePiece unigram)",
        f.name(), v.model));
  }
  return core::Status::ok_status();
}

core::Status read_special_ids(const GgufFile& f, TokenizerVocab& v) {
  const auto n = static_cast<int64_t>(v.tokens.size());
  const std::pair<const char*, TokenId*> ids[] = {
      {"tokenizer.ggml.bos_token_id", &v.bos},        {"tokenizer.ggml.eos_token_id", &v.eos},
      {"tokenizer.ggml.eot_token_id", &v.eot},        {"tokenizer.ggml.eom_token_id", &v.eom},
      {"tokenizer.ggml.unknown_token_id", &v.unk},    {"tokenizer.ggml.seperator_token_id", &v.sep},
      {"tokenizer.ggml.padding_token_id", &v.pad},    {"tokenizer.ggml.mask_token_id", &v.mask},
      {"tokenizer.ggml.cls_token_id", &v.cls}};
  for (const auto& [key, id] : ids) {
    if (*id >= n) *id = -1;  // a default the vocabulary is too small for
    ANVIL_ASSIGN_OR_RETURN(std::optional<int64_t> value, f.get_int(key));
    // llama.cpp keeps the default when the file's id is out of range; so does Anvil.
    if (value && *value >= 0 && *value < n) *id = static_cast<TokenId>(*value);
  }
  if (v.model == "bert") {  // [CLS] is the BOS of BERT vocabularies
    if (v.cls < 0) v.cls = v.bos;
    if (v.bos < 0) v.bos = v.cls;
  }
  const std::pair<const char*, bool*> flags[] = {{"tokenizer.ggml.add_bos_token", &v.add_bos},
                                                 {"tokenizer.ggml.add_eos_token", &v.add_eos},
                                                 {"tokenizer.ggml.add_sep_token", &v.add_sep},
                                                 {"tokenizer.ggml.add_space_prefix", &v.add_space_prefix},
                                                 {"tokenizer.ggml.remove_extra_whitespaces", &v.remove_extra_whitespaces}};
  for (const auto& [key, flag] : flags) {
    ANVIL_ASSIGN_OR_RETURN(std::optional<bool> value, f.get_bool(key));
    if (value) *flag = *value;
  }
  const std::tuple<bool, TokenId, const char*, const char*> checks[] = {
      {v.add_bos, v.bos, "add_bos_token", "bos_token_id"},
      {v.add_eos, v.eos, "add_eos_token", "eos_token_id"},
      {v.add_sep, v.sep, "add_sep_token", "seperator_token_id"}};
  for (const auto& [add, id, add_key, id_key] : checks) {
    if (add && id < 0) {
      return core::Status::invalid_argument(
          fmt::format("{}: tokenizer.ggml.{} is true, but tokenizer.ggml.{} is not set", f.name(), add_key, id_key));
    }
  }
  return core::Status::ok_status();
}

// tokenizer.ggml.precompiled_charsmap: an array of bytes (u8, or i8 from older writers). Parsed
// and checked by the tokenizer (text/precompiled_charsmap.h).
core::Status read_charsmap(const GgufFile& f, TokenizerVocab& v) {
  constexpr std::string_view kKey = "tokenizer.ggml.precompiled_charsmap";
  const GgufValue* value = f.find(kKey);
  if (value == nullptr) return core::Status::ok_status();
  if (value->type() != GgufValueType::kArray ||
      (value->array_type() != GgufValueType::kUint8 && value->array_type() != GgufValueType::kInt8)) {
    return core::Status::invalid_argument(fmt::format(
        "{}: metadata '{}' is {}, expected an array of bytes (uint8)", f.name(), kKey,
        value->type() == GgufValueType::kArray
            ? "an array of " + std::string(gguf_value_type_name(value->array_type()))
            : "a " + std::string(gguf_value_type_name(value->type()))));
  }
  const auto& bytes = value->elements();  // the element type was checked above
  v.precompiled_charsmap.resize(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    v.precompiled_charsmap[i] = static_cast<char>(static_cast<uint8_t>(bytes[i].as_int().value_or(0)));
  }
  return core::Status::ok_status();
}

// llama.cpp sets token attributes by model name: Phi-3's special tokens swallow the whitespace
// after them, except <unk>, <s> and <|endoftext|>.
void apply_name_rules(const GgufFile& f, TokenizerVocab& v) {
  auto name = f.get_string("general.name");
  if (!name.ok() || !name->has_value()) return;
  std::string lower(**name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("phi-3") == std::string::npos && lower.find("phi3") == std::string::npos) return;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    const TokenType t = i < v.token_types.size() ? v.token_types[i] : TokenType::kNormal;
    const std::string_view s = v.tokens[i];
    const bool special = t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
    if ((special || s == "</s>") && s != "<unk>" && s != "<s>" && s != "<|endoftext|>") {
      v.rstrip_tokens.push_back(static_cast<TokenId>(i));
    }
  }
}

}  // namespace

core::Result<TokenizerVocab> read_tokenizer_vocab(const GgufFile& f) {
  TokenizerVocab v;
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::string_view> model, f.get_string("tokenizer.ggml.model"));
  if (!model) return missing(f, "tokenizer.ggml.model");
  v.model = std::string(*model);
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::string_view> pre, f.get_string("tokenizer.ggml.pre"));
  v.pre = pre ? std::string(*pre) : (v.model == "gpt2" ? "default" : "");
  ANVIL_RETURN_IF_ERROR(apply_model_defaults(f, v));

  ANVIL_ASSIGN_OR_RETURN(std::optional<std::vector<std::string_view>> tokens, f.get_string_array("tokenizer.ggml.tokens"));
  if (!tokens) return missing(f, "tokenizer.ggml.tokens");
  if (tokens->empty()) {
    return core::Status::invalid_argument(fmt::format("{}: metadata 'tokenizer.ggml.tokens' is empty", f.name()));
  }
  v.tokens.assign(tokens->begin(), tokens->end());
  const size_t n = v.tokens.size();
  auto count_error = [&](std::string_view key, size_t found) {
    return core::Status::invalid_argument(
        fmt::format("{}: metadata '{}' has {} entries for {} tokens", f.name(), key, found, n));
  };

  ANVIL_ASSIGN_OR_RETURN(std::optional<std::vector<float>> scores, f.get_float_array("tokenizer.ggml.scores"));
  if (scores) {
    if (scores->size() < n) return count_error("tokenizer.ggml.scores", scores->size());
    v.scores.assign(scores->begin(), scores->begin() + static_cast<std::ptrdiff_t>(n));
  }
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> types, f.get_int_array("tokenizer.ggml.token_type"));
  if (types) {
    if (types->size() < n) return count_error("tokenizer.ggml.token_type", types->size());
    v.token_types.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = (*types)[i];
      // llama.cpp reads unknown types as UNDEFINED.
      v.token_types[i] = t >= 0 && t <= static_cast<int64_t>(TokenType::kByte) ? static_cast<TokenType>(t)
                                                                                : TokenType::kUndefined;
    }
  }
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::vector<std::string_view>> merges, f.get_string_array("tokenizer.ggml.merges"));
  if (merges) v.merges.assign(merges->begin(), merges->end());
  if (v.model == "gpt2" && !merges) return missing(f, "tokenizer.ggml.merges");
  if (v.model == "t5") ANVIL_RETURN_IF_ERROR(read_charsmap(f, v));

  ANVIL_RETURN_IF_ERROR(read_special_ids(f, v));
  apply_name_rules(f, v);
  return v;
}

core::Result<std::unique_ptr<text::Tokenizer>> load_tokenizer(const GgufFile& file) {
  ANVIL_ASSIGN_OR_RETURN(TokenizerVocab vocab, read_tokenizer_vocab(file));
  auto tok = text::Tokenizer::create(std::move(vocab));
  if (!tok.ok()) return tok.status().with_context(file.name());
  return tok;
}

}  // namespace anvil::engine
