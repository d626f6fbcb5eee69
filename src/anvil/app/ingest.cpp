#include "anvil/app/ingest.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include <boost/json/serialize.hpp>

#include "anvil/app/file_hash.h"
#include "anvil/app/knowledge_base.h"
#include "anvil/rag/chunker.h"
#include "anvil/text/estimated_token_counter.h"

namespace anvil::app {

using core::Result;
using core::Status;
namespace fs = std::filesystem;

std::string_view outcome_name(FileOutcomeKind kind) {
  switch (kind) {
    case FileOutcomeKind::kAdded: return "added";
    case FileOutcomeKind::kUpdated: return "updated";
    case FileOutcomeKind::kUnchanged: return "unchanged";
    case FileOutcomeKind::kRemoved: return "removed";
    case FileOutcomeKind::kSkipped: return "skipped";
    case FileOutcomeKind::kFailed: return "failed";
  }
  return "?";
}

int IngestReport::count(FileOutcomeKind kind) const {
  return static_cast<int>(std::count_if(files.begin(), files.end(), [&](const FileOutcome& f) { return f.kind == kind; }));
}

namespace {

struct Candidate {
  fs::path path;
  bool explicit_file;  // named on the command line, not found by walking a folder
  int64_t size = 0;
  int64_t mtime = 0;
};

bool hidden(const fs::path& p) {
  auto name = p.filename().string();
  return name.size() > 1 && name[0] == '.';
}

// Files to ingest, in a stable order; paths that do not exist become failures.
std::vector<Candidate> expand(const std::vector<fs::path>& paths, std::vector<FileOutcome>& failures) {
  std::vector<Candidate> out;
  for (const auto& raw : paths) {
    std::error_code ec;
    fs::path p = fs::absolute(raw, ec).lexically_normal();
    auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      failures.push_back({raw.string(), FileOutcomeKind::kFailed, "no such file or directory"});
      continue;
    }
    if (fs::is_directory(st)) {
      std::vector<Candidate> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        if (hidden(it->path())) {
          if (it->is_directory(ec)) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(ec)) found.push_back({it->path(), false});
      }
      if (ec) failures.push_back({p.string(), FileOutcomeKind::kFailed, "cannot list folder: " + ec.message()});
      std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back({p, true});
    }
  }
  for (auto& c : out) {
    struct stat st {};
    if (::stat(c.path.c_str(), &st) == 0) {
      c.size = st.st_size;
      c.mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    }
  }
  return out;
}

// Receives a loader's documents and sections: chunks them, writes documents and chunks to the
// store transaction, and keeps the analyzed terms for the index until the transaction commits
// (unless they grow past a bound, in which case the index catches up from the store instead).
class IngestSink : public rag::DocumentSink {
 public:
  IngestSink(store::SourceWriter& writer, rag::Chunker& chunker, const rag::Analyzer& analyzer,
             const IngestProgressFn& progress, IngestProgress& state)
      : writer_(writer), chunker_(chunker), analyzer_(analyzer), progress_(progress), state_(state) {}

  struct Pending {
    int64_t id;
    std::vector<std::string> terms;
    boost::json::object fields;
  };

  Status begin_document(const rag::DocumentInfo& info) override {
    store::DocumentRow row;
    row.uri = info.source;
    row.type = info.type;
    row.title = info.title;
    if (auto it = info.metadata.find("timestamp"); it != info.metadata.end() && it->value().is_string()) {
      row.timestamp = std::string(it->value().get_string());
    }
    row.metadata_json = boost::json::serialize(info.metadata);
    ANVIL_ASSIGN_OR_RETURN(document_id_, writer_.add_document(row));
    metadata_ = info.metadata;
    ++documents_;
    chunker_.begin_document([this](rag::Chunk&& c) { return on_chunk(std::move(c)); });
    return {};
  }

  Status add_section(rag::Section section) override {
    section_bytes_ += static_cast<int64_t>(section.text.size());
    return chunker_.add_section(section);
  }

  Status end_document() override {
    ANVIL_RETURN_IF_ERROR(chunker_.finish());
    state_.documents++;
    report();
    return {};
  }

  int64_t documents() const { return documents_; }
  int64_t chunks() const { return chunks_; }
  int64_t section_bytes() const { return section_bytes_; }
  bool overflowed() const { return overflowed_; }
  std::vector<Pending>& pending() { return pending_; }

