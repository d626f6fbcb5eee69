#include "fake_upstream/routes.h"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "anvil/core/json.h"
#include "fake_upstream/content.h"
#include "fake_upstream/http_wire.h"

namespace anvil::fake {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;
using Request = http::request<http::string_body>;

constexpr std::string_view kJson = "application/json";

std::string_view header(const Request& request, std::string_view name) {
  auto it = request.find(name);
  if (it == request.end()) return {};
  return it->value();
}

Outcome write(const Reply& reply, bool keep_alive, std::string_view extra_headers = {}) {
  Outcome out;
  out.keep_alive = keep_alive;
  out.bytes = full_response(reply.status, kJson, reply.body, keep_alive, extra_headers);
  return out;
}

Outcome control(const Request& request, std::string_view path, SharedState& shared) {
  bool keep_alive = request.keep_alive();
  if (path == "/fake/stats" && request.method() == http::verb::get) {
    return write({200, json::serialize(shared.stats.to_json())}, keep_alive);
  }
  if (path == "/fake/script" && request.method() == http::verb::post) {
    auto queued = shared.plan.script(request.body());
    if (!queued.ok()) return write(error_reply(400, queued.status().message()), keep_alive);
    return write({200, fmt::format("{{\"queued\":{}}}", *queued)}, keep_alive);
  }
  if (path == "/fake/reset" && request.method() == http::verb::post) {
    shared.stats.clear();
    shared.plan.clear_script();
    shared.prompts.clear();
    return write({200, "{\"reset\":true}"}, keep_alive);
  }
  return write(error_reply(404, fmt::format("unknown control route '{}': expected GET "
                                            "/fake/stats, POST /fake/script or POST /fake/reset",
                                            path)),
               keep_alive);
}

Outcome stream(const Generation& g, SharedState& shared, bool keep_alive,
               std::string_view extra_headers) {
  Outcome out;
  out.kind = Outcome::Kind::kStream;
  out.keep_alive = keep_alive;
  std::string headers = "Cache-Control: no-cache\r\n";
  headers += extra_headers;
  out.bytes = response_head(200, "text/event-stream", -1, keep_alive, headers);
  out.events = generation_events(g, shared.created);
  out.cut_after = shared.options.cut_stream_after;
  return out;
}

void remember(ThreadState& thread, std::string key, const Reply& reply) {
  constexpr size_t kMaxReplies = 4096;
  constexpr size_t kMaxBytes = 64 * 1024;
  if (reply.status != 200 || reply.body.size() > kMaxBytes) return;
  if (thread.replies.size() >= kMaxReplies) thread.replies.clear();
  thread.replies.emplace(std::move(key), reply.body);
}

Outcome api(const Request& request, std::string_view path, SharedState& shared,
            ThreadState& thread, std::string_view extra_headers) {
  bool keep_alive = request.keep_alive();
  bool post = request.method() == http::verb::post;
  bool chat = path == "/v1/chat/completions";
  bool known = chat || path == "/v1/completions" || path == "/v1/embeddings" ||
               path == "/v1/rerank" || path == "/v1/models";
  if (!known) {
    return write(error_reply(404, fmt::format("unknown route '{}'", path)), keep_alive,
                 extra_headers);
  }
  if (path == "/v1/models") {
    if (request.method() != http::verb::get) {
      return write(error_reply(405, "GET /v1/models expected"), keep_alive, extra_headers);
    }
    return write({200, models_body(shared.options, shared.created)}, keep_alive, extra_headers);
  }
  if (!post) {
    return write(error_reply(405, fmt::format("POST {} expected", path)), keep_alive, extra_headers);
  }
  // Repeated identical requests get their body from the thread's cache (only while nothing
  // else varies the answer: no prompt cache): one lookup instead of a parse and a generation.
  bool cacheable = !shared.options.prompt_cache;
  std::string key;
  if (cacheable) {
    key.reserve(path.size() + request.body().size() + 1);
    key.append(path).push_back('\n');
    key.append(request.body());
    if (auto it = thread.replies.find(key); it != thread.replies.end()) {
      return write({200, it->second}, keep_alive, extra_headers);
    }
  }
  auto parsed = core::parse_json(request.body());
  if (!parsed.ok() || !parsed->is_object()) {
    std::string why = parsed.ok() ? "the body is not a JSON object" : parsed.status().message();
    return write(error_reply(400, fmt::format("expected a JSON object body: {}", why)), keep_alive,
                 extra_headers);
  }
  const json::object& body = parsed->get_object();
  if (chat || path == "/v1/completions") {
    Planned planned = plan_generation(chat, body, shared.options);
    if (planned.error) return write(*planned.error, keep_alive, extra_headers);
    Generation& g = planned.generation;
    if (shared.options.prompt_cache && shared.prompts.seen_before(g.prompt_hash)) {
      g.cached_tokens = g.prompt_tokens;
    }
    if (g.stream) return stream(g, shared, keep_alive, extra_headers);
    Reply reply{200, generation_body(g, shared.created)};
    if (cacheable) remember(thread, std::move(key), reply);
    return write(reply, keep_alive, extra_headers);
  }
  Reply reply = path == "/v1/embeddings" ? embeddings_reply(body, shared.options) : rerank_reply(body);
  if (cacheable) remember(thread, std::move(key), reply);
  return write(reply, keep_alive, extra_headers);
}

}  // namespace

