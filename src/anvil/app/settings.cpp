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
        .add_double("bm25.b", 0.4, "BM25 document-length normalization of new collections", 0, 1);
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
  Settings s{std::move(config)};
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
