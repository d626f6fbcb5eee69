#include "anvil/gateway/http_endpoint.h"

#include <charconv>

#include <boost/url/parse.hpp>
#include <fmt/format.h>

namespace anvil::gateway {

core::Result<HttpEndpoint> parse_endpoint(std::string_view base_url) {
  auto parsed = boost::urls::parse_absolute_uri(base_url);
  if (!parsed) {
    return core::Status::invalid_argument(fmt::format(
        "base URL '{}': expected an absolute URL such as http://127.0.0.1:8081/v1 ({})", base_url,
        parsed.error().message()));
  }
  const auto& url = *parsed;
  HttpEndpoint endpoint;
  std::string_view scheme = url.scheme();
  if (scheme == "https") {
    endpoint.tls = true;
    endpoint.port = 443;
  } else if (scheme != "http") {
    return core::Status::invalid_argument(fmt::format(
        "base URL '{}': expected the scheme http or https, found '{}'", base_url, scheme));
  }
  if (url.has_userinfo() || url.has_query() || url.has_fragment()) {
    return core::Status::invalid_argument(fmt::format(
        "base URL '{}': expected no user info, query or fragment", base_url));
  }
  endpoint.host = url.host_address();
  if (endpoint.host.empty()) {
    return core::Status::invalid_argument(fmt::format("base URL '{}': expected a host", base_url));
  }
  if (url.has_port()) {
    std::string_view port = url.port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return core::Status::invalid_argument(fmt::format(
          "base URL '{}': expected a port in 1..65535, found '{}'", base_url, port));
    }
    endpoint.port = static_cast<uint16_t>(value);
  }
  endpoint.base_path = std::string(url.encoded_path());
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') {
    endpoint.base_path.pop_back();
  }
  bool ipv6 = url.host_type() == boost::urls::host_type::ipv6;
  std::string host_for_header = ipv6 ? "[" + endpoint.host + "]" : endpoint.host;
  bool default_port = endpoint.port == (endpoint.tls ? 443 : 80);
  endpoint.host_header =
      default_port ? host_for_header : fmt::format("{}:{}", host_for_header, endpoint.port);
  endpoint.pool_key =
      fmt::format("{}://{}:{}", endpoint.tls ? "https" : "http", host_for_header, endpoint.port);
  return endpoint;
}

}  // namespace anvil::gateway
