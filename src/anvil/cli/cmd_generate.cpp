// `anvil generate --model M -p TEXT [-n 128] [sampling flags] [--stop STR ...] [-t N] [--ctx N]`:
// streams the continuation of the prompt to stdout, timings to stderr. Also registers `chat` and
// `bench` (cmd_chat.cpp, cmd_bench.cpp).
#include <cstdio>
#include <random>

#include "anvil/cli/decoder_flags.h"
#include "anvil/core/file_io.h"

namespace anvil::cli {
namespace {

struct GenerateCliOptions {
  DecoderFlags decoder;
  SamplingFlags sampling;
  std::string prompt;
  std::string prompt_file;
  bool no_special = false;
};

core::Status run_generate(const GenerateCliOptions& o) {
  std::string prompt = o.prompt;
  if (!o.prompt_file.empty()) {
    ANVIL_ASSIGN_OR_RETURN(prompt, core::read_file(o.prompt_file));
  }
  ANVIL_ASSIGN_OR_RETURN(LoadedDecoder d, load_decoder(o.decoder, true));
  // BOS as the model's metadata asks; special token texts in the prompt ("<|im_start|>") are
  // recognized unless --no-special.
  const std::vector<int32_t> tokens = d.tokenizer->encode(prompt, true, !o.no_special);
  engine::GenerateOptions options = generate_options(o.sampling);
  if (!options.sampling.seed) {
    options.sampling.seed = std::random_device{}();
    if (options.sampling.temperature > 0) {  // so that a run can be repeated with -s
      std::fprintf(stderr, "seed: %llu\n", static_cast<unsigned long long>(*options.sampling.seed));
    }
  }
  engine::Generator generator(*d.session, *d.tokenizer);
  ANVIL_ASSIGN_OR_RETURN(engine::GenerateResult r,
                         generator.generate(tokens, options, [](std::string_view piece) {
                           std::fwrite(piece.data(), 1, piece.size(), stdout);
                           std::fflush(stdout);
                           return true;
                         }));
  std::fputc('\n', stdout);
  std::fflush(stdout);
  print_timings(r);
  return core::Status::ok_status();
}

}  // namespace

void register_generate(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("generate", "Continue a prompt with a local model, streaming the text");
  auto opts = std::make_shared<GenerateCliOptions>();
  add_decoder_flags(cmd, opts->decoder);
  add_sampling_flags(cmd, opts->sampling, 128);
  auto* p = cmd->add_option("-p,--prompt", opts->prompt, "Prompt text");
  auto* f = cmd->add_option("-f,--file", opts->prompt_file, "Read the prompt from a file");
  p->excludes(f);
  cmd->add_flag("--no-special", opts->no_special, "Treat special token texts in the prompt as plain text");
  cmd->callback([&ctx, opts, p, f] {
    if (p->count() == 0 && f->count() == 0) {
      return ctx.fail(core::Status::invalid_argument("generate needs a prompt: -p TEXT or -f FILE"));
    }
    if (auto st = run_generate(*opts); !st.ok()) ctx.fail(st);
  });
  register_chat(app, ctx);
  register_bench(app, ctx);
}

}  // namespace anvil::cli
