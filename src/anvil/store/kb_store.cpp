#include "anvil/store/kb_store.h"

#include <chrono>

#include <fmt/chrono.h>

#include "anvil/store/migrations.h"

namespace anvil::store {

using core::Result;
using core::Status;

namespace {

std::string now_iso() {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%FT%TZ}", now);
}

constexpr const char* kCollectionColumns =
    "id, name, tenant, language, chunk_size, chunk_overlap, bm25_k1, bm25_b, created_at, change_seq";

CollectionRecord read_collection(const Statement& st) {
  CollectionRecord c;
  c.id = st.column_int(0);
  c.name = st.column_text(1);
  c.tenant = st.column_text(2);
  c.language = st.column_text(3);
  c.chunk_size = static_cast<int>(st.column_int(4));
  c.chunk_overlap = static_cast<int>(st.column_int(5));
  c.bm25_k1 = st.column_double(6);
  c.bm25_b = st.column_double(7);
  c.created_at = st.column_text(8);
  c.change_seq = st.column_int(9);
  return c;
}

constexpr const char* kStoredChunkSelect =
    "SELECT c.id, c.document_id, c.ordinal, c.text, c.char_start, c.char_end, c.token_count,"
    " c.heading_path, c.page, c.seq, d.uri, d.type, d.title, d.metadata"
    " FROM chunks c JOIN documents d ON d.id = c.document_id ";

StoredChunk read_stored_chunk(const Statement& st) {
  StoredChunk s;
  s.chunk.id = st.column_int(0);
  s.chunk.document_id = st.column_int(1);
  s.chunk.ordinal = static_cast<int>(st.column_int(2));
  s.chunk.text = st.column_text(3);
  s.chunk.char_start = st.column_int(4);
  s.chunk.char_end = st.column_int(5);
  s.chunk.token_count = static_cast<int>(st.column_int(6));
  s.chunk.heading_path_json = st.column_text(7);
  if (!st.column_is_null(8)) s.chunk.page = static_cast<int>(st.column_int(8));
  s.chunk.seq = st.column_int(9);
  s.document_uri = st.column_text(10);
  s.document_type = st.column_text(11);
  s.document_title = st.column_text(12);
  s.document_metadata_json = st.column_text(13);
  return s;
}

}  // namespace

Result<KbStore> KbStore::open(const std::filesystem::path& db_path) {
  ANVIL_ASSIGN_OR_RETURN(auto db, Database::open(db_path));
  ANVIL_RETURN_IF_ERROR(migrate(db));
  ANVIL_RETURN_IF_ERROR(db.exec("CREATE TEMP TABLE IF NOT EXISTS stale_documents (id INTEGER PRIMARY KEY)"));
  return KbStore(std::move(db));
}

Result<CollectionRecord> KbStore::create_collection(const CollectionSpec& spec) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(
      "INSERT INTO collections(name, tenant, language, chunk_size, chunk_overlap, bm25_k1, bm25_b, created_at)"
      " VALUES (?,?,?,?,?,?,?,?)"));
  st.bind(1, spec.name).bind(2, spec.tenant).bind(3, spec.language).bind(4, spec.chunk_size)
      .bind(5, spec.chunk_overlap).bind(6, spec.bm25_k1).bind(7, spec.bm25_b).bind(8, now_iso());
  Status s = st.run();
  if (s.code() == core::StatusCode::kAlreadyExists) {
    return Status::already_exists("collection '" + spec.name + "' already exists");
  }
  ANVIL_RETURN_IF_ERROR(s);
  return get_collection(spec.name);
}

Result<CollectionRecord> KbStore::get_collection(const std::string& name) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(std::string("SELECT ") + kCollectionColumns +
                                              " FROM collections WHERE name = ?"));
  st.bind(1, name);
  ANVIL_ASSIGN_OR_RETURN(bool found, st.step());
  if (found) return read_collection(st);
  ANVIL_ASSIGN_OR_RETURN(auto all, list_collections());
  std::string existing;
  for (const auto& c : all) existing += (existing.empty() ? "" : ", ") + c.name;
  return Status::not_found("collection '" + name + "' does not exist (" +
                           (existing.empty() ? std::string("there are no collections yet")
                                             : "existing: " + existing) + ")");
}

Result<std::vector<CollectionRecord>> KbStore::list_collections() {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(std::string("SELECT ") + kCollectionColumns +
                                              " FROM collections ORDER BY name"));
  std::vector<CollectionRecord> out;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_collection(st));
  }
  return out;
}

