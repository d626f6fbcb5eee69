// GGUF reader: round trips through the writer, the shared llama.cpp vocab files, golden error
// messages for every validation rule, and no crash on any truncation or single-bit change.
#include "anvil/engine/gguf.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "anvil/engine/gguf_writer.h"
#include "testing/temp_dir.h"

namespace anvil::engine {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Builds GGUF bytes by hand, valid or not: what the writer refuses to produce.
class Raw {
 public:
  Raw& magic(std::string_view m = "GGUF") {
    out_.append(m);
    return *this;
  }
  Raw& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    magic();
    return u32(version).u64(n_tensors).u64(n_kv);
  }
  Raw& u8(uint8_t v) { return raw(v); }
  Raw& u32(uint32_t v) { return raw(v); }
  Raw& u64(uint64_t v) { return raw(v); }
  Raw& i64(int64_t v) { return raw(v); }
  Raw& str(std::string_view s) {
    u64(s.size());
    out_.append(s);
    return *this;
  }
  Raw& kv_u32(std::string_view key, uint32_t v) { return str(key).u32(4).u32(v); }
  Raw& kv_str(std::string_view key, std::string_view v) { return str(key).u32(8).str(v); }
  Raw& tensor(std::string_view name, std::vector<int64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (int64_t n : ne) i64(n);
    return u32(type).u64(offset);
  }
  Raw& pad(size_t alignment = 32) {
    out_.resize((out_.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
  Raw& text(std::string_view s) {
    out_.append(s);
    return *this;
  }
  Raw& zeros(size_t n) {
    out_.append(n, '\0');
    return *this;
  }
  const std::string& bytes() const { return out_; }

 private:
  template <typename T>
  Raw& raw(T v) {
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    out_.append(buf, sizeof(T));
    return *this;
  }
  std::string out_;
};

std::string parse_error(const std::string& bytes) {
  auto f = GgufFile::parse(bytes_of(bytes), "t.gguf");
  if (f.ok()) return "<parsed>";
  return f.status().message();
}

// ---- round trip ----

GgufWriter writer_with_every_type() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_uint8("t.u8", 200);
  w.set_int8("t.i8", -100);
  w.set_uint16("t.u16", 60000);
  w.set_int16("t.i16", -30000);
  w.set_uint32("t.u32", 4000000000u);
  w.set_int32("t.i32", -2000000000);
  w.set_uint64("t.u64", 18446744073709551615ull);
  w.set_int64("t.i64", -9000000000000000000ll);
  w.set_float32("t.f32", 1e-5f);
  w.set_float64("t.f64", 0.1);
  w.set_bool("t.bool", true);
  w.set_string("t.str", std::string("h\xC3\xA9llo\n", 7));
  w.set_string("t.empty", "");
  std::vector<std::string> tokens = {"<s>", "</s>", "\xE2\x96\x81the", ""};
  w.set_string_array("t.strs", tokens);
  std::vector<float> scores = {0.0f, -1.5f, 3.25f};
  w.set_float32_array("t.f32s", scores);
  std::vector<int32_t> types = {1, 3, -6};
  w.set_int32_array("t.i32s", types);
  std::vector<uint8_t> u8s = {};
  w.set_uint8_array("t.empty_u8s", u8s);
  // [[1, 2], [3]] as arrays of uint16 inside an array.
  auto u16 = [](uint64_t v) { return GgufValue::make_uint(GgufValueType::kUint16, v); };
  w.set_value("t.nested", GgufValue::make_array(GgufValueType::kArray,
                                                {GgufValue::make_array(GgufValueType::kUint16, {u16(1), u16(2)}),
                                                 GgufValue::make_array(GgufValueType::kUint16, {u16(3)})}));
  return w;
}

TEST(GgufRoundTrip, EveryValueType) {
  auto w = writer_with_every_type();
  auto bytes = w.write_to_string();
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto f = GgufFile::parse(bytes_of(*bytes));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.metadata().size(), w.metadata_count());
  EXPECT_EQ(g.metadata()[0].key, "general.architecture");

  EXPECT_EQ(g.find("t.u8")->type(), GgufValueType::kUint8);
  EXPECT_EQ(*g.get_int("t.u8").value(), 200);
  EXPECT_EQ(*g.get_int("t.i8").value(), -100);
  EXPECT_EQ(*g.get_int("t.u16").value(), 60000);
  EXPECT_EQ(*g.get_int("t.i16").value(), -30000);
  EXPECT_EQ(*g.get_int("t.u32").value(), 4000000000ll);
  EXPECT_EQ(*g.get_int("t.i32").value(), -2000000000);
  EXPECT_EQ(*g.find("t.u64")->as_uint(), 18446744073709551615ull);
  EXPECT_EQ(*g.get_int("t.i64").value(), -9000000000000000000ll);
  EXPECT_EQ(*g.get_float("t.f32").value(), static_cast<double>(1e-5f));
  EXPECT_EQ(*g.get_float("t.f64").value(), 0.1);
  EXPECT_EQ(*g.get_float("t.u16").value(), 60000.0);  // floats accept integers
  EXPECT_EQ(*g.get_bool("t.bool").value(), true);
  EXPECT_EQ(*g.get_string("t.str").value(), std::string("h\xC3\xA9llo\n", 7));
  EXPECT_EQ(*g.get_string("t.empty").value(), "");

  auto strs = g.get_string_array("t.strs").value();
  ASSERT_TRUE(strs);
  EXPECT_EQ(*strs, (std::vector<std::string_view>{"<s>", "</s>", "\xE2\x96\x81the", ""}));
  EXPECT_EQ(*g.get_float_array("t.f32s").value(), (std::vector<float>{0.0f, -1.5f, 3.25f}));
  EXPECT_EQ(*g.get_int_array("t.i32s").value(), (std::vector<int64_t>{1, 3, -6}));
  EXPECT_EQ(*g.get_float_array("t.i32s").value(), (std::vector<float>{1, 3, -6}));
  EXPECT_TRUE(g.get_int_array("t.empty_u8s").value()->empty());

  const GgufValue* nested = g.find("t.nested");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->array_type(), GgufValueType::kArray);
  ASSERT_EQ(nested->array_size(), 2u);
  EXPECT_EQ(nested->elements()[0].array_size(), 2u);
  EXPECT_EQ(*nested->elements()[1].elements()[0].as_int(), 3);
  EXPECT_EQ(nested->to_string(), "[[1, 2], [3]]");
  EXPECT_EQ(g.find("t.strs")->to_string(2), "[\"<s>\", \"</s>\", ... (4 total)]");
  EXPECT_EQ(g.find("t.str")->to_string(), "\"h\xC3\xA9llo\\n\"");
  EXPECT_EQ(g.find("t.bool")->to_string(), "true");
  EXPECT_EQ(g.find("t.f32")->to_string(), "1e-05");
}

