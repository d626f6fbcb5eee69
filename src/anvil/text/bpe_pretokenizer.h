// Pre-tokenization for byte-level BPE: the regular expressions each model family splits text with
// before merging (tokenizer.ggml.pre names them), run with PCRE2 (UTF + Unicode properties, JIT).
// Several expressions apply in sequence, each splitting the pieces the previous one produced; text
// an expression does not match stays a piece of its own (llama.cpp's unicode_regex_split).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text {

class BpePretokenizer {
 public:
  // `pre` is tokenizer.ggml.pre ("gpt-2", "llama-bpe", "qwen2", "deepseek-llm", ...); empty means
  // "default". Unknown names are kUnsupported, listing the known ones.
  static core::Result<BpePretokenizer> create(std::string_view pre);
  // From explicit expressions (PCRE2 syntax), for tests and unusual vocabularies.
  static core::Result<BpePretokenizer> from_patterns(const std::vector<std::string>& patterns);

  BpePretokenizer(BpePretokenizer&&) noexcept;
  BpePretokenizer& operator=(BpePretokenizer&&) noexcept;
  ~BpePretokenizer();

  // Splits well-formed UTF-8 `text` into pieces (views into `text`, in order, covering it all).
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

  // The pre-tokenizer names create() knows.
  static std::vector<std::string_view> known_names();

 private:
  struct Regex;
  BpePretokenizer() = default;
  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace anvil::text
