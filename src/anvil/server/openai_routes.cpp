#include "anvil/server/openai_routes.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "anvil/core/json.h"
#include "anvil/core/log.h"
#include "anvil/gateway/usage_record.h"
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

// The usage-ledger record of one authenticated request, written when the handler ends, whatever
// path it took: what the client got (status, latency) is read from the exchange then.
class LedgerEntry {
 public:
  LedgerEntry(gateway::UsageLedger* ledger, const Exchange& ex, const gateway::Principal& caller)
      : ledger_(ledger), ex_(ex) {
    const auto since_arrival = std::chrono::steady_clock::now() - ex.started();
    const auto arrived = std::chrono::system_clock::now() - since_arrival;
    record.time_us =
        std::chrono::duration_cast<std::chrono::microseconds>(arrived.time_since_epoch()).count();
    record.request_id = ex.request_id();
    record.key_id = caller.key_id;
    record.tenant = caller.tenant;
    record.outcome = "error:internal";
  }
  ~LedgerEntry() {
    if (ledger_ == nullptr) return;
    record.http_status = ex_.status();
    record.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ex_.started()).count();
    core::Status s = ledger_->record(std::move(record));
    if (!s.ok()) core::log::warn("usage ledger: request {} not recorded: {}", ex_.request_id(), s.message());
  }
  LedgerEntry(const LedgerEntry&) = delete;
  LedgerEntry& operator=(const LedgerEntry&) = delete;

  // The request as the server understood it.
  void describe(const RequestInfo& info) {
    record.model = info.model;
    record.operation = std::string(gateway::operation_name(info.op));
    record.stream = info.stream;
    for (const auto& [key, value] : info.tags) {
      record.tags.push_back(value.empty() ? key : key + "=" + value);
    }
  }
  // What the gateway call came to.
  void settle(const gateway::CallResult& result) { gateway::add_call_result(record, result); }

  store::UsageRecord record;

 private:
  gateway::UsageLedger* ledger_;
  const Exchange& ex_;
};

