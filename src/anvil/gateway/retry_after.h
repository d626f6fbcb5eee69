// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date, as a delay clamped to
// [0 s, 60 s] so that an upstream cannot park a request for longer than a retry is worth.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace anvil::gateway {

inline constexpr std::chrono::milliseconds kMaxRetryAfter{60000};

// "120" -> 60 s (clamped), "1.5" -> 1500 ms, "Wed, 21 Oct 2015 07:28:00 GMT" -> that time minus
// `now` (0 when past); also the obsolete RFC 850 and asctime date forms. Unparsable: nullopt.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// OpenAI's "retry-after-ms" header: milliseconds, clamped the same way.
std::optional<std::chrono::milliseconds> parse_retry_after_ms(std::string_view value);

}  // namespace anvil::gateway
