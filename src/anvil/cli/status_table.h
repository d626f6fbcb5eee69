// `anvil status`'s text: the JSON of GET /v1/admin/status (docs/SERVER.md, "Admin status")
// rendered as a summary line, the breaker settings and one table row per deployment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::cli {

// Errors name the field that is missing or of the wrong type ("status document: missing
// field 'deployments' (expected an array)").
core::Result<std::string> render_status_table(std::string_view status_json, std::string_view url);

// "1h 02m 03s", "4m 05s", "12.3 s" for `ms` milliseconds.
std::string format_duration(std::int64_t ms);

}  // namespace anvil::cli
