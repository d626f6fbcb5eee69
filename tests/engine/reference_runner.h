// Test helpers for parity tests against the PyTorch reference (tests/engine/reference/, contract in
// docs/MODELS.md): make synthetic GGUF models with make_test_model.py (cached per test binary run),
// run reference.py and read its raw little-endian f32 outputs.
#pragma once

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "testing/temp_dir.h"

namespace anvil::testing {

// The interpreter with torch and numpy: $ANVIL_PYTHON, else Debian's /usr/bin/python3 (the python3
// on PATH may be a virtual environment without them).
inline std::string reference_python() {
  if (const char* p = std::getenv("ANVIL_PYTHON")) return p;
  return "/usr/bin/python3";
}

inline std::filesystem::path reference_dir() { return source_dir() / "tests" / "engine" / "reference"; }

// Single-quotes `s` for /bin/sh.
inline std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct CommandResult {
  int exit_code = -1;  // the command's exit status; -1 if it could not be started or was killed
  std::string output;  // stdout and stderr together
};

// Runs argv (quoted, no shell expansion of its items) with stderr folded into stdout.
inline CommandResult run_command(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const auto& a : argv) cmd += shell_quote(a) + " ";
  cmd += "2>&1";
  CommandResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    r.output = "popen failed: " + std::string(std::strerror(errno));
    return r;
  }
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.output.append(buf, n);
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

// Why the reference cannot run here, or nullopt when it can: the interpreter must import torch and
// numpy, and the shared vocabularies the presets use must be present. Checked once per process.
inline std::optional<std::string> reference_unavailable() {
  static const std::optional<std::string> why = []() -> std::optional<std::string> {
    auto r = run_command({reference_python(), "-c", "import torch, numpy"});
    if (r.exit_code != 0) {
      return "the PyTorch reference needs " + reference_python() +
             " with torch and numpy (Debian python3-torch python3-numpy, see "
             "scripts/install-deps.sh): " + r.output;
    }
    auto vocab = shared_dir() / "data" / "tokenizer";
    if (!std::filesystem::exists(vocab)) return "no shared tokenizer data at " + vocab.string();
    return std::nullopt;
  }();
  return why;
}

// For the first line of a parity test: skips (with the reason) where the reference cannot run.
#define ANVIL_SKIP_WITHOUT_REFERENCE()                                            \
  do {                                                                            \
    if (auto anvil_why_ = ::anvil::testing::reference_unavailable()) {            \
      GTEST_SKIP() << *anvil_why_;                                                \
    }                                                                             \
  } while (0)

// The vocabulary salvage tool that reference/vocab_repair.py runs on the damaged shared vocabulary
// files: $ANVIL_VOCAB_SALVAGE, else the one beside this test binary (tests/CMakeLists.txt builds both).
inline std::string vocab_salvage_tool() {
  if (const char* p = std::getenv("ANVIL_VOCAB_SALVAGE")) return p;
  std::error_code ec;
  return (std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "vocab_salvage").string();
}

// Runs tests/engine/reference/`script` with `args`; the error carries the command and its output.
inline core::Result<std::string> run_reference_script(const std::string& script,
                                                      const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"env", "ANVIL_SHARED_DIR=" + shared_dir().string(),
                                   "ANVIL_VOCAB_SALVAGE=" + vocab_salvage_tool(), reference_python(),
                                   (reference_dir() / script).string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  if (r.exit_code != 0) {
    std::string cmd;
    for (size_t i = 1; i < argv.size(); ++i) cmd += (i > 1 ? " " : "") + argv[i];
    return core::Status::internal(cmd + " exited with " + std::to_string(r.exit_code) + ":\n" +
                                  r.output);
  }
  return r.output;
}

// A raw little-endian f32 file; `expected_count` (when given) must match its size.
inline core::Result<std::vector<float>> read_f32_file(const std::filesystem::path& path,
                                                      std::optional<size_t> expected_count = {}) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return core::Status::not_found("cannot open " + path.string());
  const auto size = static_cast<size_t>(in.tellg());
  if (size % 4 != 0) {
    return core::Status::corrupt(path.string() + ": " + std::to_string(size) +
                                 " bytes, expected a multiple of 4");
  }
  if (expected_count && size != *expected_count * 4) {
    return core::Status::corrupt(path.string() + ": expected " + std::to_string(*expected_count) +
                                 " floats, found " + std::to_string(size / 4));
  }
  std::vector<float> out(size / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
  return out;
}

