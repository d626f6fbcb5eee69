// XLM-RoBERTa as llama.cpp's converter writes it (arch bert, tokenizer "t5": bge-m3 embeddings,
// bge-reranker-base/-large/-v2-m3) against the reference on synthetic models from
// make_test_model.py (tiny-xlmr, tiny-xlmr-reranker: a unigram vocabulary with a precompiled
// charsmap, one token type): the tokenizer against reference/ugm.py (an independent Python
// normalizer and Viterbi) on hand-picked and random texts, embeddings of texts (<s> text </s>),
// and rerank scores of (query, document) texts framed <s> q </s></s> d </s> by Anvil and by the
// reference. Where Debian's python3-sentencepiece is installed, SentencePiece itself is the oracle
// too: a unigram model it trains with its real nmt_nfkc charsmap (reference/spm_oracle.py),
// converted as llama.cpp converts XLM-R, must tokenize identically. Tolerances as for BERT
// (docs/EMBEDDINGS.md).
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/engine/embedder.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_vocab.h"
#include "anvil/engine/reranker.h"
#include "anvil/text/utf8.h"
#include "engine/reference_runner.h"

namespace anvil::engine {
namespace {

namespace t = anvil::testing;
using Ids = std::vector<int32_t>;

// Writes one text per line as the hex of its bytes (the scripts' input format).
std::filesystem::path write_texts(const std::vector<std::string>& texts) {
  const auto path = t::reference_out_path("texts");
  std::ofstream f(path);
  static const char* kHex = "0123456789abcdef";
  for (const std::string& text : texts) {
    for (char c : text) f << kHex[static_cast<uint8_t>(c) >> 4] << kHex[static_cast<uint8_t>(c) & 15];
    f << '\n';
  }
  return path;
}

// One row of comma-separated ids per line; the error says when the count is not `n`.
core::Result<std::vector<Ids>> read_ids(const std::filesystem::path& out, size_t n) {
  std::ifstream f(out);
  std::vector<Ids> ids;
  std::string line;
  while (std::getline(f, line)) {
    Ids row;
    std::stringstream ss(line);
    std::string item;
    while (std::getline(ss, item, ',')) row.push_back(std::stoi(item));
    ids.push_back(std::move(row));
  }
  std::filesystem::remove(out);
  if (ids.size() != n) {
    return core::Status::corrupt(out.string() + ": " + std::to_string(ids.size()) + " rows for " + std::to_string(n) +
                                 " texts");
  }
  return ids;
}

// The reference tokenizer's ids for each text (no special tokens).
core::Result<std::vector<Ids>> reference_tokenize(const std::filesystem::path& model,
                                                  const std::vector<std::string>& texts) {
  const auto in = write_texts(texts);
  const auto out = t::reference_out_path("ids");
  auto r = t::run_reference_script("reference.py", {"tokenize", "--model", model.string(), "--texts-file", in.string(),
                                                    "--out", out.string()});
  std::filesystem::remove(in);
  ANVIL_RETURN_IF_ERROR(r.status());
  return read_ids(out, texts.size());
}

const std::vector<std::string>& sample_texts() {
  static const std::vector<std::string> texts = {
      "How do I replace the mechanical seal of a centrifugal pump?",
      "Bearing noise increased after 1,200 operating hours.",
      "",
      "   ",
      "  leading, trailing   and   inner   spaces  ",
      "tabs\tnew\nlines\r\nand\u3000ideographic space",
      "\xEF\xBD\x90\xEF\xBD\x95\xEF\xBD\x8D\xEF\xBD\x90 fullwidth \xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3!",
      "\xEF\xAC\x81ne \xEF\xAC\x82ow\xE2\x80\xA6 cafe\xCC\x81 caf\xC3\xA9 zero\xE2\x80\x8Bwidth",
      "泵的密封 leaks 你好 中文 轴承",
      "emoji 😀👍 🔧 and 😺 unknown",
      "Кириллица и ελληνικά are unknown",
      "invalid \xFF bytes \xC3 here",
      "the cat sat on the mat.",
  };
  return texts;
}

// Random texts over an alphabet mixing covered and uncovered characters and the rules' keys.
std::vector<std::string> random_texts(int n, uint32_t seed) {
  static const std::vector<std::string> alphabet = {
      "a", "e", "i", "o", "s", "t", "n", "r", "l", "p", "m", "u", "h", "c", "d", "g", "x", "z",
      "A", "T", "Q", " ", " ", " ", "  ", "\t", "\n", ".", ",", "?", "-", "'", "1", "2", "0",
      "the ", "seal", "pump", "ing", "er", "中", "文", "泵", "的", "😀", "😺", "é", "e\xCC\x81",
      "\xEF\xAC\x81", "\xE2\x80\xA6", "\xE2\x80\x8B", "\xEF\xBD\x81", "\xE3\x80\x80", "Ж", "\xFF",
      "\xC2\xA0", "①", "㍿", "Ⅻ", "ﾊﾟ"};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> len(0, 40);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s;
    for (int k = len(rng); k > 0; --k) s += alphabet[pick(rng)];
    out.push_back(std::move(s));
  }
  return out;
}

TEST(XlmrParity, TokenizerMatchesTheReference) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-xlmr", "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  auto e = Embedder::open(*path, {1, 32, 8192});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const text::Tokenizer& tok = (*e)->runtime().tokenizer();
  EXPECT_EQ(tok.vocab().model, "t5");
  std::vector<std::string> texts = sample_texts();
  for (auto& r : random_texts(300, 11)) texts.push_back(std::move(r));
  auto want = reference_tokenize(*path, texts);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  size_t unknowns = 0, tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const Ids got = tok.encode(texts[i], false, false);
    EXPECT_EQ(got, (*want)[i]) << "text " << i << ": '" << texts[i] << "'";
    for (int32_t id : got) unknowns += id == tok.vocab().unk;
    tokens += got.size();
  }
  // The texts exercise the unknown path, but mostly tokenize into pieces.
  EXPECT_GT(unknowns, 20u);
  EXPECT_GT(tokens, 5 * unknowns);
  std::printf("[ parity   ] tiny-xlmr tokenizer: %zu texts, %zu tokens (%zu <unk>) identical\n", texts.size(),
              tokens, unknowns);
}

