#include "anvil/core/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace anvil::core {
namespace {

Status errno_status(const std::filesystem::path& path, std::string_view action, int err) {
  std::string message = fmt::format("{}: cannot {}: {}", path.string(), action, std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR: return Status::not_found(std::move(message));
    case EACCES:
    case EPERM: return Status::permission_denied(std::move(message));
    case EISDIR: return Status::invalid_argument(std::move(message));
    default: return Status::io(std::move(message));
  }
}

// Closes the descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_status(path, "read", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_status(path, "read", errno);
  if (S_ISDIR(st.st_mode)) return errno_status(path, "read", EISDIR);
  std::string content;
  if (S_ISREG(st.st_mode)) content.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status(path, "read", errno);
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}.{}", ::getpid(), counter.fetch_add(1));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return errno_status(tmp, "create", errno);
  auto fail = [&](std::string_view action, int err) {
    ::close(fd.release());
    ::unlink(tmp.c_str());
    return errno_status(tmp, action, err);
  };
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("fsync", errno);
  if (::close(fd.release()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return errno_status(tmp, "close", err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return errno_status(path, "rename into place", err);
  }
  // The rename is durable only once the folder entry is on disk.
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return {};
}

}  // namespace anvil::core
