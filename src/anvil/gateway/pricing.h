// What an answer costs: its usage priced at the answering deployment's prices (USD per 1M tokens).
#pragma once

#include "anvil/gateway/deployment.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

// (prompt - cached) * prompt price + cached * cached price + completion * completion price,
// over 1e6. Cached tokens beyond the prompt's count are taken as the whole prompt.
double cost_usd(const Usage& usage, const Price& price);

}  // namespace anvil::gateway
