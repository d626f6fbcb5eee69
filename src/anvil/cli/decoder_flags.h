// What `anvil generate`, `chat` and `bench` share: the flags that choose a decoder model and how
// it runs (threads, context, KV cache type), and loading it into a ready session.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "anvil/cli/context.h"
#include "anvil/core/status.h"
#include "anvil/core/thread_pool.h"
#include "anvil/engine/generator.h"
#include "anvil/engine/llama_model.h"
#include "anvil/engine/llama_session.h"
#include "anvil/text/tokenizer.h"

namespace anvil::cli {

struct DecoderFlags {
  std::string model;
  int threads = 0;        // 0: one per core
  int64_t ctx = -1;       // -1: min(4096, the model's context); 0: the model's context
  int64_t batch = 512;
  std::string kv_type = "f16";
};

void add_decoder_flags(CLI::App* cmd, DecoderFlags& flags);

struct LoadedDecoder {
  std::unique_ptr<engine::LlamaModel> model;
  std::unique_ptr<text::Tokenizer> tokenizer;  // null unless asked for
  std::unique_ptr<core::ThreadPool> pool;      // threads - 1 workers: the caller is the last one
  std::unique_ptr<engine::LlamaSession> session;
  int threads = 1;
};

// Opens the model (and its tokenizer when `with_tokenizer`) and makes a session. `profile` turns
// on the session's per-operator timers.
core::Result<LoadedDecoder> load_decoder(const DecoderFlags& flags, bool with_tokenizer,
                                         bool profile = false);

// Sampling and stopping flags of generate and chat: --temp --top-k --top-p --min-p
// --repeat-penalty --repeat-last-n --frequency-penalty --presence-penalty --seed --stop -n.
struct SamplingFlags {
  engine::SamplerParams params;
  int64_t seed = -1;  // -1: random (printed to stderr so a run can be repeated)
  int64_t max_tokens = 128;
  std::vector<std::string> stop;
  bool ignore_eos = false;
};
void add_sampling_flags(CLI::App* cmd, SamplingFlags& flags, int64_t default_max_tokens);
engine::GenerateOptions generate_options(const SamplingFlags& flags);

// Prints "prompt: N tokens in S s (T tokens/s) | generation: ... | finish: R" to stderr.
void print_timings(const engine::GenerateResult& result);

void register_chat(CLI::App& app, Context& ctx);
void register_bench(CLI::App& app, Context& ctx);

}  // namespace anvil::cli
