// How a failed gateway call reaches the client: the HTTP status, error type and code for each
// kind of upstream failure (429 keeps its Retry-After; timeouts are 504; a context overflow is
// the client's 400; other upstream failures are 502).
#pragma once

#include <string_view>

#include "anvil/gateway/upstream.h"
#include "anvil/server/api_error.h"

namespace anvil::server {

// `model` is the logical model the client asked for, named in the message.
ApiError error_for_failure(const gateway::UpstreamFailure& failure, std::string_view model);

}  // namespace anvil::server