Outcome handle_request(const Request& request, SharedState& shared, ThreadState& thread) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with("/fake/")) return control(request, path, shared);

  bool keep_alive = request.keep_alive();
  std::string_view request_id = header(request, "X-Request-Id");
  std::string extra_headers;
  if (!request_id.empty()) extra_headers = fmt::format("X-Request-Id: {}\r\n", request_id);

  const auto& key = shared.options.api_key;
  if (!key.empty() && header(request, "Authorization") != "Bearer " + key) {
    shared.stats.record(path, request_id, "unauthorized");
    return write(error_reply(401, "Incorrect API key provided.", "invalid_api_key"), keep_alive,
                 extra_headers);
  }
  auto fault = shared.plan.choose(header(request, "X-Fake-Fault"), thread.rng);
  if (!fault.ok()) {
    shared.stats.record(path, request_id, "bad-fault");
    return write(error_reply(400, fault.status().message(), "", "X-Fake-Fault"), keep_alive,
                 extra_headers);
  }
  shared.stats.record(path, request_id, fault_label(*fault));
  int delay_ms = shared.options.latency_ms + shared.options.first_byte_ms;
  Outcome out;
  switch (fault->kind) {
    case FaultKind::kHang:
      out.kind = Outcome::Kind::kHang;
      return out;
    case FaultKind::kReset:
      out.kind = Outcome::Kind::kReset;
      out.delay_ms = delay_ms;
      return out;
    case FaultKind::kStatus: {
      if (fault->retry_after_s) {
        extra_headers += fmt::format("Retry-After: {}\r\n", *fault->retry_after_s);
      }
      std::string_view code = fault->status == 429 ? "rate_limit_exceeded" : "";
      out = write(error_reply(fault->status,
                              fmt::format("fake upstream: injected fault {}", fault->status), code),
                  keep_alive, extra_headers);
      out.delay_ms = delay_ms;
      return out;
    }
    case FaultKind::kSlowFirstByte:
      delay_ms += fault->delay_ms;
      break;
    case FaultKind::kCutAfter:
    case FaultKind::kNone:
      break;
  }
  out = api(request, path, shared, thread, extra_headers);
  out.delay_ms = delay_ms;
  if (fault->kind == FaultKind::kCutAfter && out.kind == Outcome::Kind::kStream) {
    out.cut_after = fault->count;
  }
  return out;
}

}  // namespace anvil::fake