// Arrays stay encoded in the file's bytes and decode element by element: every index of a string
// array (on and between the recorded offsets), iteration, and a copy through the writer.
TEST(GgufArrays, ElementsDecodeFromTheFileBytes) {
  GgufWriter w;
  std::vector<std::string> strs;
  for (size_t i = 0; i < 3 * GgufValue::kStringStride + 5; ++i) strs.push_back(std::string(i % 7, 'a' + i % 26));
  w.set_string_array("k.strs", strs);
  std::vector<int32_t> ints = {7, -8, 2147483647, -2147483647 - 1};
  w.set_int32_array("k.i32s", ints);
  std::vector<float> floats = {0.5f, -2.0f};
  w.set_float32_array("k.f32s", floats);
  auto bytes = w.write_to_string();
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto f = GgufFile::parse(bytes_of(*bytes));
  ASSERT_TRUE(f.ok()) << f.status().message();

  const GgufValue* v = (*f)->find("k.strs");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->array_size(), strs.size());
  for (size_t i = strs.size(); i-- > 0;) EXPECT_EQ(*v->element(i).as_string(), strs[i]) << i;
  size_t i = 0;
  for (const GgufValue e : v->elements()) EXPECT_EQ(*e.as_string(), strs[i++]);
  EXPECT_EQ(i, strs.size());
  // Strings point into the parsed bytes, not into copies.
  const std::string_view last = *v->element(strs.size() - 1).as_string();
  EXPECT_TRUE(last.data() > bytes->data() && last.data() < bytes->data() + bytes->size());

  const GgufValue* i32s = (*f)->find("k.i32s");
  for (size_t k = 0; k < ints.size(); ++k) EXPECT_EQ(*i32s->element(k).as_int(), ints[k]);
  EXPECT_EQ(i32s->elements()[3].type(), GgufValueType::kInt32);
  EXPECT_EQ(*(*f)->find("k.f32s")->element(1).as_float(), -2.0);

  // The writer re-encodes a parsed array (what quantize does with the tokenizer's arrays).
  GgufWriter copy;
  for (const auto& kv : (*f)->metadata()) copy.set_value(kv.key, kv.value);
  auto copied = copy.write_to_string();
  ASSERT_TRUE(copied.ok());
  auto g = GgufFile::parse(bytes_of(*copied));
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(*(*g)->get_string_array("k.strs").value(), *(*f)->get_string_array("k.strs").value());
  EXPECT_EQ(*(*g)->get_int_array("k.i32s").value(), (std::vector<int64_t>{7, -8, 2147483647, -2147483647 - 1}));
}

