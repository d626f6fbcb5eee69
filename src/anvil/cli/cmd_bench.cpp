// `anvil bench --model M [-p 512] [-n 128] [-r 5] [-t THREADS]`: prompt processing (ppN: N random
// tokens in one prefill) and generation (tgN: N single-token decode steps from an empty context)
// speeds in tokens/s, mean ± sample standard deviation over repetitions, as llama-bench reports.
// --clock cpu divides the process's CPU time by the thread count instead of reading the wall
// clock: on a machine shared with other work it leaves out the time the threads were not running
// (and any time a thread sat blocked, so it is an upper estimate of dedicated-core speed).
// After the table, the process's resident memory against the model file and the KV cache
// (docs/BENCHMARKS.md, "Memory").
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <fmt/format.h>

#include "anvil/cli/decoder_flags.h"
#include "anvil/core/process_memory.h"

namespace anvil::cli {
namespace {

// llama.cpp's general.file_type names (enum llama_ftype) for the label of the model.
std::string file_type_name(const engine::LlamaModel& m) {
  auto ft = m.file().get_int("general.file_type");
  if (ft.ok() && *ft) {
    switch (**ft) {
      case 0: return "F32";
      case 1: return "F16";
      case 2: return "Q4_0";
      case 3: return "Q4_1";
      case 7: return "Q8_0";
      case 8: return "Q5_0";
      case 9: return "Q5_1";
      case 10: return "Q2_K";
      case 11: return "Q3_K_S";
      case 12: return "Q3_K_M";
      case 13: return "Q3_K_L";
      case 14: return "Q4_K_S";
      case 15: return "Q4_K_M";
      case 16: return "Q5_K_S";
      case 17: return "Q5_K_M";
      case 18: return "Q6_K";
      case 32: return "BF16";
      default: break;
    }
  }
  // Otherwise the type of the first layer's attention matrix.
  std::string name(engine::ggml_type_name(m.layers()[0].wq.type));
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string params_label(int64_t n) {
  return n >= 1'000'000'000 ? fmt::format("{:.1f}B", n / 1e9) : fmt::format("{:.0f}M", n / 1e6);
}

struct Stats {
  double mean = 0, stddev = 0;
};

Stats stats(const std::vector<double>& v) {
  Stats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  return s;
}

struct BenchOptions {
  DecoderFlags decoder;
  int64_t prompt = 512;
  int64_t gen = 128;
  int reps = 5;
  bool profile = false;
  std::string clock = "wall";
};

// Seconds by the chosen clock: wall, or process CPU time / threads.
class BenchClock {
 public:
  BenchClock(bool cpu, int threads) : cpu_(cpu), threads_(threads) {}
  double now() const {
    if (!cpu_) return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9) / threads_;
  }

 private:
  bool cpu_;
  int threads_;
};

// Seconds for one prefill of `tokens` from an empty cache.
core::Result<double> time_prefill(engine::LlamaSession& s, const std::vector<int32_t>& tokens,
                                  const BenchClock& clock) {
  s.reset();
  std::vector<float> logits;
  const double t0 = clock.now();
  ANVIL_RETURN_IF_ERROR(s.eval(tokens, engine::LogitsFor::kLast, &logits));
  return clock.now() - t0;
}

// Seconds for n single-token steps from an empty cache (each with last-token logits, as
// generation needs them).
core::Result<double> time_decode(engine::LlamaSession& s, const std::vector<int32_t>& tokens, int64_t n,
                                 const BenchClock& clock) {
  s.reset();
  std::vector<float> logits;
  const double t0 = clock.now();
  for (int64_t i = 0; i < n; ++i) {
    ANVIL_RETURN_IF_ERROR(s.eval(std::span(&tokens[static_cast<size_t>(i) % tokens.size()], 1),
                                 engine::LogitsFor::kLast, &logits));
  }
  return clock.now() - t0;
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / 1048576.0; }

// Resident memory sampled after loading and after every repetition: the largest anonymous and
// file-backed parts seen (the kernel keeps only the peak of their sum, VmHWM).
class MemoryWatch {
 public:
  void sample() {
    auto m = core::read_process_memory();
    if (!m.ok()) {
      error_ = m.status();
      return;
    }
    last_ = *m;
    max_anon_ = std::max(max_anon_, m->rss_anon_bytes);
    max_file_ = std::max(max_file_, m->rss_file_bytes);
  }

  // "memory: ..." lines: the model file and KV cache, resident now (file-backed + anonymous), the
  // peak, and peak / (file + KV cache), the figure issue 3 bounds at 1.10.
  void print(uint64_t file_bytes, const engine::KvCache& kv) const {
    if (!error_.ok()) {
      std::printf("memory: not measured (%s)\n", error_.message().c_str());
      return;
    }
    const uint64_t budget = file_bytes + kv.bytes();
    std::printf("memory: model file %.2f MiB + KV cache %.2f MiB (%lld positions) = %.2f MiB\n", mib(file_bytes),
                mib(kv.bytes()), static_cast<long long>(kv.n_ctx()), mib(budget));
    std::printf("memory: resident now %.2f MiB (file-backed %.2f, anonymous %.2f); most seen: file-backed %.2f, "
                "anonymous %.2f\n",
                mib(last_.rss_bytes), mib(last_.rss_file_bytes), mib(last_.rss_anon_bytes), mib(max_file_),
                mib(max_anon_));
    std::printf("memory: peak resident (VmHWM) %.2f MiB = %.3f x (file + KV cache)\n", mib(last_.peak_rss_bytes),
                static_cast<double>(last_.peak_rss_bytes) / static_cast<double>(budget));
  }

