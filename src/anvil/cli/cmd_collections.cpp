// `anvil collections list|create|delete|stats` and `anvil version`.
#include <cstdio>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/cli/context.h"
#include "anvil/cli/progress_bar.h"

namespace anvil::cli {

namespace {

boost::json::object collection_json(const store::CollectionRecord& c) {
  return {{"name", c.name},
          {"tenant", c.tenant},
          {"language", c.language},
          {"chunk_size", c.chunk_size},
          {"chunk_overlap", c.chunk_overlap},
          {"bm25", {{"k1", c.bm25_k1}, {"b", c.bm25_b}}},
          {"created_at", c.created_at}};
}

}  // namespace

void register_version(CLI::App& app, Context&) {
  auto* cmd = app.add_subcommand("version", "Print the version of anvil");
  cmd->callback([] { std::printf("anvil %s\n", ANVIL_VERSION); });
}

void register_collections(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("collections", "List, create, delete and describe collections");
  cmd->require_subcommand(1);

  struct Options {
    bool json = false;
    std::string name;
    store::CollectionSpec spec;
  };
  auto opts = std::make_shared<Options>();

  auto* list = cmd->add_subcommand("list", "List the collections");
  list->add_flag("--json", opts->json, "Print JSON");
  list->callback([&ctx, opts] {
    auto kb = ctx.open_knowledge_base();
    if (!kb.ok()) return ctx.fail(kb.status());
    auto all = kb->list_collections();
    if (!all.ok()) return ctx.fail(all.status());
    if (opts->json) {
      boost::json::array arr;
      for (const auto& c : *all) arr.push_back(collection_json(c));
      std::printf("%s\n", boost::json::serialize(arr).c_str());
      return;
    }
    if (all->empty()) {
      std::printf("no collections yet: create one with `anvil collections create NAME` or `anvil ingest`\n");
      return;
    }
    std::printf("%-24s %-8s %10s %8s  %s\n", "NAME", "LANGUAGE", "CHUNK", "OVERLAP", "CREATED");
    for (const auto& c : *all) {
      std::printf("%-24s %-8s %10d %8d  %s\n", c.name.c_str(), c.language.c_str(), c.chunk_size, c.chunk_overlap,
                  c.created_at.c_str());
    }
  });

  auto* create = cmd->add_subcommand("create", "Create a collection");
  create->add_option("name", opts->spec.name, "Collection name")->required();
  create->add_option("--language", opts->spec.language, "Analyzer: auto, en or zh")->capture_default_str();
  create->add_option("--chunk-size", opts->spec.chunk_size, "Chunk size in tokens")->capture_default_str();
  create->add_option("--chunk-overlap", opts->spec.chunk_overlap, "Chunk overlap in tokens")->capture_default_str();
  create->add_option("--k1", opts->spec.bm25_k1, "BM25 k1")->capture_default_str();
  create->add_option("--b", opts->spec.bm25_b, "BM25 b")->capture_default_str();
  create->add_option("--tenant", opts->spec.tenant, "Owning tenant");
  create->callback([&ctx, opts] {
    auto kb = ctx.open_knowledge_base();
    if (!kb.ok()) return ctx.fail(kb.status());
    auto c = kb->create_collection(opts->spec);
    if (!c.ok()) return ctx.fail(c.status());
    std::printf("created collection '%s' (language %s, chunks of %d tokens with %d overlap)\n", c->name.c_str(),
                c->language.c_str(), c->chunk_size, c->chunk_overlap);
  });

  auto* del = cmd->add_subcommand("delete", "Delete a collection, its documents and its indexes");
  del->add_option("name", opts->name, "Collection name")->required();
  del->callback([&ctx, opts] {
    auto kb = ctx.open_knowledge_base();
    if (!kb.ok()) return ctx.fail(kb.status());
    auto s = kb->delete_collection(opts->name);
    if (!s.ok()) return ctx.fail(s);
    std::printf("deleted collection '%s'\n", opts->name.c_str());
  });

  auto* stats = cmd->add_subcommand("stats", "Show a collection's size and settings");
  stats->add_option("name", opts->name, "Collection name")->required();
  stats->add_flag("--json", opts->json, "Print JSON");
  stats->callback([&ctx, opts] {
    auto kb = ctx.open_knowledge_base();
    if (!kb.ok()) return ctx.fail(kb.status());
    auto info = kb->info(opts->name);
    if (!info.ok()) return ctx.fail(info.status());
    const auto& s = info->stats;
    if (opts->json) {
      auto o = collection_json(info->collection);
      o["sources"] = s.sources;
      o["documents"] = s.documents;
      o["chunks"] = s.chunks;
      o["text_bytes"] = s.text_bytes;
      o["tokens"] = s.tokens;
      o["index"] = {{"documents", info->index_documents}, {"terms", info->index_terms}, {"memory_bytes", info->index_bytes}};
      std::printf("%s\n", boost::json::serialize(o).c_str());
      return;
    }
    const auto& c = info->collection;
    std::printf("collection   %s\n", c.name.c_str());
    std::printf("language     %s\n", c.language.c_str());
    std::printf("chunking     %d tokens, %d overlap\n", c.chunk_size, c.chunk_overlap);
    std::printf("bm25         k1=%g b=%g\n", c.bm25_k1, c.bm25_b);
    std::printf("sources      %lld files\n", static_cast<long long>(s.sources));
    std::printf("documents    %lld\n", static_cast<long long>(s.documents));
    std::printf("chunks       %lld (%lld tokens, %s of text)\n", static_cast<long long>(s.chunks),
                static_cast<long long>(s.tokens), human_bytes(static_cast<double>(s.text_bytes)).c_str());
    std::printf("bm25 index   %lld terms, %s in memory\n", static_cast<long long>(info->index_terms),
                human_bytes(static_cast<double>(info->index_bytes)).c_str());
    std::printf("created      %s\n", c.created_at.c_str());
  });
}

}  // namespace anvil::cli
