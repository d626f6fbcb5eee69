// Where an HTTP upstream lives, parsed once from a base URL ("https://api.openai.com/v1"): scheme,
// host, port, base path, and the key of its connection pool.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::gateway {

struct HttpEndpoint {
  bool tls = false;        // https
  std::string host;        // "api.openai.com", "127.0.0.1", "::1" (no brackets)
  uint16_t port = 80;
  std::string base_path;   // "/v1"; "" for the root; never ends with '/'
  std::string host_header; // the Host header: "host" on the scheme's port, else "host:port"
  std::string pool_key;    // "https://api.openai.com:443": connections are shared per key
};

// Accepts http:// and https:// URLs without user info, query or fragment. Errors say what was
// expected: "base URL 'ftp://x': expected the scheme http or https, found 'ftp'".
core::Result<HttpEndpoint> parse_endpoint(std::string_view base_url);

}  // namespace anvil::gateway
