// `anvil quantize IN.gguf OUT.gguf --type q8_0|q4_0|q4_k_m [--threads N] [--dry-run]`
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "anvil/cli/context.h"
#include "anvil/cli/progress_bar.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_util.h"
#include "anvil/engine/quantize_model.h"

namespace anvil::cli {

void register_quantize(CLI::App& app, Context& ctx) {
  struct Options {
    std::string in;
    std::string out;
    std::string type;
    size_t threads = 0;
    bool dry_run = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("quantize", "Quantize an f32/f16/bf16 GGUF model to q8_0, q4_0 or q4_k_m");
  cmd->add_option("input", opts->in, "Model to read (.gguf)")->required();
  cmd->add_option("output", opts->out, "File to write (.gguf)")->required();
  cmd->add_option("--type", opts->type, "q8_0, q4_0 or q4_k_m")->required();
  cmd->add_option("--threads,-t", opts->threads, "Threads (default: one per core)");
  cmd->add_flag("--dry-run", opts->dry_run, "Print the type each tensor would get and write nothing");
  cmd->callback([&ctx, opts] {
    auto target = engine::quantize_target_from_name(opts->type);
    if (!target) {
      return ctx.fail(core::Status::invalid_argument(
          fmt::format("unknown quantization type '{}': expected q8_0, q4_0 or q4_k_m", opts->type)));
    }
    auto in = engine::GgufFile::open(opts->in);
    if (!in.ok()) return ctx.fail(in.status());
    if (opts->dry_run) {
      auto plans = engine::plan_quantization(**in, *target);
      if (!plans.ok()) return ctx.fail(plans.status());
      for (const auto& p : *plans) {
        std::printf("%-40s %-5s -> %-5s  %s\n", engine::escape_bytes(p.name).c_str(),
                    std::string(engine::ggml_type_name(p.from)).c_str(),
                    std::string(engine::ggml_type_name(p.to)).c_str(), p.reason.c_str());
      }
      return;
    }
    engine::QuantizeOptions options;
    options.target = *target;
    options.threads = opts->threads;
    options.on_tensor = [](const engine::QuantizeProgress& p) {
      std::fprintf(stderr, "[%4zu/%zu] %-40s %-24s %-5s -> %-5s %10s -> %-10s %s\n", p.index + 1, p.count,
                   engine::escape_bytes(p.plan->name).c_str(), engine::shape_string(*p.tensor).c_str(),
                   std::string(engine::ggml_type_name(p.plan->from)).c_str(),
                   std::string(engine::ggml_type_name(p.plan->to)).c_str(),
                   human_bytes(static_cast<double>(p.bytes_in)).c_str(),
                   human_bytes(static_cast<double>(p.bytes_out)).c_str(), p.plan->reason.c_str());
    };
    const auto start = std::chrono::steady_clock::now();
    auto summary = engine::quantize_model(**in, opts->out, options);
    if (!summary.ok()) return ctx.fail(summary.status());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("quantized %s -> %s (%s): %s -> %s; %zu tensors converted, %zu copied, %zu fallbacks; %.1f s\n",
                opts->in.c_str(), opts->out.c_str(), std::string(engine::quantize_target_name(*target)).c_str(),
                human_bytes(static_cast<double>(summary->input_file_bytes)).c_str(),
                human_bytes(static_cast<double>(summary->output_file_bytes)).c_str(), summary->converted,
                summary->copied, summary->fallbacks, seconds);
  });
}

}  // namespace anvil::cli
