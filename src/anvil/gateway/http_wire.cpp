#include "anvil/gateway/http_wire.h"

#include <ctime>
#include <iterator>

#include <fmt/format.h>

namespace anvil::gateway {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

namespace {

// "Date: Sun, 29 Nov 2026 12:00:00 GMT\r\n", refreshed when the second changes.
std::string_view date_header() {
  thread_local std::time_t cached_second = -1;
  thread_local char line[64];
  thread_local std::size_t length = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    length = std::strftime(line, sizeof line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    cached_second = now;
  }
  return {line, length};
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

}  // namespace

void append_response_head(std::string& out, const ResponseHead& head) {
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", head.status,
                 reason_phrase(head.status));
  if (head.date) out += date_header();
  if (!head.server.empty()) append_header(out, "Server", head.server);
  if (!head.content_type.empty()) append_header(out, "Content-Type", head.content_type);
  if (head.chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else {
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", head.content_length);
  }
  if (!head.request_id.empty()) append_header(out, "X-Request-Id", head.request_id);
  if (head.extra != nullptr) {
    for (const auto& [name, value] : *head.extra) append_header(out, name, value);
  }
  out += head.extra_lines;
  if (!head.keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

void append_chunk_size(std::string& out, std::size_t size) {
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", size);
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  append_chunk_size(out, data.size());
  out += data;
  out += "\r\n";
}

}  // namespace anvil::gateway
