// llama.cpp's tokenizer test vectors (../shared/data/tokenizer/ggml-vocab-NAME.gguf.inp/.out):
// for every vector whose vocabulary file is present, encode() must give exactly the expected ids,
// with test-tokenizer-0's settings (add_special = false, parse_special = false), and decode() must
// give the text back where llama.cpp's detokenizer does (SentencePiece and byte-level BPE, after
// the clean-up of spaces the vocabulary asks for). The shared vocabulary files are damaged (see
// vocab_salvage.h): a file that does not parse is salvaged first, and the test says so.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_vocab.h"
#include "anvil/text/vocab_tokenizer.h"
#include "engine/vocab_salvage.h"
#include "testing/temp_dir.h"

namespace anvil::engine {
namespace {

namespace fs = std::filesystem;

fs::path vectors_dir() { return testing::shared_dir() / "data" / "tokenizer"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The NAME of every ggml-vocab-NAME.gguf.inp, sorted.
std::vector<std::string> vector_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(vectors_dir(), ec)) {
    const std::string f = e.path().filename().string();
    const std::string prefix = "ggml-vocab-", suffix = ".gguf.inp";
    if (f.size() > prefix.size() + suffix.size() && f.rfind(prefix, 0) == 0 &&
        f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(f.substr(prefix.size(), f.size() - prefix.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) names.push_back("none-found");
  return names;
}

// Cases of the .inp file: separated by "\n__ggml_vocab_test__\n", as test-tokenizer-0 reads them.
std::vector<std::string> read_inputs(const std::string& raw) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t next = raw.find(sep, pos);
    if (next == std::string::npos) {
      out.push_back(raw.substr(pos));
      break;
    }
    out.push_back(raw.substr(pos, next - pos));
    pos = next + sep.size();
  }
  return out;
}

std::vector<std::vector<text::TokenId>> read_outputs(const std::string& raw) {
  std::vector<std::vector<text::TokenId>> out;
  std::istringstream lines(raw);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ids(line);
    std::vector<text::TokenId> v;
    for (long id; ids >> id;) v.push_back(static_cast<text::TokenId>(id));
    out.push_back(std::move(v));
  }
  return out;
}

class TokenizerVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerVectors, EncodeMatchesLlamaCpp) {
  const std::string name = GetParam();
  if (name == "none-found") GTEST_SKIP() << "no test vectors under " << vectors_dir();
  const fs::path vocab_path = vectors_dir() / ("ggml-vocab-" + name + ".gguf");
  if (!fs::exists(vocab_path)) {
    GTEST_SKIP() << "vocabulary file " << vocab_path.filename() << " is not in the shared data (too large to carry)";
  }
  const auto inputs = read_inputs(read_file(vectors_dir() / ("ggml-vocab-" + name + ".gguf.inp")));
  const auto outputs = read_outputs(read_file(vectors_dir() / ("ggml-vocab-" + name + ".gguf.out")));
  ASSERT_EQ(inputs.size(), outputs.size()) << "the .inp and .out files disagree on the number of cases";
  ASSERT_FALSE(inputs.empty());

  auto opened = GgufFile::open(vocab_path);
  std::string rebuilt;
  std::unique_ptr<GgufFile> file;
  if (opened.ok()) {
    file = std::move(opened).value();
  } else {
    const auto& salvaged = testing::salvaged_vocab_file(vocab_path);
    ASSERT_TRUE(salvaged.bytes.has_value()) << "damaged vocabulary cannot be rebuilt: " << salvaged.why
                                            << "; the reader said: " << opened.status().message();
    rebuilt = *salvaged.bytes;
    std::cout << "[ NOTE     ] " << vocab_path.filename().string() << " does not parse ("
              << opened.status().message() << "); testing the salvaged copy\n";
    auto parsed = GgufFile::parse({reinterpret_cast<const uint8_t*>(rebuilt.data()), rebuilt.size()},
                                  vocab_path.string());
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    file = std::move(parsed).value();
  }
  auto tok = load_tokenizer(*file);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  const text::Tokenizer& t = **tok;

  int failures = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto ids = t.encode(inputs[i], false, false);
    EXPECT_EQ(ids, outputs[i]) << "case " << i << ": '" << inputs[i] << "'";
    failures += ids != outputs[i];
  }
  EXPECT_EQ(failures, 0) << failures << " of " << inputs.size() << " cases differ";

  // Round trip where llama.cpp's detokenizer gives the text back.
  if (t.vocab().model == "llama" || t.vocab().model == "gpt2") {
    for (const std::string& input : inputs) {
      std::string expected = input;
      if (t.vocab().clean_spaces) text::clean_up_spaces(expected);
      EXPECT_EQ(t.decode(t.encode(input, false, false), false), expected);
      // BOS disappears from the text only when it is a control token (not rendered).
      if (t.vocab().bos < 0 || t.is_control(t.vocab().bos)) {
        EXPECT_EQ(t.decode(t.encode(input, true, false), false), expected);
      }
    }
  }
}

// Every shared vocabulary file (with vectors or not: gpt-neox) loads, directly or salvaged, and
// tokenizes; a decode of the ids gives the text back for the SentencePiece and BPE ones. Baichuan's
// damaged scores are not of the forms the salvage knows (they step by 64, not by 1), so a damaged
// baichuan file is only reported.
TEST(TokenizerVocabFiles, EveryFileLoads) {
  std::error_code ec;
  int loaded = 0;
  for (const auto& e : fs::directory_iterator(vectors_dir(), ec)) {
    if (e.path().extension() != ".gguf") continue;
    SCOPED_TRACE(e.path().filename().string());
    const std::string raw = read_file(e.path());
    std::string rebuilt = raw;
    if (!GgufFile::parse({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, "x").ok()) {
      const auto& salvaged = testing::salvaged_vocab_file(e.path());
      if (!salvaged.bytes && e.path().filename() == "ggml-vocab-baichuan.gguf") {
        std::cout << "[ NOTE     ] ggml-vocab-baichuan.gguf is damaged and cannot be rebuilt: " << salvaged.why << "\n";
        continue;
      }
      ASSERT_TRUE(salvaged.bytes.has_value()) << salvaged.why;
      rebuilt = *salvaged.bytes;
    }
    auto file = GgufFile::parse({reinterpret_cast<const uint8_t*>(rebuilt.data()), rebuilt.size()},
                                e.path().string());
    ASSERT_TRUE(file.ok()) << file.status().message();
    auto tok = load_tokenizer(**file);
    ASSERT_TRUE(tok.ok()) << tok.status().message();
    const std::string text = "Hello world, 你好 123";
    const auto ids = (*tok)->encode(text, false, false);
    EXPECT_GE(ids.size(), 4u);
    if ((*tok)->vocab().model != "bert") {
      EXPECT_EQ((*tok)->decode(ids, false), text);
    }
    ++loaded;
  }
  if (loaded == 0) GTEST_SKIP() << "no vocabulary files under " << vectors_dir();
}

INSTANTIATE_TEST_SUITE_P(Shared, TokenizerVectors, ::testing::ValuesIn(vector_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string s = param.param;
                           for (char& c : s) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace anvil::engine