TEST(XlmrParity, TokenizerMatchesSentencePiece) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  if (t::run_command({t::reference_python(), "-c", "import sentencepiece"}).exit_code != 0) {
    GTEST_SKIP() << "SentencePiece is not installed (Debian python3-sentencepiece, scripts/install-deps.sh)";
  }
  // SentencePiece takes text, not bytes: only well-formed UTF-8 goes to it.
  std::vector<std::string> texts;
  for (const auto& s : sample_texts()) {
    if (text::is_valid_utf8(s)) texts.push_back(s);
  }
  for (auto& r : random_texts(400, 13)) {
    if (text::is_valid_utf8(r)) texts.push_back(std::move(r));
  }
  const auto in = write_texts(texts);
  const auto vocab = t::reference_work_dir() / "spm-unigram-vocab.gguf";
  const auto out = t::reference_out_path("spm-ids");
  auto r = t::run_reference_script("spm_oracle.py", {"--out", vocab.string(), "--texts-file", in.string(),
                                                     "--ids-out", out.string()});
  std::filesystem::remove(in);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  auto want = read_ids(out, texts.size());
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  auto file = GgufFile::open(vocab);
  ASSERT_TRUE(file.ok()) << file.status().to_string();
  auto tok = load_tokenizer(**file);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_GT((*tok)->vocab().precompiled_charsmap.size(), 100000u);  // SentencePiece's nmt_nfkc rules
  // Exact: even ties in real arithmetic ("..." as ". .." or ".. .") are decided alike, since both
  // keep the running sums in float32.
  size_t tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const Ids got = (*tok)->encode(texts[i], false, false);
    EXPECT_EQ(got, (*want)[i]) << "text " << i << ": '" << texts[i] << "'";
    tokens += got.size();
  }
  std::printf("[ parity   ] SentencePiece unigram (nmt_nfkc): %zu texts, %zu tokens identical\n", texts.size(), tokens);
}

