#include "anvil/server/sse_sink.h"

#include <chrono>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace anvil::server {

namespace json = boost::json;

SseSink::SseSink(Exchange& exchange, std::string_view object, std::string_view model)
    : exchange_(exchange), object_(object), model_(model) {}

boost::asio::awaitable<bool> SseSink::ensure_started() {
  bool ok = true;
  if (!exchange_.streaming()) {
    exchange_.add_header("Cache-Control", "no-cache");
    ok = co_await exchange_.start_stream(200, "text/event-stream; charset=utf-8");
    if (!ok) client_gone_ = true;
  }
  co_return ok;
}

void SseSink::remember_identity(std::string_view chunk) {
  have_identity_ = true;
  boost::system::error_code ec;
  json::value v = json::parse(chunk, ec);
  if (ec || !v.is_object()) return;
  const json::object& o = v.get_object();
  if (const auto* id = o.if_contains("id"); id != nullptr && id->is_string()) id_ = id->get_string();
  if (const auto* m = o.if_contains("model"); m != nullptr && m->is_string()) model_ = m->get_string();
  if (const auto* c = o.if_contains("created"); c != nullptr && c->is_int64()) created_ = c->get_int64();
  if (const auto* t = o.if_contains("object"); t != nullptr && t->is_string()) object_ = t->get_string();
}

boost::asio::awaitable<bool> SseSink::write_event(std::string_view json) {
  if (client_gone_) co_return false;
  if (!have_identity_) remember_identity(json);
  bool ok = co_await ensure_started();
  if (ok) ok = co_await exchange_.write_chunk("data: ", json, "\n\n");
  if (!ok) client_gone_ = true;
  co_return ok;
}

std::string usage_chunk_json(std::string_view id, std::string_view object, std::int64_t created,
                             std::string_view model, const gateway::Usage& usage) {
  json::object u;
  u["prompt_tokens"] = usage.prompt_tokens;
  u["completion_tokens"] = usage.completion_tokens;
  u["total_tokens"] = usage.prompt_tokens + usage.completion_tokens;
  json::object details;
  details["cached_tokens"] = usage.cached_tokens;
  u["prompt_tokens_details"] = std::move(details);
  json::object chunk;
  chunk["id"] = id;
  chunk["object"] = object;
  chunk["created"] = created;
  chunk["model"] = model;
  chunk["choices"] = json::array();
  chunk["usage"] = std::move(u);
  return json::serialize(chunk);
}

boost::asio::awaitable<bool> SseSink::write_usage(const gateway::Usage& usage) {
  if (client_gone_) co_return false;
  if (id_.empty()) id_ = "chatcmpl-" + exchange_.request_id();
  if (created_ == 0) {
    created_ = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  }
  std::string chunk = usage_chunk_json(id_, object_, created_, model_, usage);
  bool ok = co_await ensure_started();
  if (ok) ok = co_await exchange_.write_chunk("data: ", chunk, "\n\n");
  if (!ok) client_gone_ = true;
  co_return ok;
}

boost::asio::awaitable<bool> SseSink::write_error(const ApiError& error) {
  if (client_gone_) co_return false;
  exchange_.close_after();
  std::string body = api_error_body(error);
  bool ok = co_await ensure_started();
  if (ok) ok = co_await exchange_.write_chunk("event: error\ndata: ", body, "\n\n");
  if (ok) ok = co_await exchange_.end_stream();
  if (!ok) client_gone_ = true;
  co_return ok;
}

boost::asio::awaitable<bool> SseSink::finish() {
  if (client_gone_) co_return false;
  bool ok = co_await ensure_started();
  if (ok) ok = co_await exchange_.write_chunk("data: [DONE]\n\n");
  if (ok) ok = co_await exchange_.end_stream();
  if (!ok) client_gone_ = true;
  co_return ok;
}

}  // namespace anvil::server