 private:
  static constexpr size_t kMaxPendingBytes = 256u << 20;

  Status on_chunk(rag::Chunk&& c) {
    store::ChunkRow row;
    row.ordinal = c.ordinal;
    row.char_start = c.char_start;
    row.char_end = c.char_end;
    row.token_count = c.token_count;
    boost::json::array path;
    for (const auto& h : c.heading_path) path.emplace_back(h);
    row.heading_path_json = boost::json::serialize(path);
    row.page = c.page;
    row.text = std::move(c.text);
    ANVIL_ASSIGN_OR_RETURN(int64_t id, writer_.add_chunk(document_id_, row));
    ++chunks_;
    state_.chunks++;
    if (!overflowed_) {
      Pending p{id, {}, filter_fields(metadata_, row.page)};
      analyzer_.analyze(index_text(c.heading_path, row.text), p.terms);
      for (const auto& t : p.terms) pending_bytes_ += t.size() + sizeof(std::string);
      pending_.push_back(std::move(p));
      if (pending_bytes_ > kMaxPendingBytes) {
        overflowed_ = true;
        pending_.clear();
        pending_.shrink_to_fit();
      }
    }
    return {};
  }

  void report() {
    if (!progress_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_report_ < std::chrono::milliseconds(100)) return;
    last_report_ = now;
    progress_(state_);
  }

  store::SourceWriter& writer_;
  rag::Chunker& chunker_;
  const rag::Analyzer& analyzer_;
  const IngestProgressFn& progress_;
  IngestProgress& state_;
  int64_t document_id_ = 0;
  boost::json::object metadata_;
  int64_t documents_ = 0;
  int64_t chunks_ = 0;
  int64_t section_bytes_ = 0;
  std::vector<Pending> pending_;
  size_t pending_bytes_ = 0;
  bool overflowed_ = false;
  std::chrono::steady_clock::time_point last_report_{};
};

}  // namespace

