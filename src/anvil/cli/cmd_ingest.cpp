// `anvil ingest PATH... --collection NAME [--sync] [--meta k=v]...`
#include <cstdio>

#include <boost/json.hpp>

#include "anvil/rag/loaders/loader.h"

#include "anvil/cli/context.h"
#include "anvil/cli/progress_bar.h"

namespace anvil::cli {

namespace {

void print_summary(const std::string& collection, const app::IngestReport& r) {
  using K = app::FileOutcomeKind;
  int64_t documents = 0, chunks = 0;
  for (const auto& f : r.files) {
    documents += f.documents;
    chunks += f.chunks;
    if (f.kind == K::kFailed) {
      std::fprintf(stderr, "failed   %s: %s\n", f.path.c_str(), f.message.c_str());
    } else if (f.kind == K::kSkipped) {
      std::fprintf(stderr, "skipped  %s: %s\n", f.path.c_str(), f.message.c_str());
    } else if (f.kind == K::kRemoved) {
      std::printf("removed  %s (%s)\n", f.path.c_str(), f.message.c_str());
    }
  }
  double rate = r.seconds > 0 ? static_cast<double>(r.bytes) / r.seconds : 0;
  std::printf(
      "ingested into '%s': %zu files (%d added, %d updated, %d unchanged, %d removed, %d skipped, %d failed); "
      "%lld documents, %lld chunks; %s in %.2f s (%s/s)\n",
      collection.c_str(), r.files.size(), r.count(K::kAdded), r.count(K::kUpdated), r.count(K::kUnchanged),
      r.count(K::kRemoved), r.count(K::kSkipped), r.count(K::kFailed), static_cast<long long>(documents),
      static_cast<long long>(chunks), human_bytes(static_cast<double>(r.bytes)).c_str(), r.seconds,
      human_bytes(rate).c_str());
}

}  // namespace

void register_ingest(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("ingest", "Add files and folders to a collection (idempotent)");
  struct Options {
    std::vector<std::string> paths;
    std::string collection;
    app::IngestOptions ingest;
    std::vector<std::string> meta;
    std::optional<std::string> language;
    std::optional<int> chunk_size, chunk_overlap;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("paths", o->paths, "Files and folders (folders are walked recursively)")->required();
  cmd->add_option("-c,--collection", o->collection, "Collection (created when missing)")->required();
  cmd->add_flag("--sync", o->ingest.sync, "Remove documents whose files under PATHs are gone");
  cmd->add_flag("--force", o->ingest.force, "Re-ingest files even when unchanged");
  cmd->add_option("--meta", o->meta, "Metadata KEY=VALUE added to every document (repeatable)");
  cmd->add_option("--language", o->language, "Analyzer of a new collection: auto, en or zh");
  cmd->add_option("--chunk-size", o->chunk_size, "Chunk size of a new collection, in tokens");
  cmd->add_option("--chunk-overlap", o->chunk_overlap, "Chunk overlap of a new collection, in tokens");
  auto& lo = o->ingest.loader.fields;
  cmd->add_option("--id-field", lo.id_field, "CSV/JSONL: field holding the record id");
  cmd->add_option("--title-field", lo.title_field, "CSV/JSONL: field holding the title");
  cmd->add_option("--timestamp-field", lo.timestamp_field, "CSV/JSONL: field holding the timestamp");
  cmd->add_option("--text-fields", lo.text_fields, "CSV/JSONL: fields that make the text")->delimiter(',');
  cmd->add_option("--metadata-fields", lo.metadata_fields, "CSV/JSONL: fields kept as metadata")->delimiter(',');
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->callback([&ctx, o] {
    auto settings = ctx.settings();
    if (!settings.ok()) return ctx.fail(settings.status());
    for (const auto& kv : o->meta) {
      auto s = rag::add_extra_metadata(o->ingest.loader, kv);
      if (!s.ok()) return ctx.fail(s, 2);
    }
    store::CollectionSpec spec = settings->collection_defaults;
    if (o->language) spec.language = *o->language;
    if (o->chunk_size) spec.chunk_size = *o->chunk_size;
    if (o->chunk_overlap) spec.chunk_overlap = *o->chunk_overlap;

    auto kb = app::KnowledgeBase::open(settings->data_dir);
    if (!kb.ok()) return ctx.fail(kb.status());
    std::vector<std::filesystem::path> paths(o->paths.begin(), o->paths.end());
    ProgressBar bar(!o->json);
    auto report = kb->ingest(
        o->collection, paths, o->ingest,
        [&](const app::IngestProgress& p) {
          bar.update(p.bytes_done, p.bytes_total, p.files_done, p.files_total, p.seconds, p.current);
        },
        spec);
    bar.finish();
    if (!report.ok()) return ctx.fail(report.status());
    if (o->json) {
      boost::json::array files;
      for (const auto& f : report->files) {
        files.push_back({{"path", f.path},
                         {"outcome", app::outcome_name(f.kind)},
                         {"message", f.message},
                         {"documents", f.documents},
                         {"chunks", f.chunks},
                         {"bytes", f.bytes}});
      }
      boost::json::object out{{"collection", o->collection}, {"files", files},
                              {"bytes", report->bytes}, {"seconds", report->seconds}};
      std::printf("%s\n", boost::json::serialize(out).c_str());
    } else {
      print_summary(o->collection, *report);
    }
    if (!report->ok()) ctx.exit_code = 1;
  });
}

}  // namespace anvil::cli
