// Chinese word segmentation: a faithful reimplementation of jieba 0.42.1 (accurate mode with HMM,
// and search-engine mode) over the dictionary and HMM model shipped by Debian's python3-jieba.
// Algorithm and parameters: docs/ANALYZERS.md ("Chinese segmentation").
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/jieba_dict.h"
#include "anvil/text/jieba_hmm.h"

namespace anvil::text {

class Jieba {
 public:
  // Where Debian's python3-jieba puts dict.txt and finalseg/.
  static constexpr std::string_view kDebianDir = "/usr/lib/python3/dist-packages/jieba";
  // Environment variable naming another folder with the same layout.
  static constexpr std::string_view kDirEnv = "ANVIL_JIEBA_DIR";

  // Loads <dir>/dict.txt and <dir>/finalseg/prob_{start,trans,emit}.py. A missing file is
  // kNotFound naming the path and the package that provides it.
  static core::Result<std::shared_ptr<const Jieba>> load(const std::filesystem::path& dir);

  // The process-wide instance from $ANVIL_JIEBA_DIR or kDebianDir, loaded on first use (once,
  // thread-safe); later calls return the same instance, or the same error.
  static core::Result<std::shared_ptr<const Jieba>> shared();

  // $ANVIL_JIEBA_DIR when set and not empty, else kDebianDir.
  static std::filesystem::path default_dir();

  // jieba.cut(text, HMM=True): appends the words of `utf8` in order; whitespace and punctuation
  // come out as their own tokens, exactly as jieba yields them. Ill-formed UTF-8 is read as
  // U+FFFD per maximal ill-formed subsequence. Thread-safe.
  void cut(std::string_view utf8, std::vector<std::string>& out) const;

  // jieba.cut_for_search(text, HMM=True): cut(), and before each word longer than two (three)
  // characters, its 2-grams (3-grams) that are dictionary words. Thread-safe.
  void cut_for_search(std::string_view utf8, std::vector<std::string>& out) const;

  const JiebaDict& dict() const { return dict_; }

 private:
  Jieba(JiebaDict dict, JiebaHmm hmm);

  // A word as a code point range [begin, end) of the text being cut.
  struct Span {
    size_t begin, end;
  };
  void cut_spans(const std::u32string& text, std::vector<Span>& out) const;
  void cut_block(const std::u32string& text, size_t begin, size_t end, std::vector<Span>& out) const;
  void cut_unknown(const std::u32string& text, size_t begin, size_t end, std::vector<Span>& out) const;
  bool is_word(const char32_t* s, size_t n) const;

  JiebaDict dict_;
  JiebaHmm hmm_;
  double log_total_;
};

}  // namespace anvil::text
