#include "anvil/store/kb_store.h"

#include <gtest/gtest.h>

#include "anvil/store/migrations.h"
#include "testing/temp_dir.h"

namespace anvil::store {
namespace {

using anvil::testing::TempDir;

class KbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = KbStore::open(dir_ / "anvil.db");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_.emplace(std::move(s).value());
    auto c = store_->create_collection({.name = "docs"});
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    coll_ = *c;
  }

  // Writes one source with the given documents, each with `chunks_per_doc` chunks.
  void write(const std::string& path, const std::vector<std::string>& uris, int chunks_per_doc,
             const std::string& hash = "h1") {
    auto w = store_->write_source(coll_.id, {.path = path, .content_hash = hash, .size_bytes = 10, .mtime = 1});
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    for (const auto& uri : uris) {
      auto d = w->add_document({.uri = uri, .type = "text", .title = uri});
      ASSERT_TRUE(d.ok()) << d.status().to_string();
      for (int i = 0; i < chunks_per_doc; ++i) {
        auto c = w->add_chunk(*d, {.ordinal = i, .text = uri + " chunk " + std::to_string(i)});
        ASSERT_TRUE(c.ok()) << c.status().to_string();
      }
    }
    ASSERT_TRUE(w->commit().ok());
  }

  std::vector<int64_t> chunks_since(int64_t seq) {
    std::vector<int64_t> ids;
    auto s = store_->for_each_chunk_since(coll_.id, seq, [&](const StoredChunk& c) {
      ids.push_back(c.chunk.id);
      return core::Status{};
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return ids;
  }

  TempDir dir_;
  std::optional<KbStore> store_;
  CollectionRecord coll_;
};

TEST_F(KbStoreTest, ReopeningAppliesNoMigrationTwice) {
  store_.reset();
  auto again = KbStore::open(dir_ / "anvil.db");
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  auto st = again->db().prepare("SELECT COUNT(*), MAX(version) FROM schema_migrations");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_int(0), latest_schema_version());
  EXPECT_EQ(st->column_int(1), latest_schema_version());
}

TEST_F(KbStoreTest, UnknownCollectionNamesTheExistingOnes) {
  auto r = store_->get_collection("manuals");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "collection 'manuals' does not exist (existing: docs)");
}

TEST_F(KbStoreTest, DuplicateCollectionIsRefused) {
  auto r = store_->create_collection({.name = "docs"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "collection 'docs' already exists");
}

TEST_F(KbStoreTest, RewritingASourceReplacesItsChunksAndLeavesTombstones) {
  write("a.csv", {"a.csv#1", "a.csv#2"}, 2);
  auto first = chunks_since(0);
  ASSERT_EQ(first.size(), 4u);
  int64_t seq1 = store_->get_collection("docs")->change_seq;

  // Row 2 is gone, row 3 is new, row 1 changed.
  write("a.csv", {"a.csv#1", "a.csv#3"}, 1, "h2");
  auto stats = store_->stats(coll_.id);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->sources, 1);
  EXPECT_EQ(stats->documents, 2);
  EXPECT_EQ(stats->chunks, 2);

  auto added = chunks_since(seq1);
  EXPECT_EQ(added.size(), 2u);
  auto removed = store_->tombstones_since(coll_.id, seq1);
  ASSERT_TRUE(removed.ok());
  std::sort(removed->begin(), removed->end());
  EXPECT_EQ(*removed, first);  // every earlier chunk was replaced

  auto src = store_->find_source(coll_.id, "a.csv");
  ASSERT_TRUE(src.ok() && src->has_value());
  EXPECT_EQ((*src)->content_hash, "h2");
}

TEST_F(KbStoreTest, UncommittedWriterLeavesThePreviousVersion) {
  write("a.txt", {"a.txt"}, 3);
  {
    auto w = store_->write_source(coll_.id, {.path = "a.txt", .content_hash = "h2"});
    ASSERT_TRUE(w.ok());
    auto d = w->add_document({.uri = "a.txt", .type = "text"});
    ASSERT_TRUE(d.ok());
    // dropped without commit: as if the process died here
  }
  EXPECT_EQ(chunks_since(0).size(), 3u);
  EXPECT_EQ((*store_->find_source(coll_.id, "a.txt"))->content_hash, "h1");
}

TEST_F(KbStoreTest, RemovingASourceTombstonesItsChunks) {
  write("a.txt", {"a.txt"}, 2);
  write("b.txt", {"b.txt"}, 1);
  int64_t seq = store_->get_collection("docs")->change_seq;
  auto src = store_->find_source(coll_.id, "a.txt");
  ASSERT_TRUE(store_->remove_source(coll_.id, (*src)->id).ok());
  EXPECT_EQ(store_->tombstones_since(coll_.id, seq)->size(), 2u);
  EXPECT_EQ(store_->stats(coll_.id)->chunks, 1);
  ASSERT_TRUE(store_->prune_tombstones(coll_.id, seq + 1).ok());
  EXPECT_TRUE(store_->tombstones_since(coll_.id, 0)->empty());
}

TEST_F(KbStoreTest, DeletingACollectionRemovesEverything) {
  write("a.txt", {"a.txt"}, 2);
  ASSERT_TRUE(store_->delete_collection("docs").ok());
  auto st = store_->db().prepare("SELECT (SELECT COUNT(*) FROM chunks) + (SELECT COUNT(*) FROM documents)"
                                 " + (SELECT COUNT(*) FROM chunk_tombstones) + (SELECT COUNT(*) FROM sources)");
  ASSERT_TRUE(*st->step());
  EXPECT_EQ(st->column_int(0), 0);
  EXPECT_EQ(store_->list_collections()->size(), 0u);
}

TEST(SqliteTest, NewerSchemaIsRefused) {
  TempDir dir;
  {
    auto db = Database::open(dir / "anvil.db");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT);"
                         "INSERT INTO schema_migrations VALUES (999, 'x')").ok());
  }
  auto s = KbStore::open(dir / "anvil.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), core::StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("schema version 999"), std::string::npos);
}

TEST(SqliteTest, NotADatabaseIsCorrupt) {
  TempDir dir;
  dir.write("anvil.db", std::string(4096, 'x'));
  auto s = KbStore::open(dir / "anvil.db");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), core::StatusCode::kCorrupt) << s.status().to_string();
}

}  // namespace
}  // namespace anvil::store
