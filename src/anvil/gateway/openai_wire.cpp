#include "anvil/gateway/openai_wire.h"

#include <optional>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "anvil/gateway/retry_after.h"

namespace anvil::gateway {
namespace {

namespace json = boost::json;

int64_t int_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<int64_t>(value->get_double());
  return 0;
}

std::string_view string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

std::string shorten(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

}  // namespace

Usage parse_usage(const json::object& usage) {
  Usage out;
  out.reported = true;
  out.prompt_tokens = int_field(usage, "prompt_tokens");
  out.completion_tokens = int_field(usage, "completion_tokens");
  if (!usage.contains("prompt_tokens") && usage.contains("total_tokens")) {
    out.prompt_tokens = int_field(usage, "total_tokens") - out.completion_tokens;
  }
  if (const auto* details = usage.if_contains("prompt_tokens_details");
      details && details->is_object()) {
    out.cached_tokens = int_field(details->get_object(), "cached_tokens");
  }
  return out;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + 10)) {
    text.replace(at, secret.size(), "[REDACTED]");
  }
  return text;
}

UpstreamFailure failure_from_answer(const ErrorAnswer& answer, std::string_view deployment,
                                    std::string_view secret,
                                    std::chrono::system_clock::time_point now) {
  UpstreamFailure failure;
  failure.kind = FailureKind::kHttpStatus;
  failure.http_status = answer.status;
  failure.body = redact(std::string(answer.body), secret);
  if (!answer.retry_after_ms.empty()) failure.retry_after = parse_retry_after_ms(answer.retry_after_ms);
  if (!failure.retry_after && !answer.retry_after.empty()) {
    failure.retry_after = parse_retry_after(answer.retry_after, now);
  }
  std::string_view code;
  std::string_view message;
  boost::system::error_code ec;
  json::value parsed = json::parse(answer.body, ec);
  if (!ec && parsed.is_object()) {
    if (const auto* error = parsed.get_object().if_contains("error"); error && error->is_object()) {
      code = string_field(error->get_object(), "code");
      message = string_field(error->get_object(), "message");
    } else if (const auto* detail = parsed.get_object().if_contains("message")) {
      if (detail->is_string()) message = detail->get_string();
    }
  }
  bool overflow = code == "context_length_exceeded" ||
                  (answer.status == 400 && message.find("maximum context length") != std::string_view::npos);
  if (overflow) failure.kind = FailureKind::kContextOverflow;
  std::string what = message.empty() ? shorten(answer.body, 200) : shorten(message, 200);
  failure.message = redact(
      fmt::format("deployment '{}': upstream answered HTTP {}{}: {}", deployment, answer.status,
                  overflow ? " (context length exceeded)" : "", what),
      secret);
  return failure;
}

}  // namespace anvil::gateway
