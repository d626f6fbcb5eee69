// A collection's BM25 index as the application sees it: the index file, the collection's analyzer,
// and the catch-up that replays the store's change log (chunks and tombstones after the index's
// applied seq), so an index file older than the database — after a crash — is never stale.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/app/data_dir.h"
#include "anvil/core/status.h"
#include "anvil/rag/analyzer.h"
#include "anvil/rag/bm25_index.h"
#include "anvil/store/kb_store.h"

namespace anvil::app {

class CollectionIndex {
 public:
  // Loads the index file (an empty index when there is none yet) and catches up with the store.
  static core::Result<std::unique_ptr<CollectionIndex>> open(store::KbStore& store, const DataDir& dir,
                                                             const store::CollectionRecord& collection);

  // Applies the store's changes after applied_seq(): removes tombstoned chunks, adds new ones.
  core::Status catch_up(store::KbStore& store);

  // Analyzes and adds one stored chunk (used by ingest for chunks it just wrote).
  core::Status add(const store::StoredChunk& chunk);
  core::Status add_terms(int64_t chunk_id, const std::vector<std::string>& terms, const boost::json::object& fields);
  // Removing a chunk the index does not hold is a no-op (it was added and deleted while the
  // index was not looking).
  core::Status remove(int64_t chunk_id);
  void set_applied_seq(int64_t seq);
  int64_t applied_seq() const;

  core::Status save() const;

  const rag::Analyzer& analyzer() const { return *analyzer_; }
  const rag::Bm25Index& bm25() const { return bm25_; }
  const store::CollectionRecord& collection() const { return collection_; }

 private:
  CollectionIndex(store::CollectionRecord c, std::shared_ptr<const rag::Analyzer> a, rag::Bm25Index idx,
                  std::filesystem::path path)
      : collection_(std::move(c)), analyzer_(std::move(a)), bm25_(std::move(idx)), path_(std::move(path)) {}
  store::CollectionRecord collection_;
  std::shared_ptr<const rag::Analyzer> analyzer_;
  rag::Bm25Index bm25_;
  std::filesystem::path path_;
};

// The text BM25 indexes for a chunk: its heading path, then its body.
std::string index_text(const std::vector<std::string>& heading_path, std::string_view text);
std::string index_text(const store::StoredChunk& chunk);

// The metadata a chunk can be filtered on: its document's metadata plus "page" when known.
boost::json::object filter_fields(const boost::json::object& document_metadata, std::optional<int> page);

}  // namespace anvil::app