TEST(GgufRoundTrip, TensorsKeepShapeTypeAndBytes) {
  GgufWriter w;
  w.set_alignment(64);
  std::vector<uint8_t> a(4 * 3 * 4);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> b(34 * 2);  // q8_0: 2 rows of 32 elements
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(255 - i);
  std::vector<uint8_t> c(2 * 5);  // f16 [5]... x 1
  ASSERT_TRUE(w.add_tensor("a", GgmlType::kF32, std::vector<int64_t>{4, 3}, a).ok());
  ASSERT_TRUE(w.add_tensor("blk.0.b", GgmlType::kQ8_0, std::vector<int64_t>{32, 1, 2}, b).ok());
  ASSERT_TRUE(w.add_tensor("c", GgmlType::kF16, std::vector<int64_t>{5}, c).ok());
  auto bytes = w.write_to_string();
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), w.file_size());
  auto f = GgufFile::parse(bytes_of(*bytes));
  ASSERT_TRUE(f.ok()) << f.status().message();
  const GgufFile& g = **f;
  EXPECT_EQ(g.alignment(), 64u);
  EXPECT_EQ(g.data_offset() % 64, 0u);
  ASSERT_EQ(g.tensors().size(), 3u);
  const GgufTensor* tb = g.find_tensor("blk.0.b");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(tb->type, GgmlType::kQ8_0);
  EXPECT_EQ(tb->n_dims, 3);
  EXPECT_EQ(tb->ne[0], 32);
  EXPECT_EQ(tb->ne[1], 1);
  EXPECT_EQ(tb->ne[2], 2);
  EXPECT_EQ(tb->ne[3], 1);
  EXPECT_EQ(tb->n_rows(), 2);
  EXPECT_EQ(tb->row_bytes(), 34u);
  EXPECT_EQ(tb->n_bytes, b.size());
  EXPECT_EQ(tb->offset % 64, 0u);
  EXPECT_EQ(std::vector<uint8_t>(tb->data, tb->data + tb->n_bytes), b);
  const GgufTensor* ta = g.find_tensor("a");
  EXPECT_EQ(std::vector<uint8_t>(ta->data, ta->data + ta->n_bytes), a);
  EXPECT_EQ(ta->n_elements(), 12);
  EXPECT_EQ(g.find_tensor("c")->n_bytes, 10u);
  EXPECT_EQ(g.find_tensor("missing"), nullptr);
}

TEST(GgufRoundTrip, VersionTwoReads) {
  GgufWriter w;
  w.set_version(2);
  w.set_uint32("x", 7);
  auto f = GgufFile::parse(bytes_of(*w.write_to_string()));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ((*f)->version(), 2u);
}

