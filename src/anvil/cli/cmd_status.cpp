// `anvil status [--url URL] [--json]`: asks a running `anvil serve` for GET /v1/admin/status and
// prints its deployments with their circuit breakers and the server's load. The URL defaults to
// the server.host / server.port settings; the admin key (secret ANVIL_ADMIN_KEY), when set, is
// sent as a Bearer token. Exit 1 with the reason when the server cannot be reached or refuses.
#include <chrono>
#include <cstdio>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "anvil/cli/context.h"
#include "anvil/cli/secret_store.h"
#include "anvil/cli/status_table.h"
#include "anvil/gateway/http_client.h"
#include "anvil/gateway/http_endpoint.h"

namespace anvil::cli {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr std::string_view kAdminKeySecret = "ANVIL_ADMIN_KEY";
constexpr std::string_view kStatusPath = "/v1/admin/status";

// "http://127.0.0.1:8080" from server.host / server.port; a wildcard address is reached on the
// loopback of the same family.
core::Result<std::string> default_url(const app::Settings& settings) {
  ANVIL_ASSIGN_OR_RETURN(std::string host, settings.config.get_string("server.host"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t port, settings.config.get_int("server.port"));
  if (port == 0) {
    return core::Status::invalid_argument(
        "server.port is 0 (any free port), so the server's address is unknown: pass --url with "
        "the address `anvil serve` printed");
  }
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("http://{}:{}", host, port);
}

// The admin key, or "" when no secret ANVIL_ADMIN_KEY is set (a server without one answers).
core::Result<std::string> admin_key(const app::Settings& settings) {
  ANVIL_ASSIGN_OR_RETURN(core::SecretStore secrets, open_secret_store(settings));
  auto key = secrets.get(kAdminKeySecret);
  if (!key.ok() && key.status().code() == core::StatusCode::kNotFound) return std::string();
  return key;
}

struct Fetched {
  int status = 0;
  std::string body;
};

// GET `url` + kStatusPath on a private io_context; a failure to connect or to read is an error
// naming the URL.
core::Result<Fetched> fetch_status(const std::string& url, const std::string& key) {
  ANVIL_ASSIGN_OR_RETURN(gateway::HttpEndpoint endpoint, gateway::parse_endpoint(url));
  gateway::HttpRequest request{http::verb::get, endpoint.base_path + std::string(kStatusPath), 11};
  if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
  gateway::HttpCallLimits limits;
  limits.connect_timeout = std::chrono::seconds(5);
  limits.first_byte_timeout = std::chrono::seconds(10);
  limits.idle_timeout = std::chrono::seconds(10);
  limits.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);

  asio::io_context io(1);
  gateway::HttpClient client;
  std::optional<gateway::HttpError> error;
  Fetched fetched;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        gateway::HttpResult result = co_await client.send(endpoint, request, limits);
        if (!result.ok()) {
          error = std::move(result.error);
          co_return;
        }
        fetched.status = result.response->status();
        error = co_await result.response->read_body(fetched.body);
      },
      asio::detached);
  io.run();
  if (error) {
    return core::Status::unavailable(fmt::format(
        "cannot get the status from the Anvil server at {}: {} (is `anvil serve` running there? "
        "--url names another address)",
        url, error->message));
  }
  return fetched;
}

void status(Context& ctx, const std::string& url_flag, bool as_json) {
  auto settings = ctx.settings();
  if (!settings.ok()) return ctx.fail(settings.status());
  std::string url = url_flag;
  if (url.empty()) {
    auto d = default_url(*settings);
    if (!d.ok()) return ctx.fail(d.status());
    url = *d;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto key = admin_key(*settings);
  if (!key.ok()) return ctx.fail(key.status());
  auto fetched = fetch_status(url, *key);
  if (!fetched.ok()) return ctx.fail(fetched.status());
  if (fetched->status == 401 || fetched->status == 403) {
    return ctx.fail(core::Status::permission_denied(fmt::format(
        "the server at {} refused the status request ({}): expected the admin key in the secret "
        "{}{}",
        url, fetched->status, kAdminKeySecret, key->empty() ? ", which is not set" : "")));
  }
  if (fetched->status != 200) {
    return ctx.fail(core::Status::unavailable(
        fmt::format("expected 200 from GET {}{}, found {}: {}", url, kStatusPath, fetched->status,
                    fetched->body.substr(0, 300))));
  }
  if (as_json) {
    std::printf("%s\n", fetched->body.c_str());
    return;
  }
  auto table = render_status_table(fetched->body, url);
  if (!table.ok()) return ctx.fail(table.status());
  std::fputs(table->c_str(), stdout);
}

}  // namespace

void register_status(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "status", "Show a running server's deployments, circuit breakers and load");
  auto url = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("--url", *url,
                  "The server, e.g. http://127.0.0.1:8080 (default: from server.host and server.port)");
  cmd->add_flag("--json", *as_json, "Print the JSON of GET /v1/admin/status");
  cmd->callback([&ctx, url, as_json] { status(ctx, *url, *as_json); });
}

}  // namespace anvil::cli
