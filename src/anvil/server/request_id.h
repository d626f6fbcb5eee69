// Request ids: the client's X-Request-Id when it is a sane token, otherwise a fresh one
// ("req_" + 24 hex digits: the time in milliseconds, then 52 bits from a per-thread random
// generator; no lock, no syscall).
#pragma once

#include <string>
#include <string_view>

namespace anvil::server {

// True for 1..128 visible ASCII characters without spaces or quotes: safe to echo in a header
// and to write in logs and the ledger.
bool is_acceptable_request_id(std::string_view id);

// `client_id` when acceptable, else a new id.
std::string make_request_id(std::string_view client_id);

}  // namespace anvil::server
