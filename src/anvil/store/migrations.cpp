#include "anvil/store/migrations.h"

#include <string>
#include <vector>

namespace anvil::store {
namespace {

// Append only: never edit a migration that has shipped; add a new one.
const std::vector<const char*>& migrations() {
  static const std::vector<const char*> kMigrations = {
      // 1: knowledge base. change_seq numbers every committed change of a collection; chunks
      // record the seq that inserted them and deleted chunks leave a tombstone with the seq that
      // deleted them, so an index file that reflects seq S can catch up with what came after.
      R"sql(
CREATE TABLE collections (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT NOT NULL UNIQUE,
  tenant        TEXT NOT NULL DEFAULT '',
  language      TEXT NOT NULL DEFAULT 'auto',
  chunk_size    INTEGER NOT NULL,
  chunk_overlap INTEGER NOT NULL,
  bm25_k1       REAL NOT NULL,
  bm25_b        REAL NOT NULL,
  created_at    TEXT NOT NULL,
  change_seq    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sources (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  path          TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  size_bytes    INTEGER NOT NULL,
  mtime         INTEGER NOT NULL,
  ingested_at   TEXT NOT NULL,
  UNIQUE (collection_id, path)
);
CREATE TABLE documents (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  uri           TEXT NOT NULL,
  type          TEXT NOT NULL,
  title         TEXT NOT NULL DEFAULT '',
  timestamp     TEXT,
  metadata      TEXT NOT NULL DEFAULT '{}',
  content_hash  TEXT NOT NULL DEFAULT '',
  version       INTEGER NOT NULL DEFAULT 1,
  UNIQUE (collection_id, uri)
);
CREATE INDEX documents_source ON documents(source_id);
CREATE TABLE chunks (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  collection_id INTEGER NOT NULL,
  document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal       INTEGER NOT NULL,
  text          TEXT NOT NULL,
  char_start    INTEGER NOT NULL,
  char_end      INTEGER NOT NULL,
  token_count   INTEGER NOT NULL,
  heading_path  TEXT NOT NULL DEFAULT '[]',
  page          INTEGER,
  seq           INTEGER NOT NULL
);
CREATE INDEX chunks_document ON chunks(document_id, ordinal);
CREATE INDEX chunks_seq ON chunks(collection_id, seq);
CREATE TABLE chunk_tombstones (
  collection_id INTEGER NOT NULL,
  chunk_id      INTEGER NOT NULL,
  seq           INTEGER NOT NULL
);
CREATE INDEX chunk_tombstones_seq ON chunk_tombstones(collection_id, seq);
CREATE TRIGGER chunks_tombstone AFTER DELETE ON chunks BEGIN
  INSERT INTO chunk_tombstones(collection_id, chunk_id, seq)
  SELECT old.collection_id, old.id, change_seq FROM collections WHERE id = old.collection_id;
END;
)sql",
      // 2: API keys (docs/USAGE_LEDGER.md). Only the SHA-256 of a key is stored, as 64 hex digits,
      // beside a short visible prefix for listings. NULL limits mean "no limit". Every change to
      // api_keys bumps api_key_changes.seq (triggers), so a server polls one row to see that its
      // in-memory copy of the keys is stale.
      R"sql(
CREATE TABLE api_keys (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT NOT NULL UNIQUE,
  tenant      TEXT NOT NULL,
  prefix      TEXT NOT NULL,
  key_sha256  TEXT NOT NULL UNIQUE,
  rpm         INTEGER,
  tpm         INTEGER,
  budget_usd  REAL,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);
CREATE TABLE api_key_changes (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
);
INSERT INTO api_key_changes(id, seq) VALUES (1, 0);
CREATE TRIGGER api_keys_changed_insert AFTER INSERT ON api_keys BEGIN
  UPDATE api_key_changes SET seq = seq + 1 WHERE id = 1;
END;
CREATE TRIGGER api_keys_changed_update AFTER UPDATE ON api_keys BEGIN
  UPDATE api_key_changes SET seq = seq + 1 WHERE id = 1;
END;
CREATE TRIGGER api_keys_changed_delete AFTER DELETE ON api_keys BEGIN
  UPDATE api_key_changes SET seq = seq + 1 WHERE id = 1;
END;
)sql",
      // 3: the usage ledger (docs/USAGE_LEDGER.md): one row per request, its tags in a side table
      // so reports can group by tag, and running totals per key kept in the same transactions so
      // a server loads every key's spend without scanning the ledger.
      R"sql(
CREATE TABLE usage_records (
  id                  INTEGER PRIMARY KEY,
  request_id          TEXT NOT NULL UNIQUE,
  time_us             INTEGER NOT NULL,
  key_id              TEXT NOT NULL,
  tenant              TEXT NOT NULL,
  model               TEXT NOT NULL,
  deployment          TEXT NOT NULL,
  operation           TEXT NOT NULL,
  prompt_tokens       INTEGER NOT NULL,
  completion_tokens   INTEGER NOT NULL,
  cached_tokens       INTEGER NOT NULL,
  cost_usd            REAL NOT NULL,
  latency_ms          REAL NOT NULL,
  upstream_latency_ms REAL NOT NULL,
  http_status         INTEGER NOT NULL,
  outcome             TEXT NOT NULL,
  attempts            INTEGER NOT NULL,
  fallbacks           INTEGER NOT NULL,
  stream              INTEGER NOT NULL
);
CREATE INDEX usage_records_time ON usage_records(time_us);
CREATE TABLE usage_tags (
  tag      TEXT NOT NULL,
  usage_id INTEGER NOT NULL REFERENCES usage_records(id) ON DELETE CASCADE,
  PRIMARY KEY (tag, usage_id)
) WITHOUT ROWID;
CREATE INDEX usage_tags_usage ON usage_tags(usage_id);
CREATE TABLE usage_key_totals (
  key_id            TEXT PRIMARY KEY,
  requests          INTEGER NOT NULL,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cached_tokens     INTEGER NOT NULL,
  cost_usd          REAL NOT NULL
) WITHOUT ROWID;
)sql",
      // 4: a per-key prompt-token limit (NULL: the model's own limit applies).
      R"sql(
ALTER TABLE api_keys ADD COLUMN max_prompt_tokens INTEGER;
)sql",
  };
  return kMigrations;
}

}  // namespace

