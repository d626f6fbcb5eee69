// Tags of a request, for the usage ledger: the string values of the body's `metadata` object
// and the `X-Anvil-Tags` header ("team=search, env=prod"; a bare word is a tag with an empty
// value). The header wins over metadata for the same key.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/server/schema_checks.h"

namespace anvil::server {

inline constexpr std::size_t kMaxTags = 16;
inline constexpr std::size_t kMaxTagKey = 64;
inline constexpr std::size_t kMaxTagValue = 512;

using RequestTags = std::vector<std::pair<std::string, std::string>>;  // sorted by key, unique

// Parses the header into `tags` (merged, header last). Errors name the header and the item:
// "invalid 'X-Anvil-Tags': expected at most 16 tags, found 17".
std::optional<ValidationError> parse_tags_header(std::string_view header, RequestTags& tags);

// Adds the string values of body["metadata"] (already validated as an object of strings).
void add_metadata_tags(const boost::json::object& body, RequestTags& tags);

}  // namespace anvil::server
