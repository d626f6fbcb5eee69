#include "anvil/core/log_format.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "anvil/core/clock.h"

namespace anvil::core::log {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid (overlong
// forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      case '\b': out += "\\b"; ++i; continue;
      case '\f': out += "\\f"; ++i; continue;
      default: break;
    }
    if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
      ++i;
      continue;
    }
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
}

// Text format: escapes control characters so that a record stays on one line.
void append_escaped_text(std::string& out, std::string_view s, bool escape_quotes) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (escape_quotes && (ch == '"' || ch == '\\')) {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\u{:04X}", c);
    } else {
      out += ch;
    }
  }
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || ch == '"' || ch == '=' || ch == '\\') return true;
  }
  return false;
}

std::string number_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

void append_text_value(std::string& out, const FieldValue& value) {
  struct Visitor {
    std::string& out;
    void operator()(const std::string& s) const {
      if (needs_quotes(s)) {
        out += '"';
        append_escaped_text(out, s, /*escape_quotes=*/true);
        out += '"';
      } else {
        out += s;
      }
    }
    void operator()(std::int64_t v) const { out += fmt::format("{}", v); }
    void operator()(std::uint64_t v) const { out += fmt::format("{}", v); }
    void operator()(double v) const { out += number_text(v); }
    void operator()(bool v) const { out += v ? "true" : "false"; }
  };
  std::visit(Visitor{out}, value.get());
}

void append_json_value(std::string& out, const FieldValue& value) {
  struct Visitor {
    std::string& out;
    void operator()(const std::string& s) const { append_json_string(out, s); }
    void operator()(std::int64_t v) const { out += fmt::format("{}", v); }
    void operator()(std::uint64_t v) const { out += fmt::format("{}", v); }
    void operator()(double v) const { out += std::isfinite(v) ? fmt::format("{}", v) : "null"; }
    void operator()(bool v) const { out += v ? "true" : "false"; }
  };
  std::visit(Visitor{out}, value.get());
}

std::string_view upper_level_name(Level level) {
  switch (level) {
    case Level::kTrace: return "TRACE";
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO ";
    case Level::kWarn: return "WARN ";
    case Level::kError: return "ERROR";
    case Level::kOff: return "OFF  ";
  }
  return "?    ";
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "unknown";
}

Result<Level> parse_level(std::string_view text) {
  std::string t(text);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "warning") return Level::kWarn;
  for (Level level : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError,
                      Level::kOff}) {
    if (t == level_name(level)) return level;
  }
  return Status::invalid_argument(fmt::format(
      "expected a log level (trace, debug, info, warn, error, off), found '{}'", text));
}

Result<Format> parse_format(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return Status::invalid_argument(
      fmt::format("expected a log format (text, json), found '{}'", text));
}

std::string format_text(const Record& record) {
  std::string out = format_timestamp_millis(record.time);
  out += ' ';
  out += upper_level_name(record.level);
  out += ' ';
  append_escaped_text(out, record.message, /*escape_quotes=*/false);
  for (const Field& field : record.fields) {
    out += ' ';
    for (char c : field.key) out += (needs_quotes(std::string_view(&c, 1)) ? '_' : c);
    out += '=';
    append_text_value(out, field.value);
  }
  return out;
}

std::string format_json(const Record& record) {
  std::string out = "{\"ts\":\"";
  out += format_timestamp_millis(record.time);
  out += "\",\"level\":\"";
  out += level_name(record.level);
  out += "\",\"msg\":";
  append_json_string(out, record.message);
  for (const Field& field : record.fields) {
    out += ',';
    if (field.key == "ts" || field.key == "level" || field.key == "msg") {
      append_json_string(out, "_" + field.key);
    } else {
      append_json_string(out, field.key);
    }
    out += ':';
    append_json_value(out, field.value);
  }
  out += '}';
  return out;
}

std::string format_record(const Record& record, Format format) {
  return format == Format::kJson ? format_json(record) : format_text(record);
}

}  // namespace anvil::core::log