TEST(GgufFileOpen, MapsAFileFromDisk) {
  testing::TempDir dir;
  auto w = writer_with_every_type();
  std::vector<uint8_t> data(32 * 4, 1);
  ASSERT_TRUE(w.add_tensor("w", GgmlType::kF32, std::vector<int64_t>{32}, data).ok());
  auto path = dir / "m.gguf";
  ASSERT_TRUE(w.write(path).ok());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ((*f)->name(), path.string());
  EXPECT_EQ((*f)->file_size(), std::filesystem::file_size(path));
  EXPECT_EQ((*f)->find_tensor("w")->data[0], 1);
  (*f)->advise_willneed();
}

TEST(GgufFileOpen, Errors) {
  testing::TempDir dir;
  auto missing = GgufFile::open(dir / "nope.gguf");
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), (dir / "nope.gguf").string() + ": cannot open: No such file or directory");
  auto folder = GgufFile::open(dir.path());
  EXPECT_EQ(folder.status().message(), dir.path().string() + ": cannot open: Is a directory");
  auto empty = GgufFile::open(dir.write("empty.gguf", ""));
  EXPECT_EQ(empty.status().message(),
            (dir / "empty.gguf").string() + ": truncated: expected 4 bytes for magic at offset 0, file has 0");
}

// ---- typed getters ----

TEST(GgufGetters, WrongTypesAreErrorsAndMissingKeysAreEmpty) {
  auto w = writer_with_every_type();
  auto bytes = *w.write_to_string();
  auto f = GgufFile::parse(bytes_of(bytes), "m.gguf");
  ASSERT_TRUE(f.ok());
  const GgufFile& g = **f;
  EXPECT_FALSE(g.get_int("absent").value().has_value());
  EXPECT_FALSE(g.get_string_array("absent").value().has_value());
  EXPECT_EQ(g.get_int("t.str").status().message(), "m.gguf: metadata 't.str' is a string, expected an integer");
  EXPECT_EQ(g.get_int("t.f32").status().message(), "m.gguf: metadata 't.f32' is a float32, expected an integer");
  EXPECT_EQ(g.get_int("t.u64").status().message(),
            "m.gguf: metadata 't.u64' = 18446744073709551615 does not fit in int64");
  EXPECT_EQ(g.get_string("t.i32").status().message(), "m.gguf: metadata 't.i32' is an int32, expected a string");
  EXPECT_EQ(g.get_bool("t.u8").status().message(), "m.gguf: metadata 't.u8' is a uint8, expected a bool");
  EXPECT_EQ(g.get_float("t.bool").status().message(), "m.gguf: metadata 't.bool' is a bool, expected a number");
  EXPECT_EQ(g.get_string_array("t.f32s").status().message(),
            "m.gguf: metadata 't.f32s' is an array of float32, expected an array of string");
  EXPECT_EQ(g.get_int_array("t.f32s").status().message(),
            "m.gguf: metadata 't.f32s' is an array of float32, expected an array of integers");
  EXPECT_EQ(g.get_float_array("t.strs").status().message(),
            "m.gguf: metadata 't.strs' is an array of string, expected an array of numbers");
  EXPECT_EQ(g.get_float_array("t.u8").status().message(),
            "m.gguf: metadata 't.u8' is a uint8, expected an array of numbers");
}

TEST(GgufValue, Conversions) {
  auto big = GgufValue::make_uint(GgufValueType::kUint64, 1ull << 63);
  EXPECT_FALSE(big.as_int());
  EXPECT_EQ(*big.as_uint(), 1ull << 63);
  auto neg = GgufValue::make_int(GgufValueType::kInt32, -1);
  EXPECT_FALSE(neg.as_uint());
  EXPECT_EQ(*neg.as_float(), -1.0);
  EXPECT_FALSE(neg.as_bool());
  EXPECT_FALSE(GgufValue::make_float(GgufValueType::kFloat32, 2.0).as_int());
  EXPECT_FALSE(GgufValue::make_string("x").as_float());
}

// ---- golden errors ----

