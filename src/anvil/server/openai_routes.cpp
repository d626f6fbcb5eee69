#include "anvil/server/openai_routes.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "anvil/core/json.h"
#include "anvil/core/log.h"
#include "anvil/server/api_error.h"
#include "anvil/server/failure_status.h"
#include "anvil/server/openai_schema.h"
#include "anvil/server/sse_sink.h"

namespace anvil::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using gateway::Operation;

namespace {

constexpr std::string_view kJson = "application/json";

ApiError bad_request(std::string param, std::string message) {
  ApiError e;
  e.status = 400;
  e.param = std::move(param);
  e.message = std::move(message);
  return e;
}

ApiError model_not_found(const gateway::Gateway& gw, std::string_view model) {
  std::string known;
  std::size_t listed = 0;
  auto models = gw.models();
  for (const auto& m : models) {
    if (listed == 10) {
      known += fmt::format(", ... ({} in all)", models.size());
      break;
    }
    if (listed++ > 0) known += ", ";
    known += m.id;
  }
  ApiError e;
  e.status = 404;
  e.param = "model";
  e.code = "model_not_found";
  e.message = known.empty()
                  ? fmt::format("The model '{}' does not exist: this server has no models "
                                "configured",
                                model)
                  : fmt::format("The model '{}' does not exist: expected one of {}", model, known);
  return e;
}

void add_result_headers(Exchange& ex, const gateway::CallResult& r) {
  if (!r.deployment.empty()) ex.add_header("X-Anvil-Deployment", r.deployment);
  if (r.cached_fallback) {
    ex.add_header("X-Anvil-Cache", "fallback");
  } else if (r.cache_hit) {
    ex.add_header("X-Anvil-Cache", "hit");
  }
}

std::string_view chunk_object(Operation op) {
  return op == Operation::kCompletions ? "text_completion" : "chat.completion.chunk";
}

asio::awaitable<void> stream_call(Exchange& ex, gateway::Gateway& gw, Operation op,
                                  json::object body, const gateway::CallContext& context,
                                  const RequestInfo& info, bool include_usage) {
  SseSink sink(ex, chunk_object(op), info.model);
  gateway::CallResult result = co_await gw.stream(op, std::move(body), context, sink);
  if (!result.ok()) {
    ApiError error = error_for_failure(*result.failure, info.model);
    if (sink.client_gone() || result.failure->kind == gateway::FailureKind::kCancelled) {
      ex.close_after();
      if (!ex.answered()) co_await respond_error(ex, error);
      co_return;
    }
    if (!sink.started()) {
      add_result_headers(ex, result);
      co_await respond_error(ex, error);
      co_return;
    }
    co_await sink.write_error(error);
    co_return;
  }
  if (!sink.started()) add_result_headers(ex, result);
  if (include_usage) {
    bool sent = co_await sink.write_usage(result.usage);
    if (!sent) co_return;
  }
  co_await sink.finish();
}

asio::awaitable<void> handle_call(Exchange& ex, gateway::Gateway& gw, Operation op,
                                  const OpenAiRouteOptions& options) {
  auto parsed = core::parse_json(ex.request().body());
  if (!parsed.ok()) {
    co_await respond_error(ex, bad_request("", fmt::format("The request body is not valid JSON: {}",
                                                           parsed.status().message())));
    co_return;
  }
  if (!parsed->is_object()) {
    co_await respond_error(
        ex, bad_request("", fmt::format("The request body must be a JSON object: expected an "
                                        "object, found {}",
                                        core::describe_json(*parsed))));
    co_return;
  }
  json::object body = std::move(parsed->as_object());
  RequestShape shape;
  if (auto invalid = validate_openai_request(op, body, shape)) {
    co_await respond_error(ex, bad_request(std::move(invalid->param), std::move(invalid->message)));
    co_return;
  }
  RequestInfo info;
  info.op = op;
  info.model = std::string(shape.model);
  info.stream = shape.stream;
  if (!gw.has_model(info.model)) {
    co_await respond_error(ex, model_not_found(gw, info.model));
    co_return;
  }
  add_metadata_tags(body, info.tags);
  if (auto header = ex.request().header("X-Anvil-Tags"); !header.empty()) {
    if (auto invalid = parse_tags_header(header, info.tags)) {
      co_await respond_error(ex, bad_request("", std::move(invalid->message)));
      co_return;
    }
  }
  gateway::CallContext context;
  context.request_id = ex.request_id();
  context.deadline = ex.started() + options.request_timeout;
  // TODO(ledger): pass `info.tags` and the API key to the usage ledger once keys and the
  // ledger land (issue 4); authentication fills context.key_id and context.tenant.

  if (shape.stream) {
    co_await stream_call(ex, gw, op, std::move(body), context, info, shape.include_usage);
    co_return;
  }
  gateway::CallResult result = co_await gw.complete(op, std::move(body), context);
  add_result_headers(ex, result);
  if (!result.ok()) {
    if (result.failure->kind == gateway::FailureKind::kCancelled) ex.close_after();
    co_await respond_error(ex, error_for_failure(*result.failure, info.model));
    co_return;
  }
  co_await ex.respond(result.response.http_status, kJson, result.response.body);
}

asio::awaitable<void> handle_models(Exchange& ex, const gateway::Gateway& gw) {
  json::array data;
  for (const gateway::ModelInfo& m : gw.models()) {
    json::object o;
    o["id"] = m.id;
    o["object"] = "model";
    o["created"] = 0;
    o["owned_by"] = m.owned_by;
    data.push_back(std::move(o));
  }
  json::object list;
  list["object"] = "list";
  list["data"] = std::move(data);
  co_await ex.respond(200, kJson, json::serialize(list));
}

}  // namespace

void add_openai_routes(Router& router, gateway::Gateway& gateway,
                       const OpenAiRouteOptions& options) {
  router.add(http::verb::get, "/v1/models",
             [&gateway](Exchange& ex) { return handle_models(ex, gateway); });
  for (Operation op : {Operation::kChatCompletions, Operation::kCompletions,
                       Operation::kEmbeddings, Operation::kRerank}) {
    router.add(
        http::verb::post, std::string(gateway::operation_path(op)),
        [&gateway, op, options](Exchange& ex) { return handle_call(ex, gateway, op, options); },
        /*admitted=*/true);
  }
}

}  // namespace anvil::server
