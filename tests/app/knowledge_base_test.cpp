#include "anvil/app/knowledge_base.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace anvil::app {
namespace {

using anvil::testing::TempDir;

class KnowledgeBaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kb = KnowledgeBase::open(data_.path());
    ASSERT_TRUE(kb.ok()) << kb.status().to_string();
    kb_.emplace(std::move(kb).value());
  }

  IngestReport ingest(const std::vector<std::filesystem::path>& paths, IngestOptions opts = {}) {
    auto r = kb_->ingest("docs", paths, opts, {}, store::CollectionSpec{});
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : IngestReport{};
  }

  std::vector<std::string> sources_of(const std::string& query, const std::string& filter = "") {
    auto hits = kb_->search("docs", {query, 10, filter});
    EXPECT_TRUE(hits.ok()) << hits.status().to_string();
    std::vector<std::string> out;
    if (hits.ok()) {
      for (const auto& h : *hits) out.push_back(std::filesystem::path(h.chunk.document_uri).filename().string());
    }
    return out;
  }

  store::CollectionStats stats() { return *kb_->store().stats(kb_->get_collection("docs")->id); }

  TempDir data_, files_;
  std::optional<KnowledgeBase> kb_;
};

TEST_F(KnowledgeBaseTest, IngestingTwiceAddsNothing) {
  files_.write("pump.md", "# Pump\n\nReplace the mechanical seal every 8000 hours.\n");
  files_.write("log.csv", "id,equipment,symptom,downtime_hours\n1,P-200,seal leak,3\n2,C-100,排气温度过高,1\n");
  auto first = ingest({files_.path()});
  EXPECT_EQ(first.count(FileOutcomeKind::kAdded), 2);
  auto before = stats();
  auto second = ingest({files_.path()});
  EXPECT_EQ(second.count(FileOutcomeKind::kUnchanged), 2);
  auto after = stats();
  EXPECT_EQ(before.documents, after.documents);
  EXPECT_EQ(before.chunks, after.chunks);
  EXPECT_EQ(before.documents, 3);  // one markdown document, two CSV rows
}

TEST_F(KnowledgeBaseTest, TouchedButUnchangedFileIsNotReingested) {
  auto p = files_.write("note.txt", "The impeller is bronze.\n");
  ingest({p});
  auto before = stats();
  auto seq = kb_->get_collection("docs")->change_seq;
  std::filesystem::last_write_time(p, std::filesystem::last_write_time(p) + std::chrono::hours(1));
  auto r = ingest({p});
  EXPECT_EQ(r.count(FileOutcomeKind::kUnchanged), 1);
  EXPECT_EQ(kb_->get_collection("docs")->change_seq, seq);  // hashed, found equal, nothing rewritten
  EXPECT_EQ(stats().chunks, before.chunks);
  EXPECT_EQ(sources_of("bronze impeller"), std::vector<std::string>{"note.txt"});
}

TEST_F(KnowledgeBaseTest, ForceReingestsUnchangedFiles) {
  auto p = files_.write("note.txt", "The impeller is bronze.\n");
  ingest({p});
  auto before = stats();
  auto seq = kb_->get_collection("docs")->change_seq;
  IngestOptions force;
  force.force = true;
  auto r = ingest({p}, force);
  EXPECT_EQ(r.count(FileOutcomeKind::kUpdated), 1);
  EXPECT_GT(kb_->get_collection("docs")->change_seq, seq);  // rewritten, not skipped
  EXPECT_EQ(stats().documents, before.documents);          // replaced in place, no duplicate
  EXPECT_EQ(stats().chunks, before.chunks);
  EXPECT_EQ(sources_of("bronze impeller"), std::vector<std::string>{"note.txt"});
}

TEST_F(KnowledgeBaseTest, ChangedFileReplacesItsChunks) {
  auto p = files_.write("note.txt", "The impeller is bronze.\n");
  ingest({p});
  EXPECT_EQ(sources_of("bronze impeller"), std::vector<std::string>{"note.txt"});
  files_.write("note.txt", "The impeller is stainless steel now.\n");
  auto r = ingest({p});
  EXPECT_EQ(r.count(FileOutcomeKind::kUpdated), 1);
  EXPECT_TRUE(sources_of("bronze").empty());
  EXPECT_EQ(sources_of("stainless"), std::vector<std::string>{"note.txt"});
  EXPECT_EQ(stats().documents, 1);
}

