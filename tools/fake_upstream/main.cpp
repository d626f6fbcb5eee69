// anvil-fake-upstream: the fake OpenAI-compatible upstream as a process, for benchmarks and for
// tests that run it as a child. Prints the port as the first line of stdout, then serves until
// SIGINT or SIGTERM. Flags and faults: docs/FAKE_UPSTREAM.md.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "fake_upstream/fake_upstream.h"
#include "fake_upstream/fault.h"

int main(int argc, char** argv) {
  anvil::fake::FakeUpstreamOptions options;
  std::vector<std::string> fault_specs;
  CLI::App app{"A fake OpenAI-compatible upstream with scripted faults"};
  app.add_option("--host", options.host, "IP address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "port; 0 picks a free one (printed first on stdout)")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "I/O threads")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--models", options.models, "model ids listed by GET /v1/models")
      ->delimiter(',')->capture_default_str();
  app.add_option("--embedding-dim", options.embedding_dim, "default embedding dimension")
      ->capture_default_str()->check(CLI::Range(1, 65536));
  app.add_option("--api-key", options.api_key, "require 'Authorization: Bearer KEY' (else 401)");
  app.add_option("--max-tokens", options.default_max_tokens,
                 "words generated when a request sets no max_tokens")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--context-window", options.context_window,
                 "tokens; a longer prompt + max_tokens answers 400 context_length_exceeded (0: none)")
      ->capture_default_str();
  app.add_flag("--prompt-cache", options.prompt_cache,
               "report a prompt seen before as cached (usage.prompt_tokens_details.cached_tokens)");
  app.add_option("--fail-rate", options.fail_rate, "probability of a random fault from --faults")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--faults", fault_specs, "random faults to draw from: 429,500,503,reset,...")
      ->delimiter(',');
  app.add_option("--retry-after", options.retry_after_s,
                 "seconds of Retry-After on random 429/503 (-1: no header)")
      ->capture_default_str();
  app.add_option("--hang-rate", options.hang_rate, "probability that a request is never answered")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  app.add_option("--cut-stream-after", options.cut_stream_after,
                 "close every stream after this many events (-1: never)")
      ->capture_default_str();
  app.add_option("--latency-ms", options.latency_ms, "delay before every response")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--first-byte-ms", options.first_byte_ms, "further delay before the first byte")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--chunk-ms", options.chunk_ms, "delay between two events of a stream")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--seed", options.seed, "seed of the random fault draws")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  for (const auto& spec : fault_specs) {
    auto fault = anvil::fake::parse_fault(spec);
    if (!fault.ok()) {
      fmt::print(stderr, "anvil-fake-upstream: --faults: {}\n", fault.status().message());
      return 2;
    }
    options.faults.push_back(*fault);
  }

  // Thousands of connections need more descriptors than the usual soft limit of 1024.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  // Block the signals before any thread starts, so that only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = anvil::fake::FakeUpstream::start(std::move(options));
  if (!server.ok()) {
    fmt::print(stderr, "anvil-fake-upstream: {}\n", server.status().message());
    return 1;
  }
  fmt::print("{}\n", (*server)->port());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  (*server)->stop();
  return 0;
}
