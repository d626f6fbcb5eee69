#include "anvil/app/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace anvil::app {

using core::Result;
using core::Status;

Result<DataDir> DataDir::open(const std::filesystem::path& root) {
  std::error_code ec;
  if (std::filesystem::exists(root, ec) && !std::filesystem::is_directory(root, ec)) {
    return Status::invalid_argument("data directory " + root.string() + " exists but is not a directory");
  }
  std::filesystem::create_directories(root, ec);
  if (ec) return Status::io("cannot create data directory " + root.string() + ": " + ec.message());
  return DataDir(root);
}

std::filesystem::path DataDir::collection_dir(int64_t collection_id) const {
  return root_ / "collections" / std::to_string(collection_id);
}

Result<FileLock> FileLock::acquire(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io("cannot open lock file " + path.string() + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return Status::io("cannot lock " + path.string() + ": " + std::strerror(err));
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace anvil::app
