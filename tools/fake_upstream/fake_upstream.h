// The fake OpenAI-compatible upstream as an in-process server: N I/O threads (each its own
// io_context and SO_REUSEPORT acceptor, like Anvil's server), deterministic answers and scripted
// faults (docs/FAKE_UPSTREAM.md). Used by tests in-process and by `anvil-fake-upstream`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "anvil/core/status.h"
#include "fake_upstream/fault_plan.h"
#include "fake_upstream/options.h"
#include "fake_upstream/session.h"
#include "fake_upstream/stats.h"

namespace anvil::fake {

class FakeUpstream {
 public:
  // Binds host:port (port 0: any free port) and starts serving; the error names the address.
  static core::Result<std::unique_ptr<FakeUpstream>> start(FakeUpstreamOptions options);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>/v1", the base URL an OpenAI client is given.
  std::string base_url() const;

  Stats& stats() { return stats_; }
  FaultPlan& faults() { return plan_; }

  // Stops accepting and drops every connection (in-flight requests get no answer). Idempotent.
  void stop();

 private:
  struct Worker;
  explicit FakeUpstream(FakeUpstreamOptions options);

  FakeUpstreamOptions options_;
  Stats stats_;
  FaultPlan plan_;
  PromptMemory prompts_;
  SharedState shared_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace anvil::fake
