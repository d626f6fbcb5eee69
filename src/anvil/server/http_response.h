// HTTP/1.1 response heads written by hand into a reused buffer (no per-response field
// containers), plus the chunk framing used for SSE streams.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anvil::server {

// "OK", "Not Found", ...; "Unknown" for codes Anvil does not send.
std::string_view reason_phrase(int status);

struct ResponseHead {
  int status = 200;
  std::string_view content_type;  // empty: no Content-Type
  std::string_view request_id;    // echoed as X-Request-Id; empty: none
  bool keep_alive = true;         // false: "Connection: close"
  bool chunked = false;           // true: Transfer-Encoding: chunked, no Content-Length
  std::size_t content_length = 0;
  const std::vector<std::pair<std::string, std::string>>* extra = nullptr;  // Retry-After, Allow...
};

// Appends the status line and headers (ending with the blank line) to `out`, including a Date
// header formatted once per second per thread.
void append_response_head(std::string& out, const ResponseHead& head);

// "1a2b\r\n": the size line of one chunk of `size` bytes (size > 0).
void append_chunk_size(std::string& out, std::size_t size);

// The last chunk of a chunked body (no trailers).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace anvil::server
