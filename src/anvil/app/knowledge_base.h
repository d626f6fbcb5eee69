// The knowledge-base use cases behind the CLI and the HTTP API: collections, ingest and search
// over one data directory.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "anvil/app/collection_index.h"
#include "anvil/app/data_dir.h"
#include "anvil/app/ingest.h"
#include "anvil/core/status.h"
#include "anvil/store/kb_store.h"

namespace anvil::app {

struct SearchRequest {
  std::string query;
  size_t k = 10;
  std::string filter;  // the text filter language (docs/FILTERS.md); empty = none
};

struct SearchHit {
  int rank = 0;        // 1-based
  double score = 0;
  store::StoredChunk chunk;
  std::string snippet;  // a short window of the chunk around the query's terms
};

struct CollectionInfo {
  store::CollectionRecord collection;
  store::CollectionStats stats;
  int64_t index_documents = 0;
  int64_t index_terms = 0;
  int64_t index_bytes = 0;
};

class KnowledgeBase {
 public:
  static core::Result<KnowledgeBase> open(const std::filesystem::path& data_dir);

  // Validates the name (1-64 of A-Z a-z 0-9 _ - .), the language and the chunking settings.
  core::Result<store::CollectionRecord> create_collection(const store::CollectionSpec& spec);
  core::Result<store::CollectionRecord> get_collection(const std::string& name);
  core::Result<std::vector<store::CollectionRecord>> list_collections();
  core::Status delete_collection(const std::string& name);
  core::Result<CollectionInfo> info(const std::string& name);

  // Ingests into `collection`; `spec` creates it first when it does not exist yet.
  core::Result<IngestReport> ingest(const std::string& collection, const std::vector<std::filesystem::path>& paths,
                                    const IngestOptions& options, const IngestProgressFn& progress = {},
                                    const std::optional<store::CollectionSpec>& spec = std::nullopt);

  core::Result<std::vector<SearchHit>> search(const std::string& collection, const SearchRequest& request);

  // The loaded, caught-up index of a collection (cached across calls of this object).
  core::Result<CollectionIndex*> index(const std::string& collection);

  store::KbStore& store() { return *store_; }
  const DataDir& data_dir() const { return dir_; }

 private:
  KnowledgeBase(DataDir dir, std::unique_ptr<store::KbStore> store) : dir_(std::move(dir)), store_(std::move(store)) {}
  DataDir dir_;
  std::unique_ptr<store::KbStore> store_;
  std::unordered_map<int64_t, std::unique_ptr<CollectionIndex>> indexes_;
};

}  // namespace anvil::app
