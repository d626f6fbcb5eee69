// Writes the fuzzer's seed corpus: small valid GGUF files covering every value type, nested
// arrays, several tensor types and a non-default alignment. Usage: make_gguf_seeds DIR
#include <cstdio>
#include <string>
#include <vector>

#include "anvil/engine/gguf_writer.h"

using anvil::engine::GgmlType;
using anvil::engine::GgufValue;
using anvil::engine::GgufValueType;
using anvil::engine::GgufWriter;

namespace {

bool write(const GgufWriter& w, const std::string& path) {
  auto s = w.write(path);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.message().c_str());
  return s.ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_gguf_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = true;

  GgufWriter empty;
  ok &= write(empty, dir + "/empty.gguf");

  GgufWriter values;
  values.set_string("general.architecture", "llama");
  values.set_uint8("u8", 1);
  values.set_int8("i8", -1);
  values.set_uint16("u16", 2);
  values.set_int16("i16", -2);
  values.set_uint32("u32", 3);
  values.set_int32("i32", -3);
  values.set_uint64("u64", 4);
  values.set_int64("i64", -4);
  values.set_float32("f32", 0.5f);
  values.set_float64("f64", 0.25);
  values.set_bool("b", true);
  std::vector<std::string> strs = {"<s>", "a", "bc"};
  values.set_string_array("tokenizer.ggml.tokens", strs);
  std::vector<float> scores = {0.0f, -1.0f, -2.0f};
  values.set_float32_array("tokenizer.ggml.scores", scores);
  std::vector<int32_t> types = {3, 1, 1};
  values.set_int32_array("tokenizer.ggml.token_type", types);
  auto u8 = [](uint64_t v) { return GgufValue::make_uint(GgufValueType::kUint8, v); };
  values.set_value("nested", GgufValue::make_array(GgufValueType::kArray,
                                                   {GgufValue::make_array(GgufValueType::kUint8, {u8(1), u8(2)})}));
  ok &= write(values, dir + "/values.gguf");

  GgufWriter tensors;
  tensors.set_string("general.architecture", "llama");
  std::vector<uint8_t> f32(4 * 8, 1), f16(2 * 8, 2), q8(34, 3), q4k(144, 4);
  ok &= tensors.add_tensor("a.weight", GgmlType::kF32, std::vector<int64_t>{8}, f32).ok();
  ok &= tensors.add_tensor("b.weight", GgmlType::kF16, std::vector<int64_t>{4, 2}, f16).ok();
  ok &= tensors.add_tensor("c.weight", GgmlType::kQ8_0, std::vector<int64_t>{32}, q8).ok();
  ok &= tensors.add_tensor("d.weight", GgmlType::kQ4_K, std::vector<int64_t>{256, 1, 1, 1}, q4k).ok();
  ok &= write(tensors, dir + "/tensors.gguf");

  GgufWriter aligned;
  aligned.set_alignment(64);
  ok &= aligned.add_tensor("x", GgmlType::kF32, std::vector<int64_t>{8}, f32).ok();
  ok &= aligned.add_tensor("y", GgmlType::kF32, std::vector<int64_t>{8}, f32).ok();
  ok &= write(aligned, dir + "/aligned.gguf");

  GgufWriter v2;
  v2.set_version(2);
  v2.set_string("general.name", "v2");
  ok &= v2.add_tensor("x", GgmlType::kF32, std::vector<int64_t>{8}, f32).ok();
  ok &= write(v2, dir + "/v2.gguf");
  return ok ? 0 : 1;
}
