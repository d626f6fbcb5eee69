// Bm25Index::save / load: round trips, atomic replacement, and corrupted files rejected with
// errors that name the file and the problem.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <ostream>
#include <string>
#include <vector>

#include <boost/crc.hpp>
#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anvil/rag/bm25_index.h"
#include "anvil/rag/filter.h"
#include "testing/temp_dir.h"

namespace anvil::rag {

[[maybe_unused]] static void PrintTo(const Bm25Hit& h, std::ostream* os) {
  *os << "{" << h.id << ", " << h.score << "}";
}

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Bm25Index sample_index() {
  Bm25Index index(Bm25Params{1.1f, 0.6f, true});
  const struct {
    int64_t id;
    const char* text;
    const char* meta;
  } docs[] = {
      {10, "pump seal leak seal", R"({"type":"pdf","page":3,"tags":["maintenance","P-200"]})"},
      {-3, "小米 手机 续航 手机", R"({"brand":"小米","rating":4.5,"timestamp":"2024-01-02T03:04:05Z"})"},
      {7, "bearing noise pump", R"({"type":"csv","nested":{"a":true}})"},
      {8000000000, "", R"({})"},
      {12, "seal kit order", R"({"type":"csv","rating":2})"},
  };
  for (const auto& d : docs) {
    EXPECT_TRUE(index.add(d.id, words(d.text), boost::json::parse(d.meta).as_object()).ok());
  }
  index.set_applied_seq(123456789012345ULL);
  return index;
}

const std::vector<std::vector<std::string>>& sample_queries() {
  static const std::vector<std::vector<std::string>> q = {
      {"seal"}, {"pump", "seal", "seal"}, {"手机", "续航"}, {"noise", "kit", "order"}, {"absent"}};
  return q;
}

void expect_equivalent(const Bm25Index& a, const Bm25Index& b) {
  for (const auto& q : sample_queries()) EXPECT_EQ(a.search(q, 10), b.search(q, 10));
  const Filter f = *Filter::parse("type = 'csv' or rating > 4 or tags = 'P-200'");
  for (const auto& q : sample_queries()) EXPECT_EQ(a.search(q, 10, &f), b.search(q, 10, &f));
  EXPECT_EQ(a.params(), b.params());
  EXPECT_EQ(a.applied_seq(), b.applied_seq());
  EXPECT_EQ(a.stats().docs, b.stats().docs);
  EXPECT_EQ(a.stats().terms, b.stats().terms);
  EXPECT_EQ(a.stats().postings, b.stats().postings);
  EXPECT_EQ(a.stats().total_length, b.stats().total_length);
}

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Rewrites the trailing CRC-32 so that a deliberate structural change gets past the checksum.
void fix_checksum(std::string& bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size() - 4);
  const uint32_t v = crc.checksum();
  for (int k = 0; k < 4; ++k) bytes[bytes.size() - 4 + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

void put_u64_at(std::string& bytes, std::size_t at, uint64_t v) {
  for (int k = 0; k < 8; ++k) bytes[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

TEST(Bm25Persistence, RoundTripKeepsEverything) {
  testing::TempDir dir;
  const Bm25Index index = sample_index();
  ASSERT_TRUE(index.save(dir / "a.idx").ok());
  core::Result<Bm25Index> loaded = Bm25Index::load(dir / "a.idx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  expect_equivalent(index, *loaded);
  EXPECT_EQ(*loaded->metadata(-3), *index.metadata(-3));
  EXPECT_EQ(*loaded->metadata(7), *index.metadata(7));
  EXPECT_TRUE(loaded->contains(8000000000));
  // Saving the loaded index gives the same bytes.
  ASSERT_TRUE(loaded->save(dir / "b.idx").ok());
  EXPECT_EQ(read_bytes(dir / "a.idx"), read_bytes(dir / "b.idx"));
}

TEST(Bm25Persistence, LoadedIndexKeepsUpdatingIncrementally) {
  testing::TempDir dir;
  Bm25Index index = sample_index();
  ASSERT_TRUE(index.save(dir / "a.idx").ok());
  Bm25Index loaded = *Bm25Index::load(dir / "a.idx");
  // remove() needs each chunk's term list, which load rebuilds from the postings.
  for (Bm25Index* ix : {&index, &loaded}) {
    ASSERT_TRUE(ix->remove(10).ok());
    ASSERT_TRUE(ix->update(-3, words("手机 seal"), {}).ok());
    ASSERT_TRUE(ix->add(99, words("pump pump pump"), {}).ok());
  }
  expect_equivalent(index, loaded);
}

TEST(Bm25Persistence, SaveLeavesRemovedChunksOut) {
  testing::TempDir dir;
  Bm25Index index = sample_index();
  ASSERT_TRUE(index.remove(10).ok());
  ASSERT_TRUE(index.remove(7).ok());
  ASSERT_TRUE(index.save(dir / "a.idx").ok());
  const Bm25Index loaded = *Bm25Index::load(dir / "a.idx");
  EXPECT_EQ(loaded.stats().dead_slots, 0u);
  EXPECT_FALSE(loaded.contains(10));
  expect_equivalent(index, loaded);
  index.compact();
  ASSERT_TRUE(index.save(dir / "b.idx").ok());
  EXPECT_EQ(read_bytes(dir / "a.idx"), read_bytes(dir / "b.idx"));
}

TEST(Bm25Persistence, EmptyIndexRoundTrips) {
  testing::TempDir dir;
  ASSERT_TRUE(Bm25Index().save(dir / "e.idx").ok());
  core::Result<Bm25Index> loaded = Bm25Index::load(dir / "e.idx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->size(), 0u);
  EXPECT_TRUE(loaded->search(words("a"), 3).empty());
}

TEST(Bm25Persistence, SaveReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  testing::TempDir dir;
  Bm25Index index = sample_index();
  ASSERT_TRUE(index.save(dir / "a.idx").ok());
  ASSERT_TRUE(index.add(500, words("fresh words"), {}).ok());
  ASSERT_TRUE(index.save(dir / "a.idx").ok());
  EXPECT_TRUE(Bm25Index::load(dir / "a.idx")->contains(500));
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"a.idx"});
}

TEST(Bm25Persistence, ErrorsNameTheFile) {
  testing::TempDir dir;
  const std::filesystem::path missing = dir / "missing.idx";
  core::Result<Bm25Index> r = Bm25Index::load(missing);
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), StartsWith("bm25 index " + missing.string() + ": "));
  const core::Status s = sample_index().save(dir / "no" / "such" / "dir.idx");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), StartsWith("bm25 index " + (dir / "no" / "such" / "dir.idx").string() + ": "));
}