TEST_F(KnowledgeBaseTest, SyncRemovesDocumentsOfDeletedFiles) {
  auto a = files_.write("a.txt", "alpha pump manual\n");
  files_.write("b.txt", "beta compressor manual\n");
  ingest({files_.path()});
  std::filesystem::remove(a);
  IngestOptions without_sync;
  ingest({files_.path()}, without_sync);
  EXPECT_EQ(sources_of("alpha"), std::vector<std::string>{"a.txt"});  // kept without --sync
  IngestOptions sync;
  sync.sync = true;
  auto r = ingest({files_.path()}, sync);
  EXPECT_EQ(r.count(FileOutcomeKind::kRemoved), 1);
  EXPECT_TRUE(sources_of("alpha").empty());
  EXPECT_EQ(sources_of("beta"), std::vector<std::string>{"b.txt"});
}

TEST_F(KnowledgeBaseTest, BadFilesFailAloneAndTheRestIsIngested) {
  files_.write("good.txt", "a good manual about pumps\n");
  files_.write("empty.txt", "");
  files_.write("bad-utf8.txt", std::string("caf\xc3", 4) + "\n");
  files_.write("binary.txt", std::string("\x00\x01\x02\x03", 4));
  files_.write("broken.pdf", "%PDF-1.4\nthis is not a pdf body");
  auto r = ingest({files_.path(), files_ / "missing.txt"});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.count(FileOutcomeKind::kAdded), 1);
  EXPECT_EQ(r.count(FileOutcomeKind::kFailed), 5);
  for (const auto& f : r.files) {
    if (f.kind == FileOutcomeKind::kFailed) {
      EXPECT_FALSE(f.message.empty()) << f.path;
    }
  }
  EXPECT_EQ(sources_of("pumps"), std::vector<std::string>{"good.txt"});
}

TEST_F(KnowledgeBaseTest, FiltersApplyOnTheBm25Path) {
  files_.write("log.csv",
               "id,equipment,symptom,downtime_hours,date\n"
               "1,P-200,bearing noise,3,2024-01-05\n"
               "2,P-300,bearing noise,1,2024-02-10\n"
               "3,C-100,bearing noise,5,2024-03-01\n");
  ingest({files_.path()});
  auto ids = [&](const std::string& filter) {
    auto hits = kb_->search("docs", {"bearing noise", 10, filter});
    EXPECT_TRUE(hits.ok()) << hits.status().to_string();
    std::vector<std::string> out;
    for (const auto& h : *hits) out.push_back(h.chunk.document_uri.substr(h.chunk.document_uri.rfind('#') + 1));
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(ids(""), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(ids("downtime_hours >= 3"), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(ids("equipment in ['P-200', 'P-300'] and downtime_hours < 2"), (std::vector<std::string>{"2"}));
  EXPECT_EQ(ids("timestamp >= 2024-02-01"), (std::vector<std::string>{"2", "3"}));
  auto bad = kb_->search("docs", {"bearing", 10, "downtime_hours >="});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(KnowledgeBaseTest, IndexCatchesUpWithChangesItDidNotSee) {
  files_.write("a.txt", "the first pump manual\n");
  ingest({files_.path()});
  // A second process (another KnowledgeBase on the same data directory) adds a file.
  {
    auto other = KnowledgeBase::open(data_.path());
    ASSERT_TRUE(other.ok());
    files_.write("b.txt", "the second compressor manual\n");
    ASSERT_TRUE(other->ingest("docs", {files_.path()}, {}).ok());
  }
  EXPECT_EQ(sources_of("compressor"), std::vector<std::string>{"b.txt"});
  // The index file is deleted: the next open rebuilds it from the store.
  auto id = kb_->get_collection("docs")->id;
  std::filesystem::remove(kb_->data_dir().bm25_index(id));
  auto fresh = KnowledgeBase::open(data_.path());
  ASSERT_TRUE(fresh.ok());
  auto hits = fresh->search("docs", {"pump compressor", 10, ""});
  ASSERT_TRUE(hits.ok()) << hits.status().to_string();
  EXPECT_EQ(hits->size(), 2u);
}

TEST_F(KnowledgeBaseTest, UnknownCollectionAndBadNames) {
  auto r = kb_->search("nope", {"x", 10, ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "collection 'nope' does not exist (there are no collections yet)");
  auto bad = kb_->create_collection({.name = "bad name!"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "collection name 'bad name!': expected 1 to 64 characters among A-Z a-z 0-9 _ - .");
  auto lang = kb_->create_collection({.name = "x", .language = "klingon"});
  ASSERT_FALSE(lang.ok());
  EXPECT_EQ(lang.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace anvil::app