int latest_schema_version() { return static_cast<int>(migrations().size()); }

core::Status migrate(Database& db) {
  ANVIL_RETURN_IF_ERROR(db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"));
  ANVIL_ASSIGN_OR_RETURN(auto current_stmt,
                         db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  ANVIL_ASSIGN_OR_RETURN(bool has_row, current_stmt.step());
  int current = has_row ? static_cast<int>(current_stmt.column_int(0)) : 0;
  current_stmt.reset();
  if (current > latest_schema_version()) {
    return core::Status::unsupported(
        "database " + db.path().string() + " has schema version " + std::to_string(current) +
        ", newer than this build of anvil understands (" + std::to_string(latest_schema_version()) +
        "): upgrade anvil");
  }
  for (int v = current + 1; v <= latest_schema_version(); ++v) {
    ANVIL_ASSIGN_OR_RETURN(auto tx, Transaction::begin(db));
    ANVIL_RETURN_IF_ERROR(db.exec(migrations()[v - 1])
                              .with_context("migration " + std::to_string(v)));
    ANVIL_ASSIGN_OR_RETURN(auto rec, db.prepare("INSERT INTO schema_migrations(version) VALUES (?)"));
    ANVIL_RETURN_IF_ERROR(rec.bind(1, v).run());
    ANVIL_RETURN_IF_ERROR(tx.commit());
  }
  return {};
}

}  // namespace anvil::store
