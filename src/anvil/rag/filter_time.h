// ISO 8601 timestamps for metadata filters: dates and datetimes in metadata strings and filter
// literals become microseconds since 1970-01-01T00:00:00Z so that they compare as instants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anvil::rag {

// Accepts "YYYY-MM-DD", optionally followed by 'T' (or ' ') and "HH:MM", "HH:MM:SS" or
// "HH:MM:SS.fraction" (up to 9 digits; kept to the microsecond), optionally followed by 'Z',
// "+HH:MM", "+HHMM" or "+HH" (or '-'). No offset means UTC. A date alone is its midnight, UTC.
// Returns std::nullopt for anything else, including impossible dates (2023-02-29, 24:00).
std::optional<int64_t> parse_iso8601_micros(std::string_view text);

// The instant as "YYYY-MM-DDTHH:MM:SSZ", with ".ffffff" when it has a fraction of a second.
std::string format_iso8601_micros(int64_t micros);

// Days from 1970-01-01 to the proleptic Gregorian date y-m-d (negative before 1970).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

}  // namespace anvil::rag
