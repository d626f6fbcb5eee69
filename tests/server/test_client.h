// A small blocking HTTP/1.1 client over a raw socket for the server tests: it sends exactly the
// bytes a test writes (partial headers, oversized bodies, pipelined requests) and reads
// responses, chunks and the connection's end.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace anvil::server::testing {

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // de-chunked
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
 public:
  explicit Client(int port);  // connects to 127.0.0.1:port; aborts the test binary on failure
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Writes all of `bytes`; false when the server closed the connection.
  bool send(std::string_view bytes);
  // Reads one whole response (Content-Length or chunked body); nullopt when the connection
  // ended first.
  std::optional<Response> read_response();
  // Reads a response's status line and headers only; the body follows with read_chunk().
  std::optional<Response> read_head();
  // Reads the next chunk of a chunked body: its data, "" for the last chunk, nullopt when the
  // connection ended.
  std::optional<std::string> read_chunk();
  // Reads until the server closes; returns what came (ECONNRESET counts as the end).
  std::string read_until_closed();
  void close();

  // Request helpers (HTTP/1.1, keep-alive).
  bool send_get(std::string_view path, std::string_view extra_headers = {});
  bool send_post(std::string_view path, std::string_view body, std::string_view extra_headers = {});
  std::optional<Response> get(std::string_view path, std::string_view extra_headers = {});
  std::optional<Response> post(std::string_view path, std::string_view body,
                               std::string_view extra_headers = {});

 private:
  bool fill();  // reads more into buffer_; false at the end of the connection
  std::optional<std::string> read_line();
  bool read_exact(std::size_t n, std::string& out);

  int fd_ = -1;
  std::string buffer_;
};


inline Client::Client(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "test client: cannot connect to port %d: %s\n", port, std::strerror(errno));
    std::abort();
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

inline Client::~Client() { close(); }

inline void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

inline bool Client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

inline bool Client::fill() {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

inline std::optional<std::string> Client::read_line() {
  for (;;) {
    std::size_t end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return line;
    }
    if (!fill()) return std::nullopt;
  }
}

inline bool Client::read_exact(std::size_t n, std::string& out) {
  while (buffer_.size() < n) {
    if (!fill()) return false;
  }
  out.append(buffer_, 0, n);
  buffer_.erase(0, n);
  return true;
}

inline std::optional<Response> Client::read_head() {
  auto status_line = read_line();
  if (!status_line || status_line->size() < 12) return std::nullopt;
  Response r;
  r.status = std::atoi(status_line->c_str() + 9);
  for (;;) {
    auto line = read_line();
    if (!line) return std::nullopt;
    if (line->empty()) break;
    std::size_t colon = line->find(':');
    std::string name = line->substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t value_start = line->find_first_not_of(' ', colon + 1);
    r.headers[name] = value_start == std::string::npos ? "" : line->substr(value_start);
  }
  return r;
}

inline std::optional<std::string> Client::read_chunk() {
  auto size_line = read_line();
  if (!size_line) return std::nullopt;
  std::size_t size = std::strtoul(size_line->c_str(), nullptr, 16);
  std::string data;
  if (!read_exact(size, data)) return std::nullopt;
  auto crlf = read_line();  // the CRLF after the data (or after the last chunk's trailers)
  if (!crlf) return std::nullopt;
  return data;
}

inline std::optional<Response> Client::read_response() {
  auto r = read_head();
  if (!r) return std::nullopt;
  if (r->header("transfer-encoding") == "chunked") {
    for (;;) {
      auto chunk = read_chunk();
      if (!chunk) return std::nullopt;
      if (chunk->empty()) break;
      r->body += *chunk;
    }
    return r;
  }
  std::size_t length = std::strtoul(r->header("content-length").c_str(), nullptr, 10);
  if (!read_exact(length, r->body)) return std::nullopt;
  return r;
}

inline std::string Client::read_until_closed() {
  while (fill()) {
  }
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

inline bool Client::send_get(std::string_view path, std::string_view extra_headers) {
  return send(fmt::format("GET {} HTTP/1.1\r\nHost: test\r\n{}\r\n", path, extra_headers));
}

inline bool Client::send_post(std::string_view path, std::string_view body, std::string_view extra_headers) {
  return send(fmt::format("POST {} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                          "Content-Length: {}\r\n{}\r\n{}",
                          path, body.size(), extra_headers, body));
}

inline std::optional<Response> Client::get(std::string_view path, std::string_view extra_headers) {
  if (!send_get(path, extra_headers)) return std::nullopt;
  return read_response();
}

inline std::optional<Response> Client::post(std::string_view path, std::string_view body,
                                     std::string_view extra_headers) {
  if (!send_post(path, body, extra_headers)) return std::nullopt;
  return read_response();
}

}  // namespace anvil::server::testing
