// Persistence of knowledge bases in anvil.db: collections, the source files ingested into them,
// their documents and chunks, and the change log (seq numbers, tombstones) that keeps index files
// in step with the database after a crash.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/store/sqlite.h"

namespace anvil::store {

struct CollectionSpec {
  std::string name;
  std::string tenant;
  std::string language = "auto";
  int chunk_size = 512;
  int chunk_overlap = 64;
  double bm25_k1 = 0.9;
  double bm25_b = 0.4;
};

struct CollectionRecord : CollectionSpec {
  int64_t id = 0;
  std::string created_at;
  int64_t change_seq = 0;  // the seq of the last committed change
};

struct CollectionStats {
  int64_t sources = 0;
  int64_t documents = 0;
  int64_t chunks = 0;
  int64_t text_bytes = 0;
  int64_t tokens = 0;
};

struct SourceRecord {
  int64_t id = 0;
  std::string path;
  std::string content_hash;
  int64_t size_bytes = 0;
  int64_t mtime = 0;
};

struct DocumentRow {
  std::string uri;
  std::string type;
  std::string title;
  std::optional<std::string> timestamp;  // ISO 8601 UTC
  std::string metadata_json = "{}";
  std::string content_hash;
};

struct ChunkRow {
  int64_t id = 0;
  int64_t document_id = 0;
  int ordinal = 0;
  std::string text;
  int64_t char_start = 0;
  int64_t char_end = 0;
  int token_count = 0;
  std::string heading_path_json = "[]";
  std::optional<int> page;
  int64_t seq = 0;
};

// A chunk with what search results and indexes need to know of its document.
struct StoredChunk {
  ChunkRow chunk;
  std::string document_uri;
  std::string document_type;
  std::string document_title;
  std::string document_metadata_json;
};

class KbStore;

// Replaces everything one source file contributed to a collection, in one transaction: a crash
// before commit() leaves the previous version intact. Documents keep their id and bump their
// version when re-ingested; documents the new version no longer has are deleted at commit.
class SourceWriter {
 public:
  SourceWriter(SourceWriter&&) = default;
  ~SourceWriter() = default;

  core::Result<int64_t> add_document(const DocumentRow& doc);
  core::Result<int64_t> add_chunk(int64_t document_id, const ChunkRow& chunk);
  core::Status commit();
  int64_t seq() const { return seq_; }

 private:
  friend class KbStore;
  SourceWriter(Database* db, Transaction tx, int64_t collection_id, int64_t source_id, int64_t seq,
               Statement upsert_doc, Statement insert_chunk, Statement drop_chunks, Statement unstale)
      : db_(db), tx_(std::move(tx)), collection_id_(collection_id), source_id_(source_id), seq_(seq),
        upsert_doc_(std::move(upsert_doc)), insert_chunk_(std::move(insert_chunk)),
        drop_chunks_(std::move(drop_chunks)), unstale_(std::move(unstale)) {}
  Database* db_;
  Transaction tx_;
  int64_t collection_id_;
  int64_t source_id_;
  int64_t seq_;
  Statement upsert_doc_, insert_chunk_, drop_chunks_, unstale_;
};

class KbStore {
 public:
  static core::Result<KbStore> open(const std::filesystem::path& db_path);

  core::Result<CollectionRecord> create_collection(const CollectionSpec& spec);
  // kNotFound names the missing collection and lists the existing ones.
  core::Result<CollectionRecord> get_collection(const std::string& name);
  core::Result<std::vector<CollectionRecord>> list_collections();
  core::Status delete_collection(const std::string& name);
  core::Result<CollectionStats> stats(int64_t collection_id);

  core::Result<std::optional<SourceRecord>> find_source(int64_t collection_id, const std::string& path);
  core::Result<std::vector<SourceRecord>> list_sources(int64_t collection_id);
  core::Result<SourceWriter> write_source(int64_t collection_id, const SourceRecord& source);
  // Records a new modification time for a source whose content did not change.
  core::Status touch_source(int64_t source_id, int64_t mtime);
  // Deletes a source and its documents and chunks (tombstoned) in one transaction.
  core::Status remove_source(int64_t collection_id, int64_t source_id);

  // Index catch-up: chunks inserted after `seq` (with their documents), and ids of chunks deleted
  // after `seq`. Tombstones at or below a seq that every index reflects can be pruned.
  core::Status for_each_chunk_since(int64_t collection_id, int64_t seq,
                                    const std::function<core::Status(const StoredChunk&)>& fn);
  core::Result<std::vector<int64_t>> tombstones_since(int64_t collection_id, int64_t seq);
  core::Status prune_tombstones(int64_t collection_id, int64_t up_to_seq);

  core::Result<std::vector<StoredChunk>> get_chunks(const std::vector<int64_t>& ids);

  Database& db() { return db_; }

 private:
  friend class SourceWriter;
  explicit KbStore(Database db) : db_(std::move(db)) {}
  Database db_;
};

}  // namespace anvil::store
