// A fault the fake upstream injects into one request, and its text form, shared by the
// --faults flag, the X-Fake-Fault header and POST /fake/script: "429;retry-after=2", "500",
// "reset", "hang", "cut-after=3", "slow-first-byte=200", "ok".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::fake {

enum class FaultKind {
  kNone,           // "ok": answer normally
  kStatus,         // answer with `status` (400..599) and an OpenAI-shaped error body
  kReset,          // read the request, then reset the connection (RST) without answering
  kHang,           // read the request and never answer; the connection stays open
  kCutAfter,       // streams: send `count` events, then close the connection (no [DONE])
  kSlowFirstByte,  // wait `delay_ms` before the first byte of the response
};

struct Fault {
  FaultKind kind = FaultKind::kNone;
  int status = 0;                   // kStatus
  std::optional<int> retry_after_s;  // kStatus: sent as Retry-After (delta seconds)
  int count = 0;                    // kCutAfter: events sent before the cut
  int delay_ms = 0;                 // kSlowFirstByte
};

// Parses one fault spec. Errors name the spec and what was expected:
// "fault 'cut-after=x': expected a non-negative integer after 'cut-after=', found 'x'".
core::Result<Fault> parse_fault(std::string_view spec);

// The label under which /fake/stats counts the fault: "429", "reset", "hang", "cut-after",
// "slow-first-byte", "ok".
std::string fault_label(const Fault& fault);

}  // namespace anvil::fake
