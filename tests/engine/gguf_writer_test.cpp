// GGUF writer: streamed tensors, padding and offsets, replacing keys, alignment, atomic writes
// (a failing tensor source leaves no file and no temporary behind), argument errors.
#include "anvil/engine/gguf_writer.h"

#include <gtest/gtest.h>

#include "anvil/engine/gguf.h"
#include "testing/temp_dir.h"

namespace anvil::engine {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<std::string> folder_entries(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(GgufWriter, StreamsTensorsInChunksWithPadding) {
  GgufWriter w;
  w.set_string("general.architecture", "test");
  const int64_t rows = 100, cols = 64;  // f32 [64, 100]: 25600 bytes
  int calls = 0;
  ASSERT_TRUE(w.add_tensor("big", GgmlType::kF32, std::vector<int64_t>{cols, rows},
                           [&](const GgufWriter::ChunkSink& sink) -> core::Status {
                             ++calls;
                             std::vector<float> row(cols);
                             for (int64_t r = 0; r < rows; ++r) {
                               for (int64_t c = 0; c < cols; ++c) row[c] = static_cast<float>(r * 1000 + c);
                               ANVIL_RETURN_IF_ERROR(sink({reinterpret_cast<const uint8_t*>(row.data()), row.size() * 4}));
                             }
                             return {};
                           })
                  .ok());
  std::vector<uint8_t> small(3 * 2, 7);  // f16 [3]: 6 bytes, padded to 32
  ASSERT_TRUE(w.add_tensor("small", GgmlType::kF16, std::vector<int64_t>{3}, small).ok());
  std::vector<uint8_t> last(4, 9);
  ASSERT_TRUE(w.add_tensor("last", GgmlType::kF32, std::vector<int64_t>{1}, last).ok());
  EXPECT_EQ(calls, 0);  // nothing runs before write

  testing::TempDir dir;
  ASSERT_TRUE(w.write(dir / "m.gguf").ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(std::filesystem::file_size(dir / "m.gguf"), w.file_size());
  EXPECT_EQ(w.file_size() % 32, 0u);  // the last tensor is padded too
  EXPECT_EQ(folder_entries(dir.path()), std::vector<std::string>{"m.gguf"});

  auto f = GgufFile::open(dir / "m.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  const GgufTensor* big = (*f)->find_tensor("big");
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->offset, 0u);
  const auto* values = reinterpret_cast<const float*>(big->data);
  EXPECT_EQ(values[0], 0.0f);
  EXPECT_EQ(values[99 * 64 + 5], 99005.0f);
  EXPECT_EQ((*f)->find_tensor("small")->offset, 25600u);
  EXPECT_EQ((*f)->find_tensor("last")->offset, 25632u);
  EXPECT_EQ((*f)->find_tensor("last")->data[3], 9);
}

TEST(GgufWriter, SettingAKeyAgainReplacesItInPlace) {
  GgufWriter w;
  w.set_uint32("a", 1);
  w.set_string("b", "x");
  w.set_uint32("c", 3);
  w.set_string("a", "now a string");
  EXPECT_TRUE(w.remove("c"));
  EXPECT_FALSE(w.remove("c"));
  EXPECT_TRUE(w.has("b"));
  auto f = GgufFile::parse(bytes_of(*w.write_to_string()));
  ASSERT_TRUE(f.ok());
  ASSERT_EQ((*f)->metadata().size(), 2u);
  EXPECT_EQ((*f)->metadata()[0].key, "a");
  EXPECT_EQ(*(*f)->get_string("a").value(), "now a string");
  EXPECT_EQ((*f)->metadata()[1].key, "b");
}

TEST(GgufWriter, CopiesEveryValueOfAnotherFile) {
  GgufWriter src;
  src.set_int16("i16", -5);
  src.set_float64("f64", 2.5);
  src.set_bool("b", false);
  std::vector<std::string> strs = {"x", "yz"};
  src.set_string_array("strs", strs);
  std::vector<int64_t> i64s = {1, -2};
  src.set_int64_array("i64s", i64s);
  std::vector<uint32_t> u32s = {7};
  src.set_uint32_array("u32s", u32s);
  auto src_bytes = *src.write_to_string();
  auto parsed = GgufFile::parse(bytes_of(src_bytes));
  ASSERT_TRUE(parsed.ok());
  GgufWriter copy;
  for (const auto& kv : (*parsed)->metadata()) copy.set_value(kv.key, kv.value);
  EXPECT_EQ(*copy.write_to_string(), src_bytes);  // byte for byte
}

TEST(GgufWriter, AlignmentFromTheKey) {
  GgufWriter w;
  w.set_uint32("general.alignment", 128);
  EXPECT_EQ(w.alignment(), 128u);
  std::vector<uint8_t> d(4, 1);
  ASSERT_TRUE(w.add_tensor("a", GgmlType::kF32, std::vector<int64_t>{1}, d).ok());
  ASSERT_TRUE(w.add_tensor("b", GgmlType::kF32, std::vector<int64_t>{1}, d).ok());
  auto f = GgufFile::parse(bytes_of(*w.write_to_string()));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->data_offset() % 128, 0u);
  EXPECT_EQ((*f)->find_tensor("b")->offset, 128u);

  w.set_uint32("general.alignment", 48);
  EXPECT_EQ(w.write_to_string().status().message(), "general.alignment must be an unsigned power of two, found 48");
  w.set_string("general.alignment", "64");
  EXPECT_EQ(w.write_to_string().status().message(), "general.alignment must be an unsigned power of two, found 0");
  EXPECT_TRUE(w.remove("general.alignment"));
  EXPECT_EQ(w.alignment(), 32u);
}

TEST(GgufWriter, FailingSourceLeavesNoFileAndKeepsTheOldOne) {
  testing::TempDir dir;
  auto path = dir.write("m.gguf", "old contents");
  GgufWriter w;
  ASSERT_TRUE(w.add_tensor("t", GgmlType::kF32, std::vector<int64_t>{4},
                           [](const GgufWriter::ChunkSink&) { return core::Status::io("disk on fire"); })
                  .ok());
  auto status = w.write(path);
  EXPECT_EQ(status.message(), path.string() + ": tensor 't': disk on fire");
  EXPECT_EQ(folder_entries(dir.path()), std::vector<std::string>{"m.gguf"});
  EXPECT_EQ(std::filesystem::file_size(path), 12u);
}

TEST(GgufWriter, SourceMustProduceExactlyTheTensorSize) {
  GgufWriter w;
  std::vector<uint8_t> five(5, 0);
  ASSERT_TRUE(w.add_tensor("short", GgmlType::kF32, std::vector<int64_t>{2},
                           [&](const GgufWriter::ChunkSink& sink) { return sink(five); })
                  .ok());
  EXPECT_EQ(w.write_to_string().status().message(), "tensor 'short': the source produced 5 bytes, expected 8");
  GgufWriter w2;
  std::vector<uint8_t> nine(9, 0);
  ASSERT_TRUE(w2.add_tensor("long", GgmlType::kF32, std::vector<int64_t>{2},
                            [&](const GgufWriter::ChunkSink& sink) { return sink(nine); })
                  .ok());
  EXPECT_EQ(w2.write_to_string().status().message(), "tensor 'long': the source produced 9 bytes, expected 8");
}

TEST(GgufWriter, TensorArgumentErrors) {
  GgufWriter w;
  std::vector<uint8_t> d(16);
  auto add = [&](std::string_view name, GgmlType type, std::vector<int64_t> ne, size_t n) {
    return w.add_tensor(name, type, ne, std::span<const uint8_t>(d.data(), n)).message();
  };
  EXPECT_EQ(add("a", GgmlType::kF32, {4}, 16), "");
  EXPECT_EQ(add("a", GgmlType::kF32, {4}, 16), "duplicate tensor name 'a'");
  EXPECT_EQ(add("", GgmlType::kF32, {4}, 16), "tensor name is empty");
  EXPECT_EQ(add(std::string(64, 'n'), GgmlType::kF32, {4}, 16),
            "tensor name '" + std::string(64, 'n') + "' is 64 bytes long; llama.cpp reads at most 63");
  EXPECT_EQ(add("b", GgmlType::kF32, {}, 16), "tensor 'b' has 0 dimensions, expected 1 to 4");
  EXPECT_EQ(add("b", GgmlType::kF32, {1, 1, 1, 1, 1}, 16), "tensor 'b' has 5 dimensions, expected 1 to 4");
  EXPECT_EQ(add("b", GgmlType::kF32, {4, 0}, 0), "tensor 'b' has size 0 in dimension 1, expected a positive size");
  EXPECT_EQ(add("b", GgmlType::kQ4_K, {32}, 16),
            "tensor 'b' has rows of 32 elements (ne[0]), not a multiple of the q4_K block size 256");
  EXPECT_EQ(add("b", GgmlType::kF32, {2, 3}, 16), "tensor 'b' of type f32 and shape [2, 3] needs 24 bytes, got 16");
  EXPECT_EQ(w.tensor_count(), 1u);
}

TEST(GgufWriter, MissingFolderIsAnError) {
  testing::TempDir dir;
  GgufWriter w;
  auto status = w.write(dir / "no" / "m.gguf");
  EXPECT_EQ(status.code(), core::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("cannot create: No such file or directory"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace anvil::engine
