#include "anvil/gateway/usage_record.h"

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

namespace anvil::gateway {

std::string usage_outcome(const CallResult& result) {
  if (result.failure) return "error:" + std::string(failure_kind_name(result.failure->kind));
  if (result.cached_fallback) return "cached_fallback";
  if (result.cache_hit) return "cache_hit";
  return "ok";
}

store::UsageRecord make_usage_record(const CallContext& context, std::string_view logical_model, Operation op,
                                     bool stream, const CallResult& result) {
  store::UsageRecord r;
  r.request_id = context.request_id;
  r.key_id = context.key_id;
  r.tenant = context.tenant;
  r.model = std::string(logical_model);
  r.deployment = result.deployment;
  r.operation = std::string(operation_name(op));
  r.prompt_tokens = result.usage.prompt_tokens;
  r.completion_tokens = result.usage.completion_tokens;
  r.cached_tokens = result.usage.cached_tokens;
  r.cost_usd = result.cost_usd;
  r.upstream_latency_ms = std::chrono::duration<double, std::milli>(result.upstream_latency).count();
  r.outcome = usage_outcome(result);
  r.attempts = result.attempts;
  r.fallbacks = result.fallbacks;
  r.stream = stream;
  return r;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

core::Status add_tag(std::vector<std::string>& tags, std::string tag, std::string_view source) {
  if (tag.size() > kMaxTagBytes) {
    return core::Status::invalid_argument(fmt::format("{}: expected tags of at most {} bytes, found one of {} "
                                                      "bytes starting '{}'",
                                                      source, kMaxTagBytes, tag.size(), tag.substr(0, 32)));
  }
  tags.push_back(std::move(tag));
  return {};
}

}  // namespace

core::Result<std::vector<std::string>> request_tags(const boost::json::object* metadata,
                                                    std::string_view tags_header) {
  std::vector<std::string> tags;
  if (metadata) {
    for (const auto& [key, value] : *metadata) {
      std::string text;
      if (value.is_string()) {
        text = std::string(value.get_string());
      } else if (value.is_object() || value.is_array()) {
        return core::Status::invalid_argument(fmt::format(
            "metadata: expected string values, found {} under '{}'", value.is_object() ? "an object" : "an array",
            std::string_view(key)));
      } else {
        text = boost::json::serialize(value);
      }
      ANVIL_RETURN_IF_ERROR(add_tag(tags, std::string(key) + ":" + text, "metadata"));
    }
  }
  while (!tags_header.empty()) {
    size_t comma = tags_header.find(',');
    std::string_view item = trim(tags_header.substr(0, comma));
    tags_header = comma == std::string_view::npos ? std::string_view{} : tags_header.substr(comma + 1);
    if (!item.empty()) ANVIL_RETURN_IF_ERROR(add_tag(tags, std::string(item), "X-Anvil-Tags"));
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  if (tags.size() > kMaxTags) {
    return core::Status::invalid_argument(
        fmt::format("tags: expected at most {} per request (metadata and X-Anvil-Tags together), found {}", kMaxTags,
                    tags.size()));
  }
  return tags;
}

}  // namespace anvil::gateway
