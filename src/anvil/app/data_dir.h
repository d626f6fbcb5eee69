// The data directory: anvil.db plus one folder of index files per collection, and the write lock
// that keeps two writers (two `anvil ingest` runs) from interleaving on one collection.
#pragma once

#include <cstdint>
#include <filesystem>

#include "anvil/core/status.h"

namespace anvil::app {

class DataDir {
 public:
  // Creates the directory when missing; an existing path that is not a directory is an error.
  static core::Result<DataDir> open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path database() const { return root_ / "anvil.db"; }
  std::filesystem::path collection_dir(int64_t collection_id) const;
  std::filesystem::path bm25_index(int64_t collection_id) const {
    return collection_dir(collection_id) / "bm25.idx";
  }

 private:
  explicit DataDir(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path root_;
};

// An exclusive advisory lock (flock) on a file; released when destroyed or the process dies.
class FileLock {
 public:
  // Blocks until the lock is free (another writer finishing).
  static core::Result<FileLock> acquire(const std::filesystem::path& path);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace anvil::app
