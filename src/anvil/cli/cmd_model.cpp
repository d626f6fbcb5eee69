// `anvil model info FILE.gguf [--json] [--tensors] [--metadata]`: what a GGUF file holds.
#include <cstdio>
#include <memory>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/cli/context.h"
#include "anvil/cli/progress_bar.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_util.h"
#include "anvil/engine/model_info.h"

namespace anvil::cli {
namespace {

using engine::GgufFile;
using engine::GgufValue;
using engine::GgufValueType;
using engine::ModelInfo;

boost::json::value value_json(const GgufValue& v) {
  switch (v.type()) {
    case GgufValueType::kBool: return *v.as_bool();
    case GgufValueType::kString: return boost::json::string(*v.as_string());
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64: return *v.as_float();
    case GgufValueType::kArray: {
      boost::json::array a;
      a.reserve(v.array_size());
      for (const auto& e : v.elements()) a.push_back(value_json(e));
      return a;
    }
    default:
      if (auto i = v.as_int()) return *i;
      return *v.as_uint();
  }
}

std::string shape(const engine::GgufTensor& t) { return engine::shape_string(t); }

// "6.74 B", "494.03 M", "12.5 K": parameter counts for people.
std::string human_count(uint64_t n) {
  const double x = static_cast<double>(n);
  if (n >= 1000000000) return fmt::format("{:.2f} B", x / 1e9);
  if (n >= 1000000) return fmt::format("{:.2f} M", x / 1e6);
  if (n >= 1000) return fmt::format("{:.2f} K", x / 1e3);
  return std::to_string(n);
}

std::string first_line(std::string_view s) {
  auto nl = s.find('\n');
  return std::string(s.substr(0, nl));
}

std::string quote_text(std::string_view s) { return GgufValue::make_string(s).to_string(); }

struct InfoOptions {
  std::string path;
  bool json = false;
  bool tensors = false;
  bool metadata = false;
};

void print_json(const GgufFile& f, const ModelInfo& info, const InfoOptions& o) {
  boost::json::object out;
  out["file"] = f.name();
  out["gguf_version"] = f.version();
  out["file_size"] = f.file_size();
  out["alignment"] = f.alignment();
  out["data_offset"] = f.data_offset();
  out["tensor_count"] = f.tensors().size();
  out["metadata_count"] = f.metadata().size();
  out["architecture"] = info.architecture;
  out["name"] = info.name ? boost::json::value(boost::json::string(*info.name)) : nullptr;
  if (info.file_type) {
    auto name = engine::llama_ftype_name(*info.file_type);
    out["file_type"] = {{"id", *info.file_type},
                        {"name", name ? boost::json::value(boost::json::string(*name)) : nullptr}};
  } else {
    out["file_type"] = nullptr;
  }
  out["parameters"] = info.parameters;
  out["tensor_bytes"] = info.tensor_bytes;
  boost::json::array types;
  for (const auto& u : info.types) {
    types.push_back({{"type", engine::ggml_type_name(u.type)}, {"tensors", u.tensors}, {"bytes", u.bytes}});
  }
  out["tensor_types"] = std::move(types);
  boost::json::object hyper;
  for (const auto& h : info.hyperparameters) hyper[h.key] = value_json(*h.value);
  out["hyperparameters"] = std::move(hyper);

  boost::json::object tok;
  auto opt_string = [](const std::optional<std::string_view>& s) -> boost::json::value {
    return s ? boost::json::value(boost::json::string(*s)) : nullptr;
  };
  tok["model"] = opt_string(info.tokenizer_model);
  tok["pre"] = opt_string(info.tokenizer_pre);
  tok["vocab_size"] = info.vocab_size ? boost::json::value(*info.vocab_size) : nullptr;
  tok["merges"] = info.merges ? boost::json::value(*info.merges) : nullptr;
  boost::json::array special;
  for (const auto& s : info.special_tokens) {
    special.push_back({{"role", s.role}, {"key", s.key}, {"id", s.id}, {"text", opt_string(s.text)}});
  }
  tok["special_tokens"] = std::move(special);
  for (const auto& flag : info.tokenizer_flags) tok[flag.key.substr(std::string("tokenizer.ggml.").size())] = value_json(*flag.value);
  out["tokenizer"] = std::move(tok);

  if (info.chat_template) {
    boost::json::object t{{"length", info.chat_template->size()}, {"first_line", first_line(*info.chat_template)}};
    if (o.metadata) t["text"] = boost::json::string(*info.chat_template);
    out["chat_template"] = std::move(t);
  } else {
    out["chat_template"] = nullptr;
  }
  if (o.tensors) {
    boost::json::array tensors;
    for (const auto& t : f.tensors()) {
      boost::json::array ne;
      for (int d = 0; d < t.n_dims; ++d) ne.push_back(t.ne[d]);
      tensors.push_back({{"name", boost::json::string(t.name)},
                         {"type", engine::ggml_type_name(t.type)},
                         {"shape", std::move(ne)},
                         {"bytes", t.n_bytes},
                         {"offset", t.offset}});
    }
    out["tensors"] = std::move(tensors);
  }
  if (o.metadata) {
    boost::json::object meta;
    for (const auto& kv : f.metadata()) meta[kv.key] = value_json(kv.value);
    out["metadata"] = std::move(meta);
  }
  std::printf("%s\n", boost::json::serialize(out).c_str());
}

void print_text(const GgufFile& f, const ModelInfo& info, const InfoOptions& o) {
  std::printf("file:          %s\n", f.name().c_str());
  std::printf("format:        GGUF v%u, %s (%zu bytes), %zu tensors, %zu metadata keys, alignment %lu\n",
              f.version(), human_bytes(static_cast<double>(f.file_size())).c_str(), f.file_size(), f.tensors().size(),
              f.metadata().size(), static_cast<unsigned long>(f.alignment()));
  std::printf("architecture:  %s\n", info.architecture.empty() ? "(none)" : info.architecture.c_str());
  if (info.name) std::printf("name:          %s\n", std::string(*info.name).c_str());
  if (info.file_type) {
    auto name = engine::llama_ftype_name(*info.file_type);
    std::printf("file type:     %s (%ld)\n", name ? std::string(*name).c_str() : "unknown",
                static_cast<long>(*info.file_type));
  }
  std::printf("parameters:    %s (%lu)\n", human_count(info.parameters).c_str(),
              static_cast<unsigned long>(info.parameters));
  if (!info.types.empty()) {
    std::printf("tensor types:\n");
    for (const auto& u : info.types) {
      std::printf("  %-8s %6zu tensors  %12s\n", std::string(engine::ggml_type_name(u.type)).c_str(), u.tensors,
                  human_bytes(static_cast<double>(u.bytes)).c_str());
    }
  }
  if (!info.hyperparameters.empty()) {
    std::printf("hyperparameters:\n");
    for (const auto& h : info.hyperparameters) {
      std::printf("  %-22s %s\n", h.label.c_str(), h.value->to_string().c_str());
    }
  }
  if (info.tokenizer_model || info.vocab_size) {
    std::printf("tokenizer:\n");
    if (info.tokenizer_model) std::printf("  %-22s %s\n", "model", std::string(*info.tokenizer_model).c_str());
    if (info.tokenizer_pre) std::printf("  %-22s %s\n", "pre-tokenizer", std::string(*info.tokenizer_pre).c_str());
    if (info.vocab_size) std::printf("  %-22s %zu tokens\n", "vocabulary", *info.vocab_size);
    if (info.merges) std::printf("  %-22s %zu\n", "merges", *info.merges);
    for (const auto& s : info.special_tokens) {
      std::printf("  %-22s %ld %s\n", (s.role + " token").c_str(), static_cast<long>(s.id),
                  s.text ? quote_text(*s.text).c_str() : "(not in the vocabulary)");
    }
    for (const auto& flag : info.tokenizer_flags) {
      std::printf("  %-22s %s\n", flag.label.c_str(), flag.value->to_string().c_str());
    }
  }
  if (info.chat_template) {
    std::printf("chat template: %zu bytes, first line %s\n", info.chat_template->size(),
                quote_text(first_line(*info.chat_template)).c_str());
  }
  if (o.metadata) {
    std::printf("metadata:\n");
    for (const auto& kv : f.metadata()) {
      std::printf("  %s = %s\n", engine::escape_bytes(kv.key).c_str(), kv.value.to_string().c_str());
    }
    if (info.chat_template) std::printf("chat template:\n%s\n", std::string(*info.chat_template).c_str());
  }
  if (o.tensors) {
    std::printf("tensors:\n  %-40s %-6s %-24s %12s\n", "NAME", "TYPE", "SHAPE", "BYTES");
    for (const auto& t : f.tensors()) {
      std::printf("  %-40s %-6s %-24s %12zu\n", engine::escape_bytes(t.name).c_str(),
                  std::string(engine::ggml_type_name(t.type)).c_str(), shape(t).c_str(), t.n_bytes);
    }
  }
}

}  // namespace

void register_model(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("model", "Inspect GGUF model files");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<InfoOptions>();
  auto* info = cmd->add_subcommand("info", "Architecture, sizes, tensor types, tokenizer and chat template of a GGUF file");
  info->add_option("file", opts->path, "The .gguf file")->required();
  info->add_flag("--json", opts->json, "Print JSON");
  info->add_flag("--tensors", opts->tensors, "List every tensor: name, type, shape, bytes");
  info->add_flag("--metadata", opts->metadata, "Print every metadata key and the full chat template");
  info->callback([&ctx, opts] {
    auto file = GgufFile::open(opts->path);
    if (!file.ok()) return ctx.fail(file.status());
    const ModelInfo model = engine::describe_model(**file);
    if (opts->json) {
      print_json(**file, model, *opts);
    } else {
      print_text(**file, model, *opts);
    }
  });
}

}  // namespace anvil::cli