TEST(GgufErrors, Header) {
  EXPECT_EQ(parse_error(Raw().magic("GGUF").u32(3).u8(0).u8(0).bytes()),
            "t.gguf: truncated: expected 8 bytes for tensor count at offset 8, file has 10");
  EXPECT_EQ(parse_error("GG"), "t.gguf: truncated: expected 4 bytes for magic at offset 0, file has 2");
  EXPECT_EQ(parse_error(std::string("PK\x03\x04 and more", 13)),
            "t.gguf: bad magic: expected 'GGUF', found 'PK\\x03\\x04'");
  EXPECT_EQ(parse_error(Raw().header(0, 0, 1).bytes()),
            "t.gguf: GGUF version 1 is not supported (it predates 64-bit counts): expected version 2 or 3; "
            "convert the file again with a current llama.cpp");
  EXPECT_EQ(parse_error(Raw().header(0, 0, 7).bytes()), "t.gguf: unsupported GGUF version 7: expected 2 or 3");
  EXPECT_EQ(parse_error(Raw().header(0, 0, 0x03000000).bytes()),
            "t.gguf: GGUF version 50331648 reads as 3 byte-swapped: a big-endian file, which Anvil does not "
            "support (expected a little-endian file, version 2 or 3)");
  EXPECT_EQ(parse_error(Raw().magic().u32(3).u64(0).u32(0).bytes()),
            "t.gguf: truncated: expected 8 bytes for metadata count at offset 16, file has 20");
  // Zero tensors and zero metadata is a valid (empty) file.
  EXPECT_EQ(parse_error(Raw().header(0, 0).bytes()), "<parsed>");
}

TEST(GgufErrors, Metadata) {
  EXPECT_EQ(parse_error(Raw().header(0, 1).u64(1000).bytes()),
            "t.gguf: truncated: expected 1000 bytes for the key of metadata item 0 at offset 32, file has 32");
  EXPECT_EQ(parse_error(Raw().header(0, 2).kv_u32("a", 1).u32(5).bytes()),
            "t.gguf: truncated: expected 8 bytes for the length of the key of metadata item 1 at offset 41, "
            "file has 45");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(8).u64(1ull << 40).bytes()),
            "t.gguf: truncated: expected 1099511627776 bytes for metadata 'k' at offset 45, file has 45");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(13).bytes()), "t.gguf: metadata 'k' has unknown value type 13");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(7).u8(2).bytes()),
            "t.gguf: metadata 'k' is a bool stored as 2, expected 0 or 1");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(4).u8(1).bytes()),
            "t.gguf: truncated: expected 4 bytes for metadata 'k' at offset 37, file has 38");
  EXPECT_EQ(parse_error(Raw().header(0, 2).kv_u32("k", 1).kv_u32("k", 2).bytes()),
            "t.gguf: duplicate metadata key 'k'");
  EXPECT_EQ(parse_error(Raw().header(0, 1).kv_u32(std::string("k\xFF\n", 3), 1).kv_u32("x", 2).bytes()),
            "<parsed>");  // odd bytes in keys are allowed (and escaped in messages)
  EXPECT_EQ(parse_error(Raw().header(0, 2).kv_u32("k\n", 1).kv_u32("k\n", 2).bytes()),
            "t.gguf: duplicate metadata key 'k\\x0A'");
}

TEST(GgufErrors, Arrays) {
  // An array of a billion uint32 in a 60-byte file.
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(4).u64(1000000000).bytes()),
            "t.gguf: truncated: expected 4000000000 bytes for the 1000000000 uint32 elements of metadata 'k' at "
            "offset 49, file has 49");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(8).u64(3).str("a").bytes()),
            "t.gguf: truncated: expected at least 24 bytes for the 3 string elements of metadata 'k' at offset "
            "49, file has 58");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(8).u64(2).str("a").u64(9).text("b").bytes()),
            "t.gguf: truncated: expected 9 bytes for element 1 of metadata 'k' at offset 66, file has 67");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(8).u64(~0ull).bytes()),
            "t.gguf: truncated: expected at least 18446744073709551615 bytes for the 18446744073709551615 string "
            "elements of metadata 'k' at offset 49, file has 49");
  // Every element of an array is checked when the file is read, not when it is used.
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(7).u64(4).u8(1).u8(0).u8(2).u8(1).bytes()),
            "t.gguf: element 2 of metadata 'k' is a bool stored as 2, expected 0 or 1");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(9).u64(1).u32(8).u64(2).str("a").u64(5).bytes()),
            "t.gguf: truncated: expected 5 bytes for element 1 of element 0 of metadata 'k' at offset 78, file "
            "has 78");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(20).u64(0).bytes()),
            "t.gguf: metadata 'k' is an array of unknown value type 20");
  EXPECT_EQ(parse_error(Raw().header(0, 1).str("k").u32(9).u32(9).u64(1).u32(9).u64(1).u32(13).u64(0).bytes()),
            "t.gguf: element 0 of element 0 of metadata 'k' is an array of unknown value type 13");
  // Arrays of arrays nest at most 8 deep.
  Raw deep;
  deep.header(0, 1).str("k").u32(9);
  for (int i = 0; i < 9; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(0);
  EXPECT_EQ(parse_error(deep.bytes()),
            "t.gguf: element 0 of element 0 of element 0 of element 0 of element 0 of element 0 of element 0 of "
            "element 0 of metadata 'k' nests arrays more than 8 deep");
}

