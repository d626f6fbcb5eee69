#include "fake_upstream/http_wire.h"

namespace anvil::fake {

std::string response_head(int status, std::string_view content_type, long long content_length,
                          bool keep_alive, std::string_view extra_headers) {
  gateway::ResponseHead head;
  head.status = status;
  head.server = "anvil-fake-upstream";
  head.date = false;
  head.content_type = content_type;
  head.keep_alive = keep_alive;
  head.chunked = content_length < 0;
  head.content_length = head.chunked ? 0 : static_cast<std::size_t>(content_length);
  head.extra_lines = extra_headers;
  std::string out;
  out.reserve(160 + extra_headers.size());
  gateway::append_response_head(out, head);
  return out;
}

std::string full_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers) {
  std::string out = response_head(status, content_type, static_cast<long long>(body.size()),
                                  keep_alive, extra_headers);
  out += body;
  return out;
}

void append_sse_chunk(std::string& out, std::string_view payload) {
  constexpr std::string_view kPrefix = "data: ";
  constexpr std::string_view kEnd = "\n\n";
  gateway::append_chunk_size(out, kPrefix.size() + payload.size() + kEnd.size());
  out += kPrefix;
  out += payload;
  out += kEnd;
  out += "\r\n";
}

}  // namespace anvil::fake