asio::awaitable<void> stream_call(Exchange& ex, gateway::Gateway& gw, Operation op,
                                  json::object body, const gateway::CallContext& context,
                                  const RequestInfo& info, bool include_usage,
                                  gateway::CallResult& result) {
  SseSink sink(ex, chunk_object(op), info.model);
  result = co_await gw.stream(op, std::move(body), context, sink);
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

std::string_view prompt_param(Operation op) {
  switch (op) {
    case Operation::kChatCompletions: return "messages";
    case Operation::kCompletions: return "prompt";
    case Operation::kEmbeddings: return "input";
    case Operation::kRerank: return "documents";
  }
  return "";
}

// The prompt-token limit that applies: the model's, or the key's when lower.
struct PromptLimit {
  std::int64_t tokens = 0;            // 0: none
  const gateway::Principal* key = nullptr;  // set when the key's limit is the one that applies
};

// 400 when the largest prompt of the request is over the limit, naming both numbers.
std::optional<ApiError> check_prompt_limit(Operation op, std::string_view model,
                                           const gateway::PromptCount& count, const PromptLimit& limit) {
  if (limit.tokens <= 0 || count.largest <= limit.tokens) return std::nullopt;
  std::string param(prompt_param(op));
  if (count.largest_index >= 0 && op != Operation::kChatCompletions) {
    param += fmt::format("[{}]", count.largest_index);
  }
  const std::string counted =
      count.exact ? fmt::format("counted with the tokenizer of deployment '{}'", count.counted_with)
                  : std::string("estimated: no tokenizer is configured for this model's deployments");
  ApiError e = bad_request(param, fmt::format("The prompt ({}) has {} tokens, over the limit of {} "
                                              "prompt tokens of {} ({}); Anvil never truncates a "
                                              "prompt",
                                              param, count.largest, limit.tokens,
                                              limit.key != nullptr
                                                  ? fmt::format("API key '{}'", limit.key->name)
                                                  : fmt::format("model '{}'", model),
                                              counted));
  e.code = "prompt_too_long";
  return e;
}

ApiError limit_error(const gateway::LimitExceeded& over, const gateway::Principal& caller) {
  ApiError e;
  e.status = 429;
  e.type = std::string(kRateLimit);
  e.message = over.message(caller.name);
  e.code = over.kind == gateway::LimitKind::kBudget ? "insufficient_quota" : "rate_limit_exceeded";
  e.retry_after = over.retry_after;
  return e;
}

std::int64_t requested_completion_tokens(const json::object& body) {
  for (std::string_view key : {"max_completion_tokens", "max_tokens"}) {
    const json::value* v = body.if_contains(key);
    if (v != nullptr && v->is_int64()) return std::max<std::int64_t>(0, v->as_int64());
    if (v != nullptr && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  }
  return 0;
}

asio::awaitable<void> handle_call(Exchange& ex, gateway::Gateway& gw, Operation op,
                                  const OpenAiRouteOptions& options) {
  Caller caller = co_await authenticate_or_answer(ex, options.auth);
  if (!caller) co_return;
  LedgerEntry entry(options.ledger, ex, *caller);
  RequestInfo info;
  info.op = op;
  entry.describe(info);
  // A coroutine itself, so that `error` lives in its frame while the answer is written.
  const auto refuse = [&](ApiError error, std::string_view outcome) -> asio::awaitable<void> {
    entry.record.outcome = fmt::format("error:{}", outcome);
    co_await respond_error(ex, error);
  };

  auto parsed = core::parse_json(ex.request().body());
  if (!parsed.ok()) {
    co_await refuse(bad_request("", fmt::format("The request body is not valid JSON: {}",
                                                parsed.status().message())),
                    "invalid_request");
    co_return;
  }
  if (!parsed->is_object()) {
    co_await refuse(bad_request("", fmt::format("The request body must be a JSON object: expected "
                                                "an object, found {}",
                                                core::describe_json(*parsed))),
                    "invalid_request");
    co_return;
  }
  json::object body = std::move(parsed->as_object());
  RequestShape shape;
  if (auto invalid = validate_openai_request(op, body, shape)) {
    co_await refuse(bad_request(std::move(invalid->param), std::move(invalid->message)),
                    "invalid_request");
    co_return;
  }
  info.model = std::string(shape.model);
  info.stream = shape.stream;
  add_metadata_tags(body, info.tags);
  if (auto header = ex.request().header("X-Anvil-Tags"); !header.empty()) {
    if (auto invalid = parse_tags_header(header, info.tags)) {
      co_await refuse(bad_request("", std::move(invalid->message)), "invalid_request");
      co_return;
    }
  }
  entry.describe(info);
  if (!gw.has_model(info.model)) {
    co_await refuse(model_not_found(gw, info.model), "model_not_found");
    co_return;
  }

  auto count = gw.count_prompt_tokens(info.model, op, body);
  if (!count.ok()) {
    co_await refuse(bad_request(std::string(prompt_param(op)), count.status().message()),
                    "invalid_request");
    co_return;
  }
  PromptLimit limit{gw.max_prompt_tokens(info.model)};
  if (caller->limits.max_prompt_tokens > 0 &&
      (limit.tokens <= 0 || caller->limits.max_prompt_tokens < limit.tokens)) {
    limit = {caller->limits.max_prompt_tokens, caller.get()};
  }
  if (auto over = check_prompt_limit(op, info.model, *count, limit)) {
    co_await refuse(std::move(*over), "prompt_too_long");
    co_return;
  }
  const std::int64_t estimated_tokens = count->total + requested_completion_tokens(body);
  const bool limited = options.limiter != nullptr && !caller->admin;
  if (limited) {
    if (auto over = options.limiter->admit(caller->key_id, caller->limits, estimated_tokens)) {
      co_await refuse(limit_error(*over, *caller),
                      over->kind == gateway::LimitKind::kBudget ? "budget_exceeded" : "rate_limited");
      co_return;
    }
  }

  gateway::CallContext context;
  context.request_id = ex.request_id();
  context.key_id = caller->key_id;
  context.tenant = caller->tenant;
  context.deadline = ex.started() + options.request_timeout;
  context.prompt_tokens = count->largest;

  gateway::CallResult result;
  if (shape.stream) {
    co_await stream_call(ex, gw, op, std::move(body), context, info, shape.include_usage, result);
  } else {
    result = co_await gw.complete(op, std::move(body), context);
    add_result_headers(ex, result);
    if (!result.ok()) {
      if (result.failure->kind == gateway::FailureKind::kCancelled) ex.close_after();
      co_await respond_error(ex, error_for_failure(*result.failure, info.model));
    } else {
      co_await ex.respond(result.response.http_status, kJson, result.response.body);
    }
  }
  if (limited) {
    options.limiter->settle(caller->key_id, estimated_tokens,
                            result.usage.prompt_tokens + result.usage.completion_tokens);
  }
  entry.settle(result);
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