// Folder for this process's models and outputs: $ANVIL_TEST_MODEL_CACHE (kept, to reuse models
// across runs while developing) or a temporary folder removed at exit.
inline const std::filesystem::path& reference_work_dir() {
  static const std::filesystem::path dir = []() -> std::filesystem::path {
    if (const char* d = std::getenv("ANVIL_TEST_MODEL_CACHE")) {
      std::filesystem::create_directories(d);
      return d;
    }
    static TempDir tmp;
    return tmp.path();
  }();
  return dir;
}

// A synthetic model: make_test_model.py --preset `preset` --type `type` --seed `seed` plus `extra`
// arguments (e.g. {"--layers", "3"}). Made once per distinct argument list in a process.
inline core::Result<std::filesystem::path> test_model(const std::string& preset,
                                                      const std::string& type = "f32", int seed = 1,
                                                      const std::vector<std::string>& extra = {}) {
  static std::mutex mu;
  static std::map<std::string, std::filesystem::path> made;
  std::string key = preset + "-" + type + "-s" + std::to_string(seed);
  for (const auto& e : extra) {
    for (char c : e) key += (std::isalnum(static_cast<unsigned char>(c)) || c == '.') ? c : '_';
  }
  std::lock_guard lock(mu);
  if (auto it = made.find(key); it != made.end()) return it->second;
  auto path = reference_work_dir() / (key + ".gguf");
  if (!std::filesystem::exists(path)) {
    std::vector<std::string> args = {"--preset", preset, "--type", type,
                                     "--seed", std::to_string(seed), "--out", path.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ANVIL_RETURN_IF_ERROR(run_reference_script("make_test_model.py", args).status());
  }
  made[key] = path;
  return path;
}

// "1,2,3": token ids as the reference's command line takes them.
inline std::string ids_arg(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

inline std::string seqs_arg(const std::vector<std::vector<int32_t>>& seqs) {
  std::string s;
  for (size_t i = 0; i < seqs.size(); ++i) s += (i ? ";" : "") + ids_arg(seqs[i]);
  return s;
}

inline std::filesystem::path reference_out_path(std::string_view what) {
  static std::mutex mu;
  static int counter = 0;
  std::lock_guard lock(mu);
  return reference_work_dir() / ("ref-" + std::string(what) + "-" + std::to_string(++counter));
}

// How reference.py computes: float64 (the oracle, default) or float32.
struct ReferenceOptions {
  std::string dtype = "float64";
};

// Logits of every position: [tokens.size(), n_vocab] row-major (row i predicts token i+1).
inline core::Result<std::vector<float>> reference_logits(const std::filesystem::path& model,
                                                         const std::vector<int32_t>& tokens,
                                                         const ReferenceOptions& opt = {}) {
  auto out = reference_out_path("logits");
  ANVIL_RETURN_IF_ERROR(run_reference_script("reference.py",
                                             {"logits", "--model", model.string(), "--tokens",
                                              ids_arg(tokens), "--dtype", opt.dtype, "--out",
                                              out.string()})
                            .status());
  auto r = read_f32_file(out);
  std::filesystem::remove(out);
  return r;
}

struct GreedyStep {
  int32_t token = 0;
  double margin = 0;  // top-1 minus top-2 logit of the reference at this step
};

// Greedy continuation of `tokens` for n steps (the reference recomputes the whole sequence at
// every step: no KV cache).
inline core::Result<std::vector<GreedyStep>> reference_generate(const std::filesystem::path& model,
                                                                const std::vector<int32_t>& tokens,
                                                                int n,
                                                                const ReferenceOptions& opt = {}) {
  auto out = reference_out_path("generate");
  ANVIL_RETURN_IF_ERROR(run_reference_script("reference.py",
                                             {"generate", "--model", model.string(), "--tokens",
                                              ids_arg(tokens), "-n", std::to_string(n), "--dtype",
                                              opt.dtype, "--out", out.string()})
                            .status());
  std::ifstream in(out);
  std::vector<GreedyStep> steps;
  GreedyStep s;
  while (in >> s.token >> s.margin) steps.push_back(s);
  std::filesystem::remove(out);
  if (steps.size() != static_cast<size_t>(n)) {
    return core::Status::corrupt("reference generate: expected " + std::to_string(n) +
                                 " steps, read " + std::to_string(steps.size()));
  }
  return steps;
}

// Pooled, L2-normalized embeddings [seqs.size(), n_embd] of full input sequences ([CLS] ... [SEP]
// included by the caller). pooling: -1 = the file's pooling type, else 0..3 (0 = token states).
inline core::Result<std::vector<float>> reference_embed(const std::filesystem::path& model,
                                                        const std::vector<std::vector<int32_t>>& seqs,
                                                        int pooling = -1,
                                                        const ReferenceOptions& opt = {}) {
  auto out = reference_out_path("embed");
  std::vector<std::string> args = {"embed", "--model", model.string(), "--tokens", seqs_arg(seqs),
                                   "--dtype", opt.dtype, "--out", out.string()};
  if (pooling >= 0) {
    args.push_back("--pooling");
    args.push_back(std::to_string(pooling));
  }
  ANVIL_RETURN_IF_ERROR(run_reference_script("reference.py", args).status());
  auto r = read_f32_file(out);
  std::filesystem::remove(out);
  return r;
}

// One raw relevance score per (query ids, document ids) pair, without special tokens: the reference
// builds [CLS] q [SEP] d [SEP] and the segment ids.
inline core::Result<std::vector<float>> reference_rerank(
    const std::filesystem::path& model,
    const std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>>& pairs,
    const ReferenceOptions& opt = {}) {
  std::string arg;
  for (size_t i = 0; i < pairs.size(); ++i) {
    arg += (i ? ";" : "") + ids_arg(pairs[i].first) + "|" + ids_arg(pairs[i].second);
  }
  auto out = reference_out_path("rerank");
  ANVIL_RETURN_IF_ERROR(run_reference_script("reference.py",
                                             {"rerank", "--model", model.string(), "--pairs", arg,
                                              "--dtype", opt.dtype, "--out", out.string()})
                            .status());
  auto r = read_f32_file(out, pairs.size());
  std::filesystem::remove(out);
  return r;
}

// One score per full sequence ([CLS] q [SEP] d [SEP] as the caller tokenized it).
inline core::Result<std::vector<float>> reference_rerank_sequences(
    const std::filesystem::path& model, const std::vector<std::vector<int32_t>>& seqs,
    const ReferenceOptions& opt = {}) {
  auto out = reference_out_path("rerank");
  ANVIL_RETURN_IF_ERROR(run_reference_script("reference.py",
                                             {"rerank", "--model", model.string(), "--tokens",
                                              seqs_arg(seqs), "--dtype", opt.dtype, "--out",
                                              out.string()})
                            .status());
  auto r = read_f32_file(out, seqs.size());
  std::filesystem::remove(out);
  return r;
}

// The residual stream [tokens.size(), n_embd] after `layers` layers (-1: all; 0: the embeddings),
// to find the first layer where an engine departs from the reference.
inline core::Result<std::vector<float>> reference_hidden(const std::filesystem::path& model,
                                                         const std::vector<int32_t>& tokens,
                                                         int layers = -1,
                                                         const ReferenceOptions& opt = {}) {
  auto out = reference_out_path("hidden");
  std::vector<std::string> args = {"hidden", "--model", model.string(), "--tokens", ids_arg(tokens),
                                   "--dtype", opt.dtype, "--out", out.string()};
  if (layers >= 0) {
    args.push_back("--layers");
    args.push_back(std::to_string(layers));
  }
  ANVIL_RETURN_IF_ERROR(run_reference_script("reference.py", args).status());
  auto r = read_f32_file(out);
  std::filesystem::remove(out);
  return r;
}

}  // namespace anvil::testing
