#include "core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace lachan {

Result<std::string> read_whole_file(const std::string& path, size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(Errc::io, fmt::format("cannot read {}", path));
  if (max_bytes) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > max_bytes)
      return make_error(Errc::limit, fmt::format("{} has {} bytes, more than the limit of {}", path, size, max_bytes));
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return make_error(Errc::io, fmt::format("cannot read {}", path));
  return ss.str();
}

Result<void> fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, fmt::format("folder {}: {}", dir, std::strerror(errno)));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return make_error(Errc::io, fmt::format("folder {}: fsync: {}", dir, std::strerror(err)));
  return {};
}

std::string hashed_path(std::string_view root, std::string_view sha256) {
  return fmt::format("{}/{}/{}", root, sha256.substr(0, 2), sha256);
}

Result<void> write_hashed_file(std::string_view root, std::string_view sha256, std::string_view bytes,
                               std::string_view what) {
  std::string sub = fmt::format("{}/{}", root, sha256.substr(0, 2));
  std::string path = hashed_path(root, sha256);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == bytes.size()) return {};
  std::error_code ec;
  std::filesystem::create_directories(sub, ec);
  if (ec) return make_error(Errc::io, fmt::format("{} folder {}: {}", what, sub, ec.message()));
  static std::atomic<uint64_t> seq{0};
  std::string tmp = fmt::format("{}/.{}.{}.{}.tmp", sub, sha256, ::getpid(), seq.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
  if (fd < 0)
    return make_error(Errc::io, fmt::format("{} {}: cannot create {}: {}", what, sha256, tmp, std::strerror(errno)));
  auto fail = [&](const char* step) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_error(Errc::io, fmt::format("{} {}: {} {}: {}", what, sha256, step, tmp, std::strerror(err)));
  };
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    off += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0400) != 0) return fail("cannot chmod");  // umask may only remove bits; be explicit anyway
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_error(Errc::io, fmt::format("{} {}: cannot close {}: {}", what, sha256, tmp, std::strerror(err)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_error(Errc::io, fmt::format("{} {}: cannot rename to {}: {}", what, sha256, path, std::strerror(err)));
  }
  return fsync_dir(sub);
}

}  // namespace lachan
