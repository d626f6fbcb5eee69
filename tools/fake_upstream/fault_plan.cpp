#include "fake_upstream/fault_plan.h"

#include <fmt/format.h>

#include "anvil/core/json.h"

namespace anvil::fake {

core::Result<size_t> FaultPlan::script(std::string_view json_list) {
  ANVIL_ASSIGN_OR_RETURN(auto value, core::parse_json(json_list));
  ANVIL_ASSIGN_OR_RETURN(const auto* list, core::as_array(value, "the fault script"));
  std::vector<Fault> faults;
  faults.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    ANVIL_ASSIGN_OR_RETURN(auto spec, core::as_string((*list)[i], fmt::format("element {} of the fault script", i)));
    ANVIL_ASSIGN_OR_RETURN(auto fault, parse_fault(spec));
    faults.push_back(fault);
  }
  std::lock_guard lock(mutex_);
  script_.insert(script_.end(), faults.begin(), faults.end());
  return script_.size();
}

void FaultPlan::clear_script() {
  std::lock_guard lock(mutex_);
  script_.clear();
}

core::Result<Fault> FaultPlan::choose(std::string_view header, std::mt19937_64& rng) {
  if (!header.empty()) return parse_fault(header);
  {
    std::lock_guard lock(mutex_);
    if (!script_.empty()) {
      Fault fault = script_.front();
      script_.pop_front();
      return fault;
    }
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (options_.hang_rate > 0 && unit(rng) < options_.hang_rate) {
    return Fault{.kind = FaultKind::kHang};
  }
  if (options_.fail_rate > 0 && unit(rng) < options_.fail_rate) {
    Fault fault{.kind = FaultKind::kStatus, .status = 500};
    if (!options_.faults.empty()) {
      std::uniform_int_distribution<size_t> pick(0, options_.faults.size() - 1);
      fault = options_.faults[pick(rng)];
    }
    bool throttled = fault.kind == FaultKind::kStatus && (fault.status == 429 || fault.status == 503);
    if (throttled && !fault.retry_after_s && options_.retry_after_s >= 0) {
      fault.retry_after_s = options_.retry_after_s;
    }
    return fault;
  }
  return Fault{};
}

}  // namespace anvil::fake
