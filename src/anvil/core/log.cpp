#include "anvil/core/log.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <memory>

#include "anvil/core/redactor.h"

namespace anvil::core::log {
namespace {

// What a line needs besides itself. Replaced whole, so a writer never sees half a change.
struct Destination {
  std::shared_ptr<spdlog::logger> logger;
  Format format = Format::kText;
};

std::shared_ptr<spdlog::logger> make_logger(spdlog::sink_ptr sink) {
  // spdlog adds only the newline: timestamp, level and fields are already in the line.
  sink->set_pattern("%v");
  auto logger = std::make_shared<spdlog::logger>("anvil", std::move(sink));
  logger->set_level(spdlog::level::trace);  // filtering happens before formatting, in enabled()
  logger->flush_on(spdlog::level::trace);   // every line reaches the OS: logs survive a crash
  return logger;
}

std::atomic<int>& level_storage() {
  static std::atomic<int> level{static_cast<int>(Level::kInfo)};
  return level;
}

std::atomic<std::shared_ptr<const Destination>>& destination_storage() {
  static std::atomic<std::shared_ptr<const Destination>> destination{
      std::make_shared<const Destination>(
          Destination{make_logger(std::make_shared<spdlog::sinks::stderr_sink_mt>()),
                      Format::kText})};
  return destination;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

void install(std::shared_ptr<spdlog::logger> logger, Level level, Format format) {
  destination_storage().store(
      std::make_shared<const Destination>(Destination{std::move(logger), format}));
  set_level(level);
}

}  // namespace

Status configure(const Options& options) {
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file.string(),
                                                                 /*truncate=*/false);
    } catch (const std::exception& e) {
      return Status::io(fmt::format("cannot open log file '{}': {}", options.file.string(),
                                    e.what()));
    }
  }
  install(make_logger(std::move(sink)), options.level, options.format);
  return {};
}

void configure_stream(std::ostream& out, Level level, Format format) {
  install(make_logger(std::make_shared<spdlog::sinks::ostream_sink_mt>(out, /*force_flush=*/true)),
          level, format);
}

void set_level(Level level) { level_storage().store(static_cast<int>(level)); }

Level level() { return static_cast<Level>(level_storage().load(std::memory_order_relaxed)); }

bool enabled(Level lvl) {
  return lvl != Level::kOff &&
         static_cast<int>(lvl) >= level_storage().load(std::memory_order_relaxed);
}

void write(Level lvl, std::string message, const std::vector<Field>& fields) {
  if (!enabled(lvl)) return;
  Record record{std::chrono::system_clock::now(), lvl, redact(message), fields};
  for (Field& field : record.fields) {
    if (auto* s = std::get_if<std::string>(&field.value.get())) *s = redact(*s);
  }
  std::shared_ptr<const Destination> dest = destination_storage().load();
  std::string line = format_record(record, dest->format);
  dest->logger->log(to_spdlog(lvl), spdlog::string_view_t(line.data(), line.size()));
}

Logger Logger::with(std::string key, FieldValue value) const& {
  Logger copy = *this;
  return std::move(copy).with(std::move(key), std::move(value));
}

Logger Logger::with(std::string key, FieldValue value) && {
  for (Field& field : fields_) {
    if (field.key == key) {
      field.value = std::move(value);
      return std::move(*this);
    }
  }
  fields_.push_back({std::move(key), std::move(value)});
  return std::move(*this);
}

Logger with(std::string key, FieldValue value) {
  return Logger().with(std::move(key), std::move(value));
}

void flush() { destination_storage().load()->logger->flush(); }

}  // namespace anvil::core::log