TEST(GgufErrors, Alignment) {
  EXPECT_EQ(parse_error(Raw().header(0, 1).kv_u32("general.alignment", 48).bytes()),
            "t.gguf: metadata 'general.alignment' must be a power of two, found 48");
  EXPECT_EQ(parse_error(Raw().header(0, 1).kv_u32("general.alignment", 0).bytes()),
            "t.gguf: metadata 'general.alignment' must be a power of two, found 0");
  EXPECT_EQ(parse_error(Raw().header(0, 1).kv_str("general.alignment", "32").bytes()),
            "t.gguf: metadata 'general.alignment' is a string, expected an integer");
}

// A valid file with one f32 tensor of `ne` at `offset`, then `data` bytes of data.
std::string one_tensor(std::vector<int64_t> ne, uint32_t type, uint64_t offset, size_t data, std::string name = "w") {
  return Raw().header(1, 0).tensor(name, std::move(ne), type, offset).pad().zeros(data).bytes();
}

TEST(GgufErrors, TensorTable) {
  EXPECT_EQ(parse_error(one_tensor({4}, 0, 0, 16)), "<parsed>");
  EXPECT_EQ(parse_error(Raw().header(2, 0).tensor("w", {4}, 0, 0).tensor("w", {4}, 0, 32).pad().zeros(64).bytes()),
            "t.gguf: duplicate tensor name 'w'");
  EXPECT_EQ(parse_error(one_tensor({1, 1, 1, 1, 1}, 0, 0, 4)), "t.gguf: tensor 'w' has 5 dimensions, expected at most 4");
  EXPECT_EQ(parse_error(one_tensor({4, 0}, 0, 0, 16)),
            "t.gguf: tensor 'w' has size 0 in dimension 1, expected a positive size");
  EXPECT_EQ(parse_error(one_tensor({-4}, 0, 0, 16)),
            "t.gguf: tensor 'w' has size -4 in dimension 0, expected a positive size");
  EXPECT_EQ(parse_error(one_tensor({1ll << 32, 1ll << 32}, 0, 0, 16)),
            "t.gguf: tensor 'w' has shape [4294967296, 4294967296]: the element count overflows 64 bits");
  EXPECT_EQ(parse_error(one_tensor({4}, 99, 0, 16)), "t.gguf: tensor 'w' has unknown tensor type 99");
  EXPECT_EQ(parse_error(one_tensor({256}, 16, 0, 66)),
            "t.gguf: tensor 'w' has type iq2_xxs, which Anvil does not support");
  EXPECT_EQ(parse_error(one_tensor({256}, 24, 0, 256)), "t.gguf: tensor 'w' has type i8, which Anvil does not support");
  EXPECT_EQ(parse_error(one_tensor({100, 2}, 2, 0, 1000)),
            "t.gguf: tensor 'w' has rows of 100 elements (ne[0]), not a multiple of the q4_0 block size 32");
  EXPECT_EQ(parse_error(one_tensor({4}, 0, 16, 64)),
            "t.gguf: tensor 'w' has data offset 16, not a multiple of the alignment 32");
  EXPECT_EQ(parse_error(Raw().header(1, 0).tensor("w", {4}, 0, 0).bytes()),
            "t.gguf: tensor 'w' (offset 0, 16 bytes) runs past the end of the file (data section at 64, file size "
            "57)");
  EXPECT_EQ(parse_error(one_tensor({4}, 0, 32, 40)),
            "t.gguf: tensor 'w' (offset 32, 16 bytes) runs past the end of the file (data section at 64, file size "
            "104)");
  EXPECT_EQ(parse_error(one_tensor({4}, 0, 1ull << 63, 40)),
            "t.gguf: tensor 'w' (offset 9223372036854775808, 16 bytes) runs past the end of the file (data section "
            "at 64, file size 104)");
  EXPECT_EQ(parse_error(Raw().header(2, 0).tensor("a", {16}, 0, 32).tensor("b", {16}, 0, 64).pad().zeros(128).bytes()),
            "t.gguf: tensors 'a' (offset 32, 64 bytes) and 'b' (offset 64, 64 bytes) overlap");
  EXPECT_EQ(parse_error(Raw().header(1, 0).str("w").u32(1).bytes()),
            "t.gguf: truncated: expected 8 bytes for dimension 0 of tensor 'w' at offset 37, file has 37");
  EXPECT_EQ(parse_error(Raw().header(2, 0).tensor("a", {4}, 0, 0).bytes()),
            "t.gguf: truncated: expected 8 bytes for the length of the name of tensor 1 at offset 57, file has 57");
}