 private:
  core::Status error_;
  core::ProcessMemory last_;
  uint64_t max_anon_ = 0, max_file_ = 0;
};

core::Status run_bench(const BenchOptions& o) {
  if (o.prompt < 0 || o.gen < 0 || o.reps < 1 || (o.prompt == 0 && o.gen == 0)) {
    return core::Status::invalid_argument(
        "bench needs -p >= 0 and -n >= 0 (not both 0) and -r >= 1");
  }
  DecoderFlags flags = o.decoder;
  if (flags.ctx < 0) flags.ctx = std::max<int64_t>({o.prompt, o.gen, 1});
  if (flags.batch < o.prompt) flags.batch = o.prompt;  // ppN is one forward pass, as in llama-bench
  // With the tokenizer, as generate and chat hold it, so that the memory figures are a real
  // process's (the tests feed random token ids and never use it).
  ANVIL_ASSIGN_OR_RETURN(LoadedDecoder d, load_decoder(flags, /*with_tokenizer=*/true, o.profile));
  MemoryWatch memory;
  memory.sample();
  const BenchClock clock(o.clock == "cpu", d.threads);
  const engine::LlamaModel& m = *d.model;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(m.config().n_vocab - 1));
  std::vector<int32_t> tokens(static_cast<size_t>(std::max<int64_t>({o.prompt, o.gen, 1})));
  for (auto& t : tokens) t = pick(rng);

  const std::string model_label =
      fmt::format("{} {} {}", m.config().arch, params_label(m.n_params()), file_type_name(m));
  const std::string size_label = fmt::format("{:.2f} MiB", m.weight_bytes() / 1048576.0);
  std::printf("| %-28s | %12s | %9s | %7s | %8s | %20s |\n", "model", "size", "params", "threads",
              "test", "t/s");
  std::printf("| %s | %s: | %s: | %s: | %s: | %s: |\n", std::string(28, '-').c_str(),
              std::string(11, '-').c_str(), std::string(8, '-').c_str(), std::string(6, '-').c_str(),
              std::string(7, '-').c_str(), std::string(19, '-').c_str());
  auto row = [&](const std::string& test, const std::vector<double>& tps) {
    const Stats s = stats(tps);
    // "±" is two bytes but one column: one more byte of width keeps the column aligned.
    std::printf("| %-28s | %12s | %9s | %7d | %8s | %21s |\n", model_label.c_str(),
                size_label.c_str(), fmt::format("{:.2f} M", m.n_params() / 1e6).c_str(), d.threads,
                test.c_str(), fmt::format("{:.2f} ± {:.2f}", s.mean, s.stddev).c_str());
    std::fflush(stdout);
  };

  if (o.prompt > 0) {
    std::vector<int32_t> prompt(tokens.begin(), tokens.begin() + o.prompt);
    ANVIL_RETURN_IF_ERROR(time_prefill(*d.session, prompt, clock).status());  // warm-up
    std::vector<double> tps;
    for (int r = 0; r < o.reps; ++r) {
      ANVIL_ASSIGN_OR_RETURN(double sec, time_prefill(*d.session, prompt, clock));
      tps.push_back(static_cast<double>(o.prompt) / sec);
      memory.sample();
    }
    row(fmt::format("pp{}", o.prompt), tps);
  }
  if (o.gen > 0) {
    ANVIL_RETURN_IF_ERROR(time_decode(*d.session, tokens, std::min<int64_t>(o.gen, 4), clock).status());
    std::vector<double> tps;
    for (int r = 0; r < o.reps; ++r) {
      ANVIL_ASSIGN_OR_RETURN(double sec, time_decode(*d.session, tokens, o.gen, clock));
      tps.push_back(static_cast<double>(o.gen) / sec);
      memory.sample();
    }
    row(fmt::format("tg{}", o.gen), tps);
  }
  memory.print(m.file().file_size(), d.session->kv_cache());
  if (o.profile) {
    const engine::LlamaProfile& p = d.session->profile();
    double total = 0;
    for (double s : p.seconds) total += s;
    std::fprintf(stderr, "time per operator over all runs (warm-ups included):\n");
    for (int i = 0; i < engine::LlamaProfile::kCount; ++i) {
      std::fprintf(stderr, "  %-10s %8.3f s %5.1f%%\n", std::string(engine::LlamaProfile::name(i)).c_str(),
                   p.seconds[static_cast<size_t>(i)], 100.0 * p.seconds[static_cast<size_t>(i)] / total);
    }
  }
  return core::Status::ok_status();
}

}  // namespace

void register_bench(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("bench", "Measure prompt processing and generation speed (tokens/s)");
  auto opts = std::make_shared<BenchOptions>();
  add_decoder_flags(cmd, opts->decoder);
  cmd->add_option("-p,--n-prompt", opts->prompt, "Prompt tokens (ppN test; 0 skips it)")->capture_default_str();
  cmd->add_option("-n,--n-gen", opts->gen, "Generated tokens (tgN test; 0 skips it)")->capture_default_str();
  cmd->add_option("-r,--repetitions", opts->reps, "Repetitions of each test")->capture_default_str();
  cmd->add_flag("--profile", opts->profile, "Print the time spent per operator to stderr");
  cmd->add_option("--clock", opts->clock, "wall, or cpu: process CPU time / threads (for a shared machine)")
      ->check(CLI::IsMember({"wall", "cpu"}))
      ->capture_default_str();
  cmd->callback([&ctx, opts] {
    if (auto st = run_bench(*opts); !st.ok()) ctx.fail(st);
  });
}

}  // namespace anvil::cli
