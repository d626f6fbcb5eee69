#include "anvil/server/request_tags.h"

#include <algorithm>

#include <fmt/format.h>

namespace anvil::server {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void put(RequestTags& tags, std::string_view key, std::string_view value) {
  auto it = std::lower_bound(tags.begin(), tags.end(), key,
                             [](const auto& tag, std::string_view k) { return tag.first < k; });
  if (it != tags.end() && it->first == key) {
    it->second = std::string(value);
  } else {
    tags.emplace(it, std::string(key), std::string(value));
  }
}

}  // namespace

void add_metadata_tags(const boost::json::object& body, RequestTags& tags) {
  const boost::json::value* metadata = field(body, "metadata");
  if (metadata == nullptr || !metadata->is_object()) return;
  for (const auto& kv : metadata->get_object()) {
    if (kv.value().is_string()) put(tags, kv.key(), kv.value().get_string());
  }
}

std::optional<ValidationError> parse_tags_header(std::string_view header, RequestTags& tags) {
  auto fail = [](std::string message) {
    return ValidationError{"", fmt::format("invalid 'X-Anvil-Tags': {}", message)};
  };
  std::size_t count = 0;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    std::string_view key = trim(item.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? std::string_view() : trim(item.substr(eq + 1));
    if (key.empty()) return fail(fmt::format("expected key=value items, found '{}'", item));
    if (key.size() > kMaxTagKey) {
      return fail(fmt::format("expected keys of at most {} characters, found {}", kMaxTagKey,
                              key.size()));
    }
    if (value.size() > kMaxTagValue) {
      return fail(fmt::format("expected values of at most {} characters, found {} for '{}'",
                              kMaxTagValue, value.size(), key));
    }
    if (++count > kMaxTags) {
      return fail(fmt::format("expected at most {} tags, found more", kMaxTags));
    }
    put(tags, key, value);
  }
  return std::nullopt;
}

}  // namespace anvil::server
