// HTTP/1.1 response heads and chunked framing written by hand into a caller's (reused) buffer,
// with no per-response field containers, so that an answer goes out as one write. Shared by
// Anvil's server (src/anvil/server) and the fake upstream (tools/fake_upstream).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anvil::gateway {

// "OK", "Not Found", ...; "Unknown" for codes Anvil does not send.
std::string_view reason_phrase(int status);

struct ResponseHead {
  int status = 200;
  std::string_view server = "anvil";  // the Server header; empty: none
  // A Date header, formatted once per second per thread. Off for answers stored whole and
  // replayed later (the fake upstream's reply cache), where it would go stale.
  bool date = true;
  std::string_view content_type;  // empty: no Content-Type
  std::string_view request_id;    // echoed as X-Request-Id; empty: none
  bool keep_alive = true;         // false: "Connection: close"
  bool chunked = false;           // true: Transfer-Encoding: chunked, no Content-Length
  std::size_t content_length = 0;
  const std::vector<std::pair<std::string, std::string>>* extra = nullptr;  // Retry-After, Allow...
  std::string_view extra_lines;  // more headers as whole lines, each ending with "\r\n"
};

// Appends the status line and headers, ending with the blank line, to `out`.
void append_response_head(std::string& out, const ResponseHead& head);

// "1a2b\r\n": the size line of one chunk of `size` bytes (size > 0).
void append_chunk_size(std::string& out, std::size_t size);

// `data` as one whole chunk ("<hex size>\r\n<data>\r\n"); nothing for empty data, since an
// empty chunk would end the body.
void append_chunk(std::string& out, std::string_view data);

// The last chunk of a chunked body (no trailers).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace anvil::gateway
