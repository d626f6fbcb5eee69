// Which fault the next request gets: the X-Fake-Fault header first, then the scripted queue
// (POST /fake/script), then the random draw of the --fail-rate / --hang-rate flags.
#pragma once

#include <deque>
#include <mutex>
#include <random>
#include <string_view>

#include "anvil/core/status.h"
#include "fake_upstream/fault.h"
#include "fake_upstream/options.h"

namespace anvil::fake {

class FaultPlan {
 public:
  explicit FaultPlan(const FakeUpstreamOptions& options) : options_(options) {}

  // Appends the faults of a JSON list of specs (["429;retry-after=1","ok","reset"]) to the
  // queue; nothing is queued if one of them does not parse. Returns the queue's new length.
  core::Result<size_t> script(std::string_view json_list);
  void clear_script();

  // The fault of one API request. `header` is X-Fake-Fault ("" when absent); `rng` is the
  // calling thread's generator, so draws need no lock and repeat for a given seed.
  core::Result<Fault> choose(std::string_view header, std::mt19937_64& rng);

 private:
  const FakeUpstreamOptions& options_;
  std::mutex mutex_;
  std::deque<Fault> script_;
};

}  // namespace anvil::fake