TEST(GgufErrors, TextConvertedFileGetsAHint) {
  // n = 384 ("\x80\x01\0\0") after a lossy UTF-8 round trip: 0x80 became EF BF BD, two bytes
  // longer, so the next key's length is read from the wrong place.
  std::string damaged =
      Raw().header(0, 2).str("n").u32(4).text("\xEF\xBF\xBD\x01").u8(0).u8(0).kv_u32("x", 1).bytes();
  EXPECT_EQ(parse_error(damaged),
            "t.gguf: truncated: expected 65536 bytes for the key of metadata item 1 at offset 49, file has 60 (the file is valid UTF-8 "
            "with U+FFFD replacement characters where binary data belongs: it was damaged by a text conversion; "
            "get an unconverted copy)");
}

// ---- robustness ----

std::string small_valid_file() {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  std::vector<std::string> tokens = {"a", "bc", "def"};
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  std::vector<float> scores = {0.5f, -1.0f, 2.0f};
  w.set_float32_array("tokenizer.ggml.scores", scores);
  w.set_float32("eps", 1e-6f);
  std::vector<uint8_t> d1(32 * 4, 0x3f), d2(34, 0x11);
  EXPECT_TRUE(w.add_tensor("a", GgmlType::kF32, std::vector<int64_t>{32}, d1).ok());
  EXPECT_TRUE(w.add_tensor("b", GgmlType::kQ8_0, std::vector<int64_t>{32}, d2).ok());
  return *w.write_to_string();
}

TEST(GgufRobustness, EveryTruncationIsAnError) {
  const std::string full = small_valid_file();
  ASSERT_TRUE(GgufFile::parse(bytes_of(full)).ok());
  // The last tensor's padding is not needed to read it; every shorter prefix must fail.
  const size_t needed = full.size() - (64 - 34);
  for (size_t n = 0; n < full.size(); ++n) {
    std::string prefix = full.substr(0, n);
    auto f = GgufFile::parse(bytes_of(prefix));
    EXPECT_EQ(f.ok(), n >= needed) << "length " << n;
    if (!f.ok()) {
      EXPECT_FALSE(f.status().message().empty());
    }
  }
}

TEST(GgufRobustness, EverySingleBitFlipParsesOrFailsCleanly) {
  const std::string full = small_valid_file();
  int failures = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string copy = full;
      copy[i] = static_cast<char>(copy[i] ^ (1 << bit));
      auto f = GgufFile::parse(bytes_of(copy));
      if (!f.ok()) {
        ++failures;
        continue;
      }
      // Whatever parsed must be in bounds.
      for (const auto& t : (*f)->tensors()) {
        const auto* begin = reinterpret_cast<const uint8_t*>(copy.data());
        EXPECT_GE(t.data, begin);
        EXPECT_LE(t.data + t.n_bytes, begin + copy.size());
      }
    }
  }
  EXPECT_GT(failures, 0);
}