Result<IngestReport> KnowledgeBase::ingest(const std::string& name, const std::vector<fs::path>& paths,
                                           const IngestOptions& options, const IngestProgressFn& progress,
                                           const std::optional<store::CollectionSpec>& spec) {
  auto start = std::chrono::steady_clock::now();
  auto found = store_->get_collection(name);
  if (!found.ok() && found.status().code() == core::StatusCode::kNotFound && spec) {
    store::CollectionSpec s = *spec;
    s.name = name;
    found = create_collection(s);
  }
  if (!found.ok()) return found.status();
  store::CollectionRecord collection = *found;

  ANVIL_ASSIGN_OR_RETURN(auto lock, FileLock::acquire(dir_.collection_dir(collection.id) / "write.lock"));
  ANVIL_ASSIGN_OR_RETURN(CollectionIndex * index, this->index(name));
  ANVIL_RETURN_IF_ERROR(index->catch_up(*store_));

  IngestReport report;
  auto candidates = expand(paths, report.files);

  IngestProgress state;
  state.files_total = static_cast<int>(candidates.size());
  for (const auto& c : candidates) state.bytes_total += c.size;

  text::EstimatedTokenCounter counter;
  ANVIL_ASSIGN_OR_RETURN(rag::Chunker chunker, rag::Chunker::create({.chunk_size = collection.chunk_size,
                                                                      .chunk_overlap = collection.chunk_overlap},
                                                                     counter));
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto last_save = std::chrono::steady_clock::now();

  for (const auto& cand : candidates) {
    FileOutcome outcome{cand.path.string(), FileOutcomeKind::kAdded, "", 0, 0, cand.size};
    state.current = cand.path.string();
    if (progress) progress(state);
    auto finish_file = [&] {
      report.bytes += cand.size;
      state.bytes_done += cand.size;
      state.files_done++;
      state.seconds = elapsed();
      report.files.push_back(outcome);
      if (progress) progress(state);
    };

    auto fail = [&](const Status& s) {
      outcome.kind = FileOutcomeKind::kFailed;
      outcome.message = s.message();
      finish_file();
    };

    auto previous = store_->find_source(collection.id, cand.path.string());
    if (!previous.ok()) return previous.status();
    if (*previous && !options.force && (*previous)->size_bytes == cand.size && (*previous)->mtime == cand.mtime) {
      outcome.kind = FileOutcomeKind::kUnchanged;
      finish_file();
      continue;
    }
    auto type = rag::detect_type(cand.path);
    if (!type.ok()) {
      if (!cand.explicit_file && type.status().code() == core::StatusCode::kUnsupported) {
        outcome.kind = FileOutcomeKind::kSkipped;
        outcome.message = type.status().message();
        finish_file();
      } else {
        fail(type.status());
      }
      continue;
    }
    auto hash = sha256_file(cand.path);
    if (!hash.ok()) {
      fail(hash.status());
      continue;
    }
    if (*previous && !options.force && (*previous)->content_hash == *hash) {
      // Same bytes, new mtime (touched or copied): record the mtime so the next run skips cheaply.
      ANVIL_RETURN_IF_ERROR(store_->touch_source((*previous)->id, cand.mtime));
      outcome.kind = FileOutcomeKind::kUnchanged;
      finish_file();
      continue;
    }
    auto writer = store_->write_source(collection.id, {0, cand.path.string(), *hash, cand.size, cand.mtime});
    if (!writer.ok()) return writer.status();
    IngestSink sink(*writer, chunker, index->analyzer(), progress, state);
    int64_t documents_before = state.documents, chunks_before = state.chunks;
    Status loaded = rag::load_file(cand.path, options.loader, sink);
    if (!loaded.ok()) {
      state.documents = documents_before;
      state.chunks = chunks_before;
      fail(loaded);  // the writer rolls back: the previous version of this file stays
      continue;
    }
    if (sink.documents() == 0) {
      fail(Status::invalid_argument("no documents found in the file"));
      continue;
    }
    ANVIL_RETURN_IF_ERROR(writer->commit());

    // The commit is durable: now bring the index to the new seq.
    int64_t seq = writer->seq();
    ANVIL_ASSIGN_OR_RETURN(auto removed, store_->tombstones_since(collection.id, seq - 1));
    for (int64_t id : removed) ANVIL_RETURN_IF_ERROR(index->remove(id));
    if (sink.overflowed()) {
      index->set_applied_seq(seq - 1);
      ANVIL_RETURN_IF_ERROR(index->catch_up(*store_));
    } else {
      for (auto& p : sink.pending()) ANVIL_RETURN_IF_ERROR(index->add_terms(p.id, p.terms, p.fields));
      index->set_applied_seq(seq);
    }
    outcome.kind = *previous ? FileOutcomeKind::kUpdated : FileOutcomeKind::kAdded;
    outcome.documents = sink.documents();
    outcome.chunks = sink.chunks();
    finish_file();

    // A long ingest saves the index now and then, so a crash loses little index work.
    if (std::chrono::steady_clock::now() - last_save > std::chrono::seconds(30)) {
      ANVIL_RETURN_IF_ERROR(index->save());
      last_save = std::chrono::steady_clock::now();
    }
  }

  if (options.sync) {
    ANVIL_ASSIGN_OR_RETURN(auto sources, store_->list_sources(collection.id));
    for (const auto& src : sources) {
      fs::path sp(src.path);
      bool under = false;
      for (const auto& raw : paths) {
        std::error_code ec;
        auto root = fs::absolute(raw, ec).lexically_normal();
        auto rel = sp.lexically_relative(root);
        if (sp == root || (!rel.empty() && *rel.begin() != "..")) under = true;
      }
      std::error_code ec;
      if (!under || fs::exists(sp, ec)) continue;
      ANVIL_RETURN_IF_ERROR(store_->remove_source(collection.id, src.id));
      ANVIL_ASSIGN_OR_RETURN(auto coll_now, store_->get_collection(name));
      ANVIL_ASSIGN_OR_RETURN(auto removed, store_->tombstones_since(collection.id, coll_now.change_seq - 1));
      for (int64_t id : removed) ANVIL_RETURN_IF_ERROR(index->remove(id));
      index->set_applied_seq(coll_now.change_seq);
      report.files.push_back({src.path, FileOutcomeKind::kRemoved, "source file is gone"});
    }
  }

  ANVIL_RETURN_IF_ERROR(index->save());
  ANVIL_RETURN_IF_ERROR(store_->prune_tombstones(collection.id, index->applied_seq()));
  report.seconds = elapsed();
  return report;
}

}  // namespace anvil::app