Status KbStore::delete_collection(const std::string& name) {
  ANVIL_ASSIGN_OR_RETURN(auto c, get_collection(name));
  ANVIL_ASSIGN_OR_RETURN(auto tx, Transaction::begin(db_));
  ANVIL_ASSIGN_OR_RETURN(auto del, db_.prepare("DELETE FROM collections WHERE id = ?"));
  ANVIL_RETURN_IF_ERROR(del.bind(1, c.id).run());
  ANVIL_ASSIGN_OR_RETURN(auto tomb, db_.prepare("DELETE FROM chunk_tombstones WHERE collection_id = ?"));
  ANVIL_RETURN_IF_ERROR(tomb.bind(1, c.id).run());
  return tx.commit();
}

Result<CollectionStats> KbStore::stats(int64_t collection_id) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(
      "SELECT (SELECT COUNT(*) FROM sources WHERE collection_id = ?1),"
      " (SELECT COUNT(*) FROM documents WHERE collection_id = ?1),"
      " COUNT(*), COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0), COALESCE(SUM(token_count), 0)"
      " FROM chunks WHERE collection_id = ?1"));
  st.bind(1, collection_id);
  ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
  CollectionStats s;
  if (row) {
    s.sources = st.column_int(0);
    s.documents = st.column_int(1);
    s.chunks = st.column_int(2);
    s.text_bytes = st.column_int(3);
    s.tokens = st.column_int(4);
  }
  return s;
}

Result<std::optional<SourceRecord>> KbStore::find_source(int64_t collection_id, const std::string& path) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(
      "SELECT id, path, content_hash, size_bytes, mtime FROM sources WHERE collection_id = ? AND path = ?"));
  st.bind(1, collection_id).bind(2, path);
  ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return std::optional<SourceRecord>{};
  return std::optional<SourceRecord>(SourceRecord{st.column_int(0), st.column_text(1), st.column_text(2),
                                                  st.column_int(3), st.column_int(4)});
}

Result<std::vector<SourceRecord>> KbStore::list_sources(int64_t collection_id) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(
      "SELECT id, path, content_hash, size_bytes, mtime FROM sources WHERE collection_id = ? ORDER BY path"));
  st.bind(1, collection_id);
  std::vector<SourceRecord> out;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back({st.column_int(0), st.column_text(1), st.column_text(2), st.column_int(3), st.column_int(4)});
  }
  return out;
}

namespace {
// Starts a change of a collection: bumps and returns its change_seq inside the transaction.
Result<int64_t> next_seq(Database& db, int64_t collection_id) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db.prepare(
      "UPDATE collections SET change_seq = change_seq + 1 WHERE id = ? RETURNING change_seq"));
  st.bind(1, collection_id);
  ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return Status::not_found("collection id " + std::to_string(collection_id) + " does not exist");
  int64_t seq = st.column_int(0);
  st.reset();
  return seq;
}
}  // namespace

