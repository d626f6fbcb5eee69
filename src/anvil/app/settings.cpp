#include "anvil/app/settings.h"

namespace anvil::app {

using core::Result;

const core::ConfigSchema& settings_schema() {
  static const core::ConfigSchema kSchema = [] {
    core::ConfigSchema s;
    s.add_string("data_dir", "./anvil-data", "Where anvil.db and the index files live")
        .add_choice("log.level", "warn", {"trace", "debug", "info", "warn", "error"}, "Least severe level logged")
        .add_choice("log.format", "text", {"text", "json"}, "Log lines as human text or JSON lines")
        .add_string("secrets.dir", "/run/secrets", "Folder of secret files, one per secret name")
        .add_string("secrets.env_file", ".env", "dotenv file read for secrets in development")
        .add_choice("collection.language", "auto", {"auto", "en", "zh"}, "Analyzer of new collections")
        .add_int("chunk.size", 512, "Chunk size of new collections, in tokens", 16, 65536)
        .add_int("chunk.overlap", 64, "Overlap between consecutive chunks, in tokens", 0, 65535)
        .add_double("bm25.k1", 0.9, "BM25 term-frequency saturation of new collections", 0, 10)
        .add_double("bm25.b", 0.4, "BM25 document-length normalization of new collections", 0, 1)
        .add_string("server.host", "127.0.0.1", "Address `anvil serve` listens on (0.0.0.0: every interface)")
        .add_int("server.port", 8080, "Port `anvil serve` listens on (0: any free port, printed)", 0, 65535)
        .add_int("server.threads", 0, "I/O threads of the server (0: one per core)", 0, 1024)
        .add_int("server.max_header_bytes", 16384, "Largest request line + headers, in bytes (over: 431)", 1024, 1048576)
        .add_int("server.max_body_bytes", 8388608, "Largest request body, in bytes (over: 413)", 1024, 1073741824)
        .add_int("server.header_timeout_ms", 10000, "Time from a request's first byte to the end of its headers", 1, 3600000)
        .add_int("server.body_timeout_ms", 30000, "Time from the end of the headers to the end of the body", 1, 3600000)
        .add_int("server.idle_timeout_ms", 60000, "How long an idle keep-alive connection waits for a request", 1, 3600000)
        .add_int("server.send_timeout_ms", 30000, "Longest single write to a client before it is dropped", 1, 3600000)
        .add_int("server.max_connections", 10000, "Open client connections at most (more are closed at once)", 1, 10000000)
        .add_int("server.max_in_flight", 1024, "API requests running at once; more wait in the queue", 1, 1000000)
        .add_int("server.queue_depth", 1024, "API requests waiting for a slot; more are answered 429", 0, 1000000)
        .add_int("server.queue_timeout_ms", 30000, "Longest wait of a queued API request for a slot (then 503 with Retry-After)", 1, 3600000)
        .add_int("server.retry_after_s", 1, "Retry-After of the server's own 429 and 503 answers, in seconds", 0, 3600)
        .add_int("server.request_timeout_ms", 600000, "Deadline of one API call through the gateway", 1, 86400000)
        .add_int("server.drain_timeout_ms", 30000, "On SIGTERM/SIGINT: how long in-flight requests may finish", 0, 3600000)
        .add_external_table("gateway");  // read by gateway/gateway_config.h
    return s;
  }();
  return kSchema;
}

Result<Settings> load_settings(const std::string& config_file, const std::map<std::string, std::string>& environment,
                               const std::vector<std::pair<std::string, std::string>>& flags) {
  std::optional<std::filesystem::path> path;
  if (!config_file.empty()) {
    path = config_file;
  } else if (auto it = environment.find("ANVIL_CONFIG"); it != environment.end() && !it->second.empty()) {
    path = it->second;
  } else {
    std::error_code ec;
    if (std::filesystem::exists("anvil.toml", ec)) path = "anvil.toml";
  }
  ANVIL_ASSIGN_OR_RETURN(auto config, core::Config::load(settings_schema(), path, environment, flags));
  Settings s{std::move(config), path};
  ANVIL_ASSIGN_OR_RETURN(auto data_dir, s.config.get_string("data_dir"));
  s.data_dir = data_dir;
  ANVIL_ASSIGN_OR_RETURN(s.log_level, s.config.get_string("log.level"));
  ANVIL_ASSIGN_OR_RETURN(s.log_format, s.config.get_string("log.format"));
  auto& c = s.collection_defaults;
  ANVIL_ASSIGN_OR_RETURN(c.language, s.config.get_string("collection.language"));
  ANVIL_ASSIGN_OR_RETURN(auto size, s.config.get_int("chunk.size"));
  ANVIL_ASSIGN_OR_RETURN(auto overlap, s.config.get_int("chunk.overlap"));
  c.chunk_size = static_cast<int>(size);
  c.chunk_overlap = static_cast<int>(overlap);
  ANVIL_ASSIGN_OR_RETURN(c.bm25_k1, s.config.get_double("bm25.k1"));
  ANVIL_ASSIGN_OR_RETURN(c.bm25_b, s.config.get_double("bm25.b"));
  return s;
}

}  // namespace anvil::app
