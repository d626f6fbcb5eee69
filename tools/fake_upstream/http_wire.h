// HTTP/1.1 responses serialized by hand, so that one answer is one write of one buffer (the fake
// must outrun the gateway it is measured against): heads, whole responses, chunked framing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace anvil::fake {

std::string_view reason_phrase(int status);

// Status line and headers, ending with the blank line. `content_length` < 0: chunked body.
// `extra_headers` are whole lines, each ending with "\r\n".
std::string response_head(int status, std::string_view content_type, long long content_length,
                           bool keep_alive, std::string_view extra_headers = {});

// A complete response with a Content-Length body.
std::string full_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers = {});

// Appends `data` as one chunk of a chunked body ("<hex size>\r\n<data>\r\n").
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Appends one SSE event "data: <payload>\n\n" as one chunk.
void append_sse_chunk(std::string& out, std::string_view payload);

}  // namespace anvil::fake
