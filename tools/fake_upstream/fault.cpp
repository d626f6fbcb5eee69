#include "fake_upstream/fault.h"

#include <charconv>

#include <fmt/format.h>

namespace anvil::fake {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

core::Result<int> parse_count(std::string_view spec, std::string_view what, std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return core::Status::invalid_argument(
        fmt::format("fault '{}': expected a non-negative integer after '{}', found '{}'", spec,
                    what, text));
  }
  return value;
}

}  // namespace

core::Result<Fault> parse_fault(std::string_view spec) {
  std::string_view text = trim(spec);
  std::string_view head = text;
  std::string_view params;
  if (auto semicolon = text.find(';'); semicolon != std::string_view::npos) {
    head = trim(text.substr(0, semicolon));
    params = trim(text.substr(semicolon + 1));
  }
  Fault fault;
  if (head == "ok" || head == "none") return fault;
  if (head == "reset") {
    fault.kind = FaultKind::kReset;
  } else if (head == "hang") {
    fault.kind = FaultKind::kHang;
  } else if (head.starts_with("cut-after=")) {
    fault.kind = FaultKind::kCutAfter;
    ANVIL_ASSIGN_OR_RETURN(fault.count, parse_count(spec, "cut-after=", head.substr(10)));
  } else if (head.starts_with("slow-first-byte=")) {
    fault.kind = FaultKind::kSlowFirstByte;
    ANVIL_ASSIGN_OR_RETURN(fault.delay_ms, parse_count(spec, "slow-first-byte=", head.substr(16)));
  } else {
    int status = 0;
    auto [end, ec] = std::from_chars(head.data(), head.data() + head.size(), status);
    if (ec != std::errc() || end != head.data() + head.size() || status < 400 || status > 599) {
      return core::Status::invalid_argument(fmt::format(
          "fault '{}': expected an HTTP status 400..599, 'reset', 'hang', 'cut-after=N', "
          "'slow-first-byte=MS' or 'ok', found '{}'",
          spec, head));
    }
    fault.kind = FaultKind::kStatus;
    fault.status = status;
  }
  if (!params.empty()) {
    if (fault.kind != FaultKind::kStatus || !params.starts_with("retry-after=")) {
      return core::Status::invalid_argument(fmt::format(
          "fault '{}': only an HTTP status takes a parameter ('retry-after=S'), found '{}'", spec,
          params));
    }
    ANVIL_ASSIGN_OR_RETURN(fault.retry_after_s, parse_count(spec, "retry-after=", params.substr(12)));
  }
  return fault;
}

std::string fault_label(const Fault& fault) {
  switch (fault.kind) {
    case FaultKind::kNone: return "ok";
    case FaultKind::kStatus: return std::to_string(fault.status);
    case FaultKind::kReset: return "reset";
    case FaultKind::kHang: return "hang";
    case FaultKind::kCutAfter: return "cut-after";
    case FaultKind::kSlowFirstByte: return "slow-first-byte";
  }
  return "ok";
}

}  // namespace anvil::fake