class CorruptFile : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sample_index().save(path_).ok());
    bytes_ = read_bytes(path_);
    ASSERT_GT(bytes_.size(), 100u);
  }

  // Writes `bytes` and loads them; returns the error.
  core::Status load(const std::string& bytes) {
    write_bytes(path_, bytes);
    core::Result<Bm25Index> r = Bm25Index::load(path_);
    EXPECT_FALSE(r.ok());
    return r.status();
  }

  std::string prefix() const { return "bm25 index " + path_.string() + ": "; }

  testing::TempDir dir_;
  std::filesystem::path path_ = dir_ / "x.idx";
  std::string bytes_;
};

TEST_F(CorruptFile, WrongMagic) {
  std::string b = bytes_;
  b.replace(0, 8, "NOTANIDX");
  const core::Status s = load(b);
  EXPECT_EQ(s.code(), core::StatusCode::kCorrupt);
  EXPECT_EQ(s.message(), prefix() + "bad magic: expected 'ANVLBM25', found 'NOTANIDX'");
  EXPECT_EQ(load("GIF89a\x01").message(), prefix() + "bad magic: expected 'ANVLBM25', found 'GIF89a\\x01'");
  EXPECT_EQ(load("").message(), prefix() + "bad magic: expected 'ANVLBM25', found ''");
}

TEST_F(CorruptFile, UnknownVersion) {
  std::string b = bytes_;
  b[8] = 2;
  const core::Status s = load(b);
  EXPECT_EQ(s.code(), core::StatusCode::kUnsupported);
  EXPECT_EQ(s.message(), prefix() + "unsupported format version: expected 1, found 2");
}

