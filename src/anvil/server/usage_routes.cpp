#include "anvil/server/usage_routes.h"

#include <string>
#include <variant>

#include <boost/json/serialize.hpp>
#include <boost/url/parse_query.hpp>
#include <fmt/format.h>

#include "anvil/server/offload.h"

namespace anvil::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

UsageReports::UsageReports(std::filesystem::path database) : database_(std::move(database)) {}

UsageReports::~UsageReports() { worker_.join(); }

core::Result<app::UsageReport> UsageReports::run(const store::UsageQuery& query) {
  if (!usage_) {
    ANVIL_ASSIGN_OR_RETURN(store::UsageStore usage, store::UsageStore::open(database_));
    ANVIL_ASSIGN_OR_RETURN(store::KeyStore keys, store::KeyStore::open(database_));
    usage_.emplace(std::move(usage));
    keys_.emplace(std::move(keys));
  }
  return app::usage_report(*usage_, &*keys_, query);
}

asio::awaitable<core::Result<app::UsageReport>> UsageReports::report(store::UsageQuery query) {
  co_return co_await offload(worker_, [this, &query] { return run(query); });
}

namespace {

struct UsageParams {
  std::string from, to, group_by;
};

// from, to and group_by of the query string, percent-decoded; other parameters are an error.
std::variant<UsageParams, ApiError> read_params(std::string_view query) {
  UsageParams p;
  // Boost.URL 1.81's params view reads its last value up to a NUL, past the end of the view it
  // was given (the query is a view into the request line): parse a terminated copy.
  const std::string terminated(query);
  auto params = boost::urls::parse_query(terminated);
  if (!params) {
    ApiError e;
    e.message = fmt::format("the query string is not valid: {}", params.error().message());
    return e;
  }
  for (auto param : *params) {
    const std::string key = param.key.decode();
    std::string* slot = key == "from" ? &p.from : key == "to" ? &p.to : key == "group_by" ? &p.group_by : nullptr;
    if (slot == nullptr) {
      ApiError e;
      e.param = key;
      e.message = fmt::format("unknown query parameter '{}': expected from, to or group_by", key);
      return e;
    }
    *slot = param.value.decode();
  }
  return p;
}

asio::awaitable<void> handle_usage(Exchange& ex, UsageReports& reports, const Authenticator* auth) {
  Caller caller = co_await authenticate_or_answer(ex, auth);
  if (!caller) co_return;
  if (!caller->admin) {
    co_await respond_error(ex, admin_only("GET /v1/usage", *caller));
    co_return;
  }
  auto params = read_params(ex.request().query());
  if (auto* e = std::get_if<ApiError>(&params)) {
    co_await respond_error(ex, *e);
    co_return;
  }
  const UsageParams& p = std::get<UsageParams>(params);
  auto query = app::parse_usage_query(p.from, p.to, p.group_by);
  if (!query.ok()) {
    ApiError e;
    e.message = query.status().message();
    co_await respond_error(ex, e);
    co_return;
  }
  auto report = co_await reports.report(*query);
  if (!report.ok()) {
    ApiError e;
    e.status = 500;
    e.type = std::string(kServerError);
    e.message = fmt::format("the usage ledger could not be read: {}", report.status().message());
    co_await respond_error(ex, e);
    co_return;
  }
  co_await ex.respond(200, "application/json", boost::json::serialize(app::usage_report_json(*report)));
}

}  // namespace

void add_usage_routes(Router& router, UsageReports& reports, const Authenticator* auth) {
  router.add(http::verb::get, "/v1/usage",
             [&reports, auth](Exchange& ex) { return handle_usage(ex, reports, auth); });
}

}  // namespace anvil::server
