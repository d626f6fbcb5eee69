#include "anvil/text/jieba_hmm.h"

#include <string>

#include "anvil/core/file_io.h"
#include "anvil/text/python_literal.h"
#include "anvil/text/utf8.h"

namespace anvil::text {

namespace {

// finalseg.PrevStatus: the states that may precede each state.
constexpr std::array<std::array<JiebaHmm::State, 2>, JiebaHmm::kStates> kPrev = {{
    {JiebaHmm::kE, JiebaHmm::kS},  // B
    {JiebaHmm::kB, JiebaHmm::kM},  // E
    {JiebaHmm::kM, JiebaHmm::kB},  // M
    {JiebaHmm::kS, JiebaHmm::kE},  // S
}};

constexpr std::string_view kStateNames[JiebaHmm::kStates] = {"B", "E", "M", "S"};

int state_index(std::string_view name) {
  for (int s = 0; s < JiebaHmm::kStates; ++s) {
    if (kStateNames[s] == name) return s;
  }
  return -1;
}

// Checks that `v` is a dict whose keys are all state names; `what` names it in errors.
core::Status expect_state_dict(const PyValue& v, std::string_view origin, std::string_view what) {
  if (v.kind != PyValue::Kind::kDict) {
    return core::Status::corrupt(std::string(origin) + ": expected " + std::string(what) +
                                 " to be a dict keyed by 'B', 'E', 'M', 'S', found another value");
  }
  for (const auto& [key, item] : v.items) {
    if (state_index(key) < 0) {
      return core::Status::corrupt(std::string(origin) + ": expected " + std::string(what) +
                                   " keys among 'B', 'E', 'M', 'S', found '" + key + "'");
    }
  }
  return core::Status::ok_status();
}

core::Status expect_number(const PyValue& v, std::string_view origin, std::string_view what) {
  if (v.kind == PyValue::Kind::kNumber) return core::Status::ok_status();
  return core::Status::corrupt(std::string(origin) + ": expected a number for " + std::string(what) +
                               ", found a " + (v.kind == PyValue::Kind::kDict ? "dict" : "string"));
}

}  // namespace

core::Result<JiebaHmm> JiebaHmm::parse(std::string_view start_py, std::string_view trans_py,
                                       std::string_view emit_py, std::string_view origin) {
  JiebaHmm hmm;
  const std::string dir(origin);
  const std::string start_origin = dir + "/prob_start.py";
  const std::string trans_origin = dir + "/prob_trans.py";
  const std::string emit_origin = dir + "/prob_emit.py";

  ANVIL_ASSIGN_OR_RETURN(PyValue start, parse_python_assignment(start_py, "P", start_origin));
  ANVIL_RETURN_IF_ERROR(expect_state_dict(start, start_origin, "P"));
  hmm.start_.fill(kMinLogProb);
  for (const auto& [key, item] : start.items) {
    ANVIL_RETURN_IF_ERROR(expect_number(item, start_origin, "P['" + key + "']"));
    hmm.start_[state_index(key)] = item.number;
  }

  ANVIL_ASSIGN_OR_RETURN(PyValue trans, parse_python_assignment(trans_py, "P", trans_origin));
  ANVIL_RETURN_IF_ERROR(expect_state_dict(trans, trans_origin, "P"));
  for (auto& row : hmm.trans_) row.fill(kMinLogProb);
  for (const auto& [from, row] : trans.items) {
    ANVIL_RETURN_IF_ERROR(expect_state_dict(row, trans_origin, "P['" + from + "']"));
    for (const auto& [to, item] : row.items) {
      ANVIL_RETURN_IF_ERROR(expect_number(item, trans_origin, "P['" + from + "']['" + to + "']"));
      hmm.trans_[state_index(from)][state_index(to)] = item.number;
    }
  }

  ANVIL_ASSIGN_OR_RETURN(PyValue emit, parse_python_assignment(emit_py, "P", emit_origin));
  ANVIL_RETURN_IF_ERROR(expect_state_dict(emit, emit_origin, "P"));
  std::array<double, kStates> absent;
  absent.fill(kMinLogProb);
  for (const auto& [state, table] : emit.items) {
    const int s = state_index(state);
    if (table.kind != PyValue::Kind::kDict) {
      return core::Status::corrupt(emit_origin + ": expected P['" + state + "'] to be a dict of characters");
    }
    hmm.emit_.reserve(table.items.size());
    for (const auto& [ch, item] : table.items) {
      ANVIL_RETURN_IF_ERROR(expect_number(item, emit_origin, "P['" + state + "'][...]"));
      size_t pos = 0;
      if (ch.empty() || !is_valid_utf8(ch) || (decode_utf8(ch, pos), pos != ch.size())) {
        return core::Status::corrupt(emit_origin + ": expected single-character keys in P['" + state +
                                     "'], found '" + ch + "'");
      }
      pos = 0;
      auto [it, inserted] = hmm.emit_.try_emplace(decode_utf8(ch, pos), absent);
      it->second[s] = item.number;
    }
  }
  if (hmm.emit_.empty()) return core::Status::corrupt(emit_origin + ": expected emission tables, found none");
  return hmm;
}

core::Result<JiebaHmm> JiebaHmm::load(const std::filesystem::path& finalseg_dir) {
  ANVIL_ASSIGN_OR_RETURN(std::string start, core::read_file(finalseg_dir / "prob_start.py"));
  ANVIL_ASSIGN_OR_RETURN(std::string trans, core::read_file(finalseg_dir / "prob_trans.py"));
  ANVIL_ASSIGN_OR_RETURN(std::string emit, core::read_file(finalseg_dir / "prob_emit.py"));
  return parse(start, trans, emit, finalseg_dir.string());
}

void JiebaHmm::viterbi(const char32_t* obs, size_t n, std::vector<State>& tags) const {
  // back[t][y]: the best predecessor of state y at step t.
  thread_local std::vector<std::array<State, kStates>> back;
  back.resize(n);
  auto emission = [&](char32_t c) -> const std::array<double, kStates>* {
    auto it = emit_.find(c);
    return it == emit_.end() ? nullptr : &it->second;
  };

  std::array<double, kStates> v{};
  const auto* em0 = emission(obs[0]);
  for (int y = 0; y < kStates; ++y) v[y] = start_[y] + (em0 ? (*em0)[y] : kMinLogProb);

  for (size_t t = 1; t < n; ++t) {
    const auto* em = emission(obs[t]);
    std::array<double, kStates> next{};
    for (int y = 0; y < kStates; ++y) {
      const double em_p = em ? (*em)[y] : kMinLogProb;
      // Python: max((V[t-1][y0] + trans_p[y0][y] + em_p, y0) for y0 in PrevStatus[y]);
      // equal probabilities go to the later state letter.
      State best_state = kPrev[y][0];
      double best = v[best_state] + trans_[best_state][y] + em_p;
      const State other = kPrev[y][1];
      const double p = v[other] + trans_[other][y] + em_p;
      if (p > best || (p == best && other > best_state)) {
        best = p;
        best_state = other;
      }
      next[y] = best;
      back[t][y] = best_state;
    }
    v = next;
  }

  // The last character ends a word: E or S, S on a tie.
  State last = v[kS] >= v[kE] ? kS : kE;
  tags.resize(n);
  for (size_t t = n; t-- > 0;) {
    tags[t] = last;
    if (t > 0) last = back[t][last];
  }
}

}  // namespace anvil::text