TEST_F(CorruptFile, FlippedByteAnywhereIsCaught) {
  // Every byte after the version: the size field, the checksum itself or the body.
  for (std::size_t at = 12; at < bytes_.size(); ++at) {
    std::string b = bytes_;
    b[at] = static_cast<char>(b[at] ^ 0x10);
    const core::Status s = load(b);
    ASSERT_EQ(s.code(), core::StatusCode::kCorrupt) << "byte " << at;
  }
  std::string b = bytes_;
  b[bytes_.size() / 2] = static_cast<char>(b[bytes_.size() / 2] ^ 0x01);
  EXPECT_THAT(load(b).message(), StartsWith(prefix() + "checksum mismatch: stored crc32 "));
}

TEST_F(CorruptFile, Truncated) {
  const std::size_t n = bytes_.size();
  EXPECT_EQ(load(bytes_.substr(0, n - 1)).message(),
            prefix() + "truncated: header says " + std::to_string(n) + " bytes, found " + std::to_string(n - 1));
  EXPECT_EQ(load(bytes_.substr(0, 40)).message(),
            prefix() + "truncated: expected at least 76 bytes (header and checksum), found 40");
  EXPECT_EQ(load(bytes_ + "xx").message(),
            prefix() + "trailing bytes: header says " + std::to_string(n) + " bytes, found " + std::to_string(n + 2));
}

TEST_F(CorruptFile, StructuralDamageBehindAValidChecksumIsCaught) {
  // Header counts that the file cannot hold.
  std::string b = bytes_;
  put_u64_at(b, 40, 1ULL << 40);  // term count
  fix_checksum(b);
  EXPECT_THAT(load(b).message(), StartsWith(prefix() + "counts larger than the file"));
  // A chunk count one too small: the postings reach past the chunk table.
  b = bytes_;
  put_u64_at(b, 32, 4);
  fix_checksum(b);
  EXPECT_THAT(load(b).message(), HasSubstr("bad posting"));
  // Posting count disagreeing with the postings.
  b = bytes_;
  put_u64_at(b, 48, 3);
  fix_checksum(b);
  EXPECT_THAT(load(b).message(), HasSubstr("posting count: header says 3, postings hold"));
  // Total length disagreeing with the chunk table.
  b = bytes_;
  put_u64_at(b, 56, 1);
  fix_checksum(b);
  EXPECT_THAT(load(b).message(), HasSubstr("total length: header says 1, chunks sum to"));
  // A section tag overwritten.
  b = bytes_;
  const std::size_t at = b.find("POST");
  ASSERT_NE(at, std::string::npos);
  b.replace(at, 4, "XXXX");
  fix_checksum(b);
  EXPECT_EQ(load(b).message(), prefix() + "expected section 'POST' at byte " + std::to_string(at) + ", found 'XXXX'");
  // Parameters out of range.
  b = bytes_;
  b[20] = b[21] = 0;
  b[22] = static_cast<char>(0x80);
  b[23] = 0x7F;  // b = +inf
  fix_checksum(b);
  EXPECT_EQ(load(b).message(), prefix() + "bad parameters: bm25: b must be in [0, 1], found inf");
}

TEST_F(CorruptFile, RandomDamageBehindAValidChecksumNeverCrashes) {
  // Mutations past the version, re-checksummed: each load either fails with kCorrupt or yields an
  // index that answers searches (a change in a term's bytes, say, can leave a valid file).
  std::mt19937 rng(12345);
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string b = bytes_;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      const std::size_t at = 12 + rng() % (b.size() - 16);
      b[at] = static_cast<char>(rng() & 0xFF);
    }
    fix_checksum(b);
    write_bytes(path_, b);
    core::Result<Bm25Index> r = Bm25Index::load(path_);
    if (!r.ok()) {
      ASSERT_EQ(r.status().code(), core::StatusCode::kCorrupt) << r.status().to_string();
      ++rejected;
      continue;
    }
    for (const auto& q : sample_queries()) r->search(q, 10);
  }
  EXPECT_GT(rejected, 150);  // most damage is caught (about 3 in 4 here)
}

}  // namespace
}  // namespace anvil::rag
