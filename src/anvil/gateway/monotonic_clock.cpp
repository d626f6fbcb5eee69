#include "anvil/gateway/monotonic_clock.h"

namespace anvil::gateway {
namespace {

class SystemClock final : public MonotonicClock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const MonotonicClock& MonotonicClock::system() {
  static const SystemClock kClock;
  return kClock;
}

}  // namespace anvil::gateway
