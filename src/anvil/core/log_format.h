// Log records and their two line formats: human text ("2026-11-29T06:30:00.123Z INFO  msg k=v")
// and JSON lines ({"ts":...,"level":"info","msg":...,"k":"v"}). Pure functions, so tests can
// check exact output; log.h decides when and where lines are written.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::core::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class Format { kText, kJson };

// "trace", "debug", "info", "warn", "error", "off".
std::string_view level_name(Level level);
// Case-insensitive; "warning" is accepted for "warn". Error:
// "expected a log level (trace, debug, info, warn, error, off), found 'loud'".
Result<Level> parse_level(std::string_view text);
// "text" or "json".
Result<Format> parse_format(std::string_view text);

// A field value keeps its type so JSON lines carry numbers and booleans as such.
class FieldValue {
 public:
  using Variant = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;

  FieldValue(std::string v) : v_(std::move(v)) {}                // NOLINT(google-explicit-constructor)
  FieldValue(std::string_view v) : v_(std::string(v)) {}         // NOLINT(google-explicit-constructor)
  FieldValue(const char* v) : v_(std::string(v)) {}              // NOLINT(google-explicit-constructor)
  FieldValue(bool v) : v_(v) {}                                  // NOLINT(google-explicit-constructor)
  FieldValue(double v) : v_(v) {}                                // NOLINT(google-explicit-constructor)
  FieldValue(float v) : v_(static_cast<double>(v)) {}            // NOLINT(google-explicit-constructor)
  template <std::signed_integral T>
  FieldValue(T v) : v_(static_cast<std::int64_t>(v)) {}          // NOLINT(google-explicit-constructor)
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  FieldValue(T v) : v_(static_cast<std::uint64_t>(v)) {}         // NOLINT(google-explicit-constructor)

  const Variant& get() const { return v_; }
  Variant& get() { return v_; }

 private:
  Variant v_;
};

struct Field {
  std::string key;
  FieldValue value;
};

struct Record {
  std::chrono::system_clock::time_point time;
  Level level = Level::kInfo;
  std::string message;
  std::vector<Field> fields;
};

// `2026-11-29T06:30:00.123Z INFO  ingested 3 files collection=docs path="a b.txt"`: UTC time in
// milliseconds, level upper-case padded to 5, the message, then logfmt fields (values quoted when
// empty or holding spaces, '"', '=' or control characters). Control characters in the message
// are escaped (\n, \t, \u001B) so one record is always one line. No trailing newline.
std::string format_text(const Record& record);

// `{"ts":"2026-11-29T06:30:00.123Z","level":"info","msg":"ingested 3 files","collection":"docs"}`:
// fields follow in order with their JSON types; non-finite numbers become null; strings are
// escaped per RFC 8259 and invalid UTF-8 becomes U+FFFD. Fields named ts, level or msg are
// written as _ts, _level, _msg so they cannot shadow the record's own. No trailing newline.
std::string format_json(const Record& record);

std::string format_record(const Record& record, Format format);

}  // namespace anvil::core::log
