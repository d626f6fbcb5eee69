// Anvil's logging: `core::log::info("ingested {} files", n)`, with structured key/value fields
// (`core::log::with("collection", name).warn(...)`), as text or JSON lines, to stderr, a file or
// a stream. Every line has registered secrets redacted before it is written. Built on spdlog.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "anvil/core/log_format.h"
#include "anvil/core/status.h"

namespace anvil::core::log {

struct Options {
  Level level = Level::kInfo;
  Format format = Format::kText;
  std::filesystem::path file;  // empty: stderr; otherwise appended to (created if missing)
};

// Replaces the process-wide destination; safe while other threads log. Until the first call,
// lines go to stderr as text at level info. A file that cannot be opened is kIo naming it.
Status configure(const Options& options);

// Sends lines to `out` (tests, embedding). `out` must outlive its use: until the next configure.
void configure_stream(std::ostream& out, Level level, Format format);

void set_level(Level level);
Level level();
// Whether a line at `level` would be written; cheap (one atomic load).
bool enabled(Level level);

// Writes one record. Redaction is applied here, to the message and to string field values.
void write(Level level, std::string message, const std::vector<Field>& fields = {});

// Fields attached to every line written through it. Cheap to copy; build one per request or
// job and pass it down: `auto lg = log::with("request_id", id); lg.info("done in {} ms", ms);`
class Logger {
 public:
  Logger() = default;

  // A copy with one more field; a field of the same key is replaced.
  Logger with(std::string key, FieldValue value) const&;
  Logger with(std::string key, FieldValue value) &&;

  template <typename... Args>
  void log(Level lvl, fmt::format_string<Args...> format, Args&&... args) const {
    if (!enabled(lvl)) return;
    write(lvl, fmt::format(format, std::forward<Args>(args)...), fields_);
  }
  template <typename... Args>
  void trace(fmt::format_string<Args...> f, Args&&... args) const {
    log(Level::kTrace, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) const {
    log(Level::kDebug, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) const {
    log(Level::kInfo, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warn(fmt::format_string<Args...> f, Args&&... args) const {
    log(Level::kWarn, f, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) const {
    log(Level::kError, f, std::forward<Args>(args)...);
  }

  const std::vector<Field>& fields() const { return fields_; }

 private:
  std::vector<Field> fields_;
};

// A Logger with one field: `log::with("collection", "docs").with("files", 3).info("ingested")`.
Logger with(std::string key, FieldValue value);

template <typename... Args>
void trace(fmt::format_string<Args...> f, Args&&... args) {
  Logger().trace(f, std::forward<Args>(args)...);
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  Logger().debug(f, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  Logger().info(f, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  Logger().warn(f, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  Logger().error(f, std::forward<Args>(args)...);
}

// Writes whatever the destination buffers.
void flush();

}  // namespace anvil::core::log