TEST(XlmrParity, EmbeddingsOfTexts) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-xlmr", "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  auto e = Embedder::open(*path, {2, 32, 8192});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ((*e)->pooling(), PoolingType::kCls);
  const std::vector<std::string> texts(sample_texts().begin(), sample_texts().end());
  auto got = (*e)->embed(texts);
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  auto body = reference_tokenize(*path, texts);
  ASSERT_TRUE(body.ok()) << body.status().to_string();
  std::vector<Ids> seqs;
  for (size_t i = 0; i < texts.size(); ++i) {
    Ids s = {0};  // <s> text </s>, as llama.cpp adds BOS and EOS for this vocabulary
    s.insert(s.end(), (*body)[i].begin(), (*body)[i].end());
    s.push_back(2);
    EXPECT_EQ((*e)->tokens_for(texts[i]), s) << "text " << i;
    seqs.push_back(std::move(s));
  }
  auto want = t::reference_embed(*path, seqs);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  const int64_t E = (*e)->dim();
  ASSERT_EQ(want->size(), texts.size() * static_cast<size_t>(E));
  double worst = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    for (int64_t k = 0; k < E; ++k) {
      const double d = std::fabs((*got)[i][static_cast<size_t>(k)] - (*want)[i * static_cast<size_t>(E) + k]);
      worst = std::max(worst, d);
    }
  }
  EXPECT_LE(worst, 1e-5);
  std::printf("[ parity   ] tiny-xlmr embeddings: max abs diff %.3g\n", worst);
}

TEST(XlmrParity, RerankScoresOfTexts) {
  ANVIL_SKIP_WITHOUT_REFERENCE();
  auto path = t::test_model("tiny-xlmr-reranker", "f32");
  ASSERT_TRUE(path.ok()) << path.status().to_string();
  auto r = Reranker::open(*path, {2, 32, 8192});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->framing(), PairFraming::kRoberta);
  const std::string query = "how to replace a pump seal";
  std::vector<std::string> docs;
  for (const auto& s : sample_texts()) {
    if (!s.empty()) docs.push_back(s);
  }
  auto got = (*r)->score(query, docs);
  ASSERT_TRUE(got.ok()) << got.status().to_string();

  std::vector<std::string> texts = {query};
  texts.insert(texts.end(), docs.begin(), docs.end());
  auto ids = reference_tokenize(*path, texts);
  ASSERT_TRUE(ids.ok()) << ids.status().to_string();
  std::vector<std::pair<Ids, Ids>> pairs;
  for (size_t i = 0; i < docs.size(); ++i) pairs.emplace_back((*ids)[0], (*ids)[i + 1]);
  // The frame: <s> q </s></s> d </s>, one segment.
  const RerankPair p = (*r)->make_pair(pairs[0].first, pairs[0].second);
  const size_t nq = pairs[0].first.size();
  ASSERT_EQ(p.tokens.size(), nq + pairs[0].second.size() + 4);
  EXPECT_EQ(p.tokens[0], 0);
  EXPECT_EQ(p.tokens[nq + 1], 2);
  EXPECT_EQ(p.tokens[nq + 2], 2);
  EXPECT_EQ(p.tokens.back(), 2);
  EXPECT_EQ(p.segments, std::vector<int32_t>(p.tokens.size(), 0));

  auto want = t::reference_rerank(*path, pairs);  // the reference frames the pairs itself
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  ASSERT_EQ(got->size(), want->size());
  double worst = 0;
  for (size_t i = 0; i < got->size(); ++i) {
    const double tol = 1e-4 * std::max(1.0, std::fabs(static_cast<double>((*want)[i])));
    EXPECT_NEAR((*got)[i], (*want)[i], tol) << "document " << i;
    worst = std::max(worst, static_cast<double>(std::fabs((*got)[i] - (*want)[i])));
  }
  std::printf("[ parity   ] tiny-xlmr-reranker: max abs score diff %.3g\n", worst);
  EXPECT_GT(std::fabs((*want)[0] - (*want)[1]), 1e-3);  // scores differ: a constant could not pass

  // A pair past the context (128) is refused, and the message counts XLM-R's four special tokens.
  std::string long_doc;
  for (int i = 0; i < 130; ++i) long_doc += "seal ";
  const std::vector<std::string> too_long = {long_doc};
  const auto err = (*r)->score(query, too_long).status();
  EXPECT_NE(err.message().find("with <s> and three </s>, the model's context holds 128"), std::string::npos)
      << err.message();
}

}  // namespace
}  // namespace anvil::engine
