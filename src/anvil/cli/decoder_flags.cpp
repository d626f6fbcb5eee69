#include "anvil/cli/decoder_flags.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "anvil/engine/gguf_vocab.h"

namespace anvil::cli {

void add_decoder_flags(CLI::App* cmd, DecoderFlags& flags) {
  cmd->add_option("-m,--model", flags.model, "GGUF model file (llama, mistral or qwen2)")->required();
  cmd->add_option("-t,--threads", flags.threads, "Threads (default: one per core)");
  cmd->add_option("-c,--ctx", flags.ctx,
                  "Context size in tokens (default: 4096 or the model's context if smaller; 0: the model's)");
  cmd->add_option("-b,--batch", flags.batch, "Most tokens per forward pass of a prompt")
      ->capture_default_str();
  cmd->add_option("--kv-type", flags.kv_type, "KV cache type: f16 or f32")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
}

void add_sampling_flags(CLI::App* cmd, SamplingFlags& f, int64_t default_max_tokens) {
  f.max_tokens = default_max_tokens;
  cmd->add_option("-n,--n-predict", f.max_tokens, "Most tokens to generate (<= 0: until the context ends)")
      ->capture_default_str();
  cmd->add_option("--temp", f.params.temperature, "Temperature (<= 0: greedy)")->capture_default_str();
  cmd->add_option("--top-k", f.params.top_k, "Keep the k most likely tokens (<= 0: all)")->capture_default_str();
  cmd->add_option("--top-p", f.params.top_p, "Nucleus sampling threshold (1: off)")->capture_default_str();
  cmd->add_option("--min-p", f.params.min_p, "Drop tokens below min-p x the top probability (0: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-penalty", f.params.repeat_penalty, "Penalty for recent tokens (1: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", f.params.repeat_last_n, "Window of the penalties (-1: all tokens)")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", f.params.frequency_penalty, "OpenAI frequency penalty")
      ->capture_default_str();
  cmd->add_option("--presence-penalty", f.params.presence_penalty, "OpenAI presence penalty")
      ->capture_default_str();
  cmd->add_option("-s,--seed", f.seed, "Random seed (-1: random)")->capture_default_str();
  cmd->add_option("--stop", f.stop, "Stop string (repeatable); it is not printed");
  cmd->add_flag("--ignore-eos", f.ignore_eos, "Keep generating past end-of-generation tokens");
}

engine::GenerateOptions generate_options(const SamplingFlags& f) {
  engine::GenerateOptions o;
  o.sampling = f.params;
  if (f.seed >= 0) o.sampling.seed = static_cast<uint64_t>(f.seed);
  o.max_tokens = f.max_tokens;
  o.stop = f.stop;
  o.ignore_eog = f.ignore_eos;
  return o;
}

void print_timings(const engine::GenerateResult& r) {
  const engine::GenerateTimings& t = r.timings;
  std::fprintf(stderr,
               "prompt: %lld tokens in %.3f s (%.2f tokens/s, %lld cached) | generation: %lld tokens "
               "in %.3f s (%.2f tokens/s) | finish: %s\n",
               static_cast<long long>(t.prompt_tokens), t.prompt_seconds, t.prompt_tokens_per_second(),
               static_cast<long long>(t.cached_tokens), static_cast<long long>(t.generated_tokens),
               t.generation_seconds, t.generation_tokens_per_second(),
               std::string(engine::finish_reason_name(r.finish)).c_str());
}

core::Result<LoadedDecoder> load_decoder(const DecoderFlags& flags, bool with_tokenizer, bool profile) {
  LoadedDecoder d;
  if (flags.threads < 0) {
    return core::Status::invalid_argument(fmt::format("--threads must be >= 0, found {}", flags.threads));
  }
  d.threads = flags.threads > 0 ? flags.threads
                                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ANVIL_ASSIGN_OR_RETURN(d.model, engine::LlamaModel::open(flags.model));
  if (with_tokenizer) {
    ANVIL_ASSIGN_OR_RETURN(d.tokenizer, engine::load_tokenizer(d.model->file()));
  }
  if (d.threads > 1) d.pool = std::make_unique<core::ThreadPool>(static_cast<size_t>(d.threads - 1));
  engine::LlamaSessionOptions options;
  // As llama.cpp: 4096 unless asked, since a model's full context (128k for Llama 3.1) would
  // reserve a KV cache of many GiB.
  constexpr int64_t kDefaultCtx = 4096;
  options.n_ctx = flags.ctx >= 0 ? flags.ctx : std::min(kDefaultCtx, d.model->config().n_ctx_train);
  options.n_batch = flags.batch;
  options.kv_type = flags.kv_type == "f32" ? engine::GgmlType::kF32 : engine::GgmlType::kF16;
  options.profile = profile;
  ANVIL_ASSIGN_OR_RETURN(d.session, engine::LlamaSession::create(*d.model, options, d.pool.get()));
  return d;
}

}  // namespace anvil::cli
