// Ingest use case: files and folders into a collection, idempotently. Each source file is written
// in one store transaction and then applied to the BM25 index; a crash at any point leaves the
// collection consistent, and the next run completes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/rag/loaders/loader.h"

namespace anvil::app {

struct IngestOptions {
  bool sync = false;    // remove documents whose source files under the given paths are gone
  bool force = false;   // re-ingest files even when their content hash is unchanged
  rag::LoaderOptions loader;  // record field mapping and extra metadata (--meta k=v)
};

enum class FileOutcomeKind { kAdded, kUpdated, kUnchanged, kRemoved, kSkipped, kFailed };
std::string_view outcome_name(FileOutcomeKind kind);

struct FileOutcome {
  std::string path;
  FileOutcomeKind kind = FileOutcomeKind::kAdded;
  std::string message;     // why it failed or was skipped
  int64_t documents = 0;
  int64_t chunks = 0;
  int64_t bytes = 0;
};

struct IngestReport {
  std::vector<FileOutcome> files;
  int64_t bytes = 0;      // bytes of the files read
  double seconds = 0;
  int count(FileOutcomeKind kind) const;
  bool ok() const { return count(FileOutcomeKind::kFailed) == 0; }
};

struct IngestProgress {
  int files_done = 0;
  int files_total = 0;
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
  int64_t documents = 0;
  int64_t chunks = 0;
  double seconds = 0;
  std::string current;    // the file being read
};
using IngestProgressFn = std::function<void(const IngestProgress&)>;

}  // namespace anvil::app
