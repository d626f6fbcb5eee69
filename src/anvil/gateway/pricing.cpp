#include "anvil/gateway/pricing.h"

#include <algorithm>

namespace anvil::gateway {

double cost_usd(const Usage& usage, const Price& price) {
  const std::int64_t prompt = std::max<std::int64_t>(usage.prompt_tokens, 0);
  const std::int64_t cached = std::clamp<std::int64_t>(usage.cached_tokens, 0, prompt);
  const std::int64_t completion = std::max<std::int64_t>(usage.completion_tokens, 0);
  return (static_cast<double>(prompt - cached) * price.prompt_per_million +
          static_cast<double>(cached) * price.cached_per_million +
          static_cast<double>(completion) * price.completion_per_million) /
         1e6;
}

}  // namespace anvil::gateway