Result<SourceWriter> KbStore::write_source(int64_t collection_id, const SourceRecord& source) {
  ANVIL_ASSIGN_OR_RETURN(auto tx, Transaction::begin(db_));
  ANVIL_ASSIGN_OR_RETURN(int64_t seq, next_seq(db_, collection_id));
  ANVIL_ASSIGN_OR_RETURN(auto up, db_.prepare(
      "INSERT INTO sources(collection_id, path, content_hash, size_bytes, mtime, ingested_at)"
      " VALUES (?,?,?,?,?,?) ON CONFLICT(collection_id, path) DO UPDATE SET"
      " content_hash = excluded.content_hash, size_bytes = excluded.size_bytes,"
      " mtime = excluded.mtime, ingested_at = excluded.ingested_at RETURNING id"));
  up.bind(1, collection_id).bind(2, source.path).bind(3, source.content_hash).bind(4, source.size_bytes)
      .bind(5, source.mtime).bind(6, now_iso());
  ANVIL_ASSIGN_OR_RETURN(bool row, up.step());
  if (!row) return Status::internal("upsert of source " + source.path + " returned no id");
  int64_t source_id = up.column_int(0);
  up.reset();

  ANVIL_RETURN_IF_ERROR(db_.exec("DELETE FROM stale_documents"));
  ANVIL_ASSIGN_OR_RETURN(auto stale, db_.prepare(
      "INSERT INTO stale_documents SELECT id FROM documents WHERE source_id = ?"));
  ANVIL_RETURN_IF_ERROR(stale.bind(1, source_id).run());

  ANVIL_ASSIGN_OR_RETURN(auto upsert_doc, db_.prepare(
      "INSERT INTO documents(collection_id, source_id, uri, type, title, timestamp, metadata, content_hash)"
      " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(collection_id, uri) DO UPDATE SET"
      " source_id = excluded.source_id, type = excluded.type, title = excluded.title,"
      " timestamp = excluded.timestamp, metadata = excluded.metadata,"
      " content_hash = excluded.content_hash, version = version + 1 RETURNING id, version"));
  ANVIL_ASSIGN_OR_RETURN(auto insert_chunk, db_.prepare(
      "INSERT INTO chunks(collection_id, document_id, ordinal, text, char_start, char_end, token_count,"
      " heading_path, page, seq) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  ANVIL_ASSIGN_OR_RETURN(auto drop_chunks, db_.prepare("DELETE FROM chunks WHERE document_id = ?"));
  ANVIL_ASSIGN_OR_RETURN(auto unstale, db_.prepare("DELETE FROM stale_documents WHERE id = ?"));
  return SourceWriter(&db_, std::move(tx), collection_id, source_id, seq, std::move(upsert_doc),
                      std::move(insert_chunk), std::move(drop_chunks), std::move(unstale));
}

Result<int64_t> SourceWriter::add_document(const DocumentRow& doc) {
  upsert_doc_.bind(1, collection_id_).bind(2, source_id_).bind(3, doc.uri).bind(4, doc.type)
      .bind(5, doc.title).bind(6, doc.timestamp).bind(7, doc.metadata_json).bind(8, doc.content_hash);
  ANVIL_ASSIGN_OR_RETURN(bool row, upsert_doc_.step());
  if (!row) return Status::internal("upsert of document " + doc.uri + " returned no id");
  int64_t id = upsert_doc_.column_int(0);
  bool replaced = upsert_doc_.column_int(1) > 1;
  upsert_doc_.reset();
  if (replaced) {
    ANVIL_RETURN_IF_ERROR(drop_chunks_.bind(1, id).run());
    ANVIL_RETURN_IF_ERROR(unstale_.bind(1, id).run());
  }
  return id;
}

Result<int64_t> SourceWriter::add_chunk(int64_t document_id, const ChunkRow& c) {
  insert_chunk_.bind(1, collection_id_).bind(2, document_id).bind(3, c.ordinal).bind(4, c.text)
      .bind(5, c.char_start).bind(6, c.char_end).bind(7, c.token_count).bind(8, c.heading_path_json)
      .bind(9, c.page).bind(10, seq_);
  ANVIL_RETURN_IF_ERROR(insert_chunk_.run());
  return db_->last_insert_rowid();
}


Status SourceWriter::commit() {
  ANVIL_RETURN_IF_ERROR(
      db_->exec("DELETE FROM documents WHERE id IN (SELECT id FROM stale_documents)"));
  ANVIL_RETURN_IF_ERROR(db_->exec("DELETE FROM stale_documents"));
  return tx_.commit();
}

Status KbStore::touch_source(int64_t source_id, int64_t mtime) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare("UPDATE sources SET mtime = ? WHERE id = ?"));
  return st.bind(1, mtime).bind(2, source_id).run();
}

Status KbStore::remove_source(int64_t collection_id, int64_t source_id) {
  ANVIL_ASSIGN_OR_RETURN(auto tx, Transaction::begin(db_));
  ANVIL_ASSIGN_OR_RETURN(int64_t seq, next_seq(db_, collection_id));
  (void)seq;
  ANVIL_ASSIGN_OR_RETURN(auto del, db_.prepare("DELETE FROM sources WHERE id = ? AND collection_id = ?"));
  ANVIL_RETURN_IF_ERROR(del.bind(1, source_id).bind(2, collection_id).run());
  return tx.commit();
}

Status KbStore::for_each_chunk_since(int64_t collection_id, int64_t seq,
                                     const std::function<Status(const StoredChunk&)>& fn) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(std::string(kStoredChunkSelect) +
                                              "WHERE c.collection_id = ? AND c.seq > ? ORDER BY c.id"));
  st.bind(1, collection_id).bind(2, seq);
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    ANVIL_RETURN_IF_ERROR(fn(read_stored_chunk(st)));
  }
  return {};
}

Result<std::vector<int64_t>> KbStore::tombstones_since(int64_t collection_id, int64_t seq) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(
      "SELECT DISTINCT chunk_id FROM chunk_tombstones WHERE collection_id = ? AND seq > ?"));
  st.bind(1, collection_id).bind(2, seq);
  std::vector<int64_t> out;
  for (;;) {
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(st.column_int(0));
  }
  return out;
}

Status KbStore::prune_tombstones(int64_t collection_id, int64_t up_to_seq) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(
      "DELETE FROM chunk_tombstones WHERE collection_id = ? AND seq <= ?"));
  return st.bind(1, collection_id).bind(2, up_to_seq).run();
}

Result<std::vector<StoredChunk>> KbStore::get_chunks(const std::vector<int64_t>& ids) {
  ANVIL_ASSIGN_OR_RETURN(auto st, db_.prepare(std::string(kStoredChunkSelect) + "WHERE c.id = ?"));
  std::vector<StoredChunk> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    st.bind(1, id);
    ANVIL_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) {
      st.reset();
      return Status::not_found("chunk " + std::to_string(id) + " does not exist");
    }
    out.push_back(read_stored_chunk(st));
    st.reset();
  }
  return out;
}

}  // namespace anvil::store
