// UTC timestamps: ISO 8601 / RFC 3339 text to and from unix seconds, for document metadata,
// job records and logs. Chinese sources often carry "+08:00" offsets; they are honoured.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::core {

// Parses, into seconds since 1970-01-01T00:00:00Z:
//   "2024-03-01"                    midnight UTC (or at `assumed_offset_minutes` when given)
//   "2024-03-01T08:00:00Z"          'T', 't' or ' ' between date and time; seconds optional
//   "2024-03-01T16:00:00+08:00"     offsets +HH:MM, +HHMM, +HH, -HH:MM...
//   "2024-03-01T08:00:00.250Z"      fractional seconds ('.' or ','), floored to the second
// A date-time without 'Z' or an offset is ambiguous and an error, unless `assumed_offset_minutes`
// says which offset to assume (e.g. 480 for data known to be written in China Standard Time).
// Years are 0000-9999; leap seconds (":60") are rejected. Errors quote the text.
Result<std::int64_t> parse_timestamp(std::string_view text,
                                     std::optional<int> assumed_offset_minutes = std::nullopt);

// As parse_timestamp, in microseconds since the epoch: the fraction of a second is kept (digits
// beyond the sixth are dropped). Metadata filters compare instants at this resolution.
Result<std::int64_t> parse_timestamp_micros(std::string_view text,
                                            std::optional<int> assumed_offset_minutes = std::nullopt);

// "2024-03-01T08:00:00Z".
std::string format_timestamp(std::int64_t unix_seconds);

// "2024-03-01T08:00:00Z", or "2024-03-01T08:00:00.250000Z" when there is a fraction.
std::string format_timestamp_micros(std::int64_t unix_micros);

// The same instant at a fixed offset: format_timestamp(t, 480) -> "2024-03-01T16:00:00+08:00".
std::string format_timestamp(std::int64_t unix_seconds, int offset_minutes);

// "2024-03-01": the UTC calendar date.
std::string format_date(std::int64_t unix_seconds);

// "2024-03-01T08:00:00.123Z": millisecond precision, floored; used by the log line format.
std::string format_timestamp_millis(std::chrono::system_clock::time_point time);

// Seconds since the epoch, now.
std::int64_t unix_now();

}  // namespace anvil::core
