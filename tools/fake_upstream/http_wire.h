// The fake upstream's answers as bytes (over gateway/http_wire.h), so that one answer is one
// write of one buffer (the fake must outrun the gateway it is measured against): whole
// responses, stream heads, SSE events as chunks.
#pragma once

#include <string>
#include <string_view>

#include "anvil/gateway/http_wire.h"

namespace anvil::fake {

using gateway::kLastChunk;

// Status line and headers, ending with the blank line; no Date header, since whole answers are
// cached and replayed. `content_length` < 0: chunked body. `extra_headers` are whole lines, each
// ending with "\r\n".
std::string response_head(int status, std::string_view content_type, long long content_length,
                          bool keep_alive, std::string_view extra_headers = {});

// A complete response with a Content-Length body.
std::string full_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers = {});

// Appends one SSE event "data: <payload>\n\n" as one chunk.
void append_sse_chunk(std::string& out, std::string_view payload);

}  // namespace anvil::fake