// ---- llama.cpp's vocab-only files ----

// Whether a file is valid UTF-8 holding U+FFFD: the mark of a lossy text conversion.
bool text_converted(const std::string& bytes) {
  if (bytes.find("\xEF\xBF\xBD") == std::string::npos) return false;
  size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > bytes.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(bytes[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

TEST(GgufVocabFiles, ParseOrAreReportedAsDamaged) {
  auto dir = testing::shared_dir() / "data" / "tokenizer";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no shared tokenizer data at " << dir;
  int parsed = 0, damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".gguf") continue;
    SCOPED_TRACE(entry.path().string());
    auto f = GgufFile::open(entry.path());
    if (!f.ok()) {
      // The copies in ../shared went through a lossy UTF-8 conversion: the reader must say so.
      std::ifstream in(entry.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_TRUE(text_converted(bytes)) << f.status().message();
      EXPECT_NE(f.status().message().find("damaged by a text conversion"), std::string::npos)
          << f.status().message();
      ++damaged;
      continue;
    }
    ++parsed;
    const GgufFile& g = **f;
    EXPECT_TRUE(g.tensors().empty());
    auto model = g.get_string("tokenizer.ggml.model");
    ASSERT_TRUE(model.ok() && model->has_value());
    EXPECT_TRUE(**model == "llama" || **model == "gpt2" || **model == "bert") << **model;
    auto tokens = g.get_string_array("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok() && tokens->has_value());
    EXPECT_GT((*tokens)->size(), 1000u);
    if (auto types = g.get_int_array("tokenizer.ggml.token_type"); types.ok() && types->has_value()) {
      EXPECT_EQ((*types)->size(), (*tokens)->size());
    }
  }
  std::printf("vocab files: %d parsed, %d damaged by a text conversion\n", parsed, damaged);
  EXPECT_GT(parsed + damaged, 0);
}

// tests/engine/reference/vocab_repair.py has the vocab_salvage tool rebuild the damaged files
// (docs/MODELS.md) into $ANVIL_VOCAB_CACHE when the model tests run; their tokenizer sizes and the
// damaged BOS ids chosen by role are known.
TEST(GgufVocabFiles, RepairedCopiesParse) {
  const char* env = std::getenv("ANVIL_VOCAB_CACHE");
  const std::filesystem::path cache = env != nullptr ? env : "/tmp/anvil-vocab-repaired";
  struct Known {
    const char* name;
    const char* model;
    size_t tokens;
    size_t merges;  // 0: no merges
    std::optional<int64_t> bos;
  };
  const Known known[] = {
      {"ggml-vocab-bert-bge.gguf", "bert", 30522, 0, std::nullopt},
      {"ggml-vocab-gpt-2.gguf", "gpt2", 50257, 50000, 50256},
      {"ggml-vocab-llama-spm.gguf", "llama", 32000, 0, 1},
      {"ggml-vocab-phi-3.gguf", "llama", 32064, 0, 1},
  };
  int checked = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cache, ec)) {
    const std::string file = entry.path().filename().string();
    for (const auto& k : known) {
      if (file.rfind(std::string(k.name) + ".", 0) != 0) continue;
      SCOPED_TRACE(entry.path().string());
      auto f = GgufFile::open(entry.path());
      ASSERT_TRUE(f.ok()) << f.status().message();
      EXPECT_EQ(*(*f)->get_string("tokenizer.ggml.model").value(), k.model);
      EXPECT_EQ((*f)->get_string_array("tokenizer.ggml.tokens").value()->size(), k.tokens);
      EXPECT_EQ((*f)->get_int_array("tokenizer.ggml.token_type").value()->size(), k.tokens);
      auto merges = (*f)->get_string_array("tokenizer.ggml.merges").value();
      EXPECT_EQ(merges ? merges->size() : 0u, k.merges);
      EXPECT_EQ((*f)->get_int("tokenizer.ggml.bos_token_id").value(), k.bos);
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "no repaired vocabulary files in " << cache << " (the model tests make them)";
}

}  // namespace
}  // namespace anvil::engine
