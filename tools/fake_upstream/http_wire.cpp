#include "fake_upstream/http_wire.h"

#include <fmt/format.h>

namespace anvil::fake {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

std::string response_head(int status, std::string_view content_type, long long content_length,
                          bool keep_alive, std::string_view extra_headers) {
  std::string out;
  out.reserve(160 + extra_headers.size());
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\nServer: anvil-fake-upstream\r\n",
                 status, reason_phrase(status));
  if (!content_type.empty()) fmt::format_to(std::back_inserter(out), "Content-Type: {}\r\n", content_type);
  if (content_length >= 0) {
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", content_length);
  } else {
    out += "Transfer-Encoding: chunked\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  return out;
}

std::string full_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::string_view extra_headers) {
  std::string out = response_head(status, content_type, static_cast<long long>(body.size()),
                                  keep_alive, extra_headers);
  out += body;
  return out;
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;  // an empty chunk would end the body
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", data.size());
  out += data;
  out += "\r\n";
}

void append_sse_chunk(std::string& out, std::string_view payload) {
  fmt::format_to(std::back_inserter(out), "{:x}\r\ndata: ", payload.size() + 8);
  out += payload;
  out += "\n\n\r\n";
}

}  // namespace anvil::fake
