// jieba's character-tagging HMM (finalseg): states B(egin) E(nd) M(iddle) S(ingle), log
// probabilities from finalseg/prob_{start,trans,emit}.py, and Viterbi decoding. It segments runs
// of characters that the dictionary route left as single characters (unknown words).
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <unordered_map>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text {

class JiebaHmm {
 public:
  // States in Python's character order, which is also how jieba breaks ties between them.
  enum State : int { kB = 0, kE = 1, kM = 2, kS = 3 };
  static constexpr int kStates = 4;
  // finalseg's MIN_FLOAT: the log probability of anything the model has no entry for.
  static constexpr double kMinLogProb = -3.14e100;

  // Reads prob_start.py, prob_trans.py and prob_emit.py from `finalseg_dir`.
  static core::Result<JiebaHmm> load(const std::filesystem::path& finalseg_dir);
  // Builds the model from the three files' contents (`origin` prefixes errors).
  static core::Result<JiebaHmm> parse(std::string_view start_py, std::string_view trans_py,
                                      std::string_view emit_py, std::string_view origin);

  // Viterbi over `obs` (n >= 1 code points); writes one State per code point to `tags`.
  void viterbi(const char32_t* obs, size_t n, std::vector<State>& tags) const;

  // finalseg.__cut: segments a run of Han characters [U+4E00, U+9FD5]; calls
  // emit(begin, end) with code point offsets into `obs` for each word, in order.
  template <typename Emit>
  void cut_han(const char32_t* obs, size_t n, Emit&& emit) const;

  size_t emit_entries() const { return emit_.size(); }

 private:
  std::array<double, kStates> start_{};
  std::array<std::array<double, kStates>, kStates> trans_{};  // trans_[from][to]
  // Per character, the emission log probability in each state (kMinLogProb where absent).
  std::unordered_map<char32_t, std::array<double, kStates>> emit_;
};

template <typename Emit>
void JiebaHmm::cut_han(const char32_t* obs, size_t n, Emit&& emit) const {
  thread_local std::vector<State> tags;
  viterbi(obs, n, tags);
  size_t begin = 0, next = 0;
  for (size_t i = 0; i < n; ++i) {
    switch (tags[i]) {
      case kB: begin = i; break;
      case kE: emit(begin, i + 1); next = i + 1; break;
      case kS: emit(i, i + 1); next = i + 1; break;
      case kM: break;
    }
  }
  if (next < n) emit(next, n);
}

}  // namespace anvil::text
