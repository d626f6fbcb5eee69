// Reading the dates and times found in records (CSV cells, JSON values) into the one form Anvil
// stores: ISO 8601 UTC with second precision, "2024-03-01T08:00:00Z".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace anvil::rag::loaders {

// Accepts YYYY-MM-DD or YYYY/MM/DD, optionally followed by 'T' or ' ' and HH:MM[:SS[.fraction]]
// and a zone (Z, +HH:MM, +HHMM, +HH; none = UTC); and Chinese dates "2024年3月5日" optionally
// followed by HH:MM[:SS]. Surrounding spaces are ignored. nullopt when the text is none of these
// or names an impossible date. Validation is core::parse_timestamp's.
std::optional<std::string> parse_timestamp(std::string_view text);

// Unix time in seconds, or milliseconds when the value is >= 1e11 (i.e. after 1973 in ms).
std::optional<std::string> timestamp_from_unix(double value);

// A JSON value as a timestamp: strings through parse_timestamp, numbers through
// timestamp_from_unix; anything else nullopt.
std::optional<std::string> timestamp_from_json(const boost::json::value& value);

}  // namespace anvil::rag::loaders
