#include "ledger/state_paths.h"

#include <pwd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace claudegpt {

namespace fs = std::filesystem;

namespace {

std::string home_directory(const std::function<const char*(const char*)>& getenv) {
  if (const char* home = getenv("HOME"); home && *home) return home;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found &&
      found->pw_dir)
    return found->pw_dir;
  return "";
}

}  // namespace

fs::path default_state_dir(const std::function<const char*(const char*)>& getenv) {
  if (const char* xdg = getenv("XDG_STATE_HOME"); xdg && *xdg == '/')
    return fs::path(xdg) / "claudegpt";
  std::string home = home_directory(getenv);
  if (home.empty())
    throw std::runtime_error("cannot find the state directory: neither XDG_STATE_HOME nor "
                             "HOME is set, and the user has no home directory");
  return fs::path(home) / ".local" / "state" / "claudegpt";
}

void create_private_directories(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  // Parents first, each made 0700 itself: fs::create_directories would use 0777 & ~umask.
  if (dir.has_parent_path() && dir.parent_path() != dir)
    create_private_directories(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw fs::filesystem_error("cannot create directory", dir,
                               std::error_code(errno, std::generic_category()));
  if (!fs::is_directory(dir, ec))
    throw fs::filesystem_error("not a directory", dir,
                               std::make_error_code(std::errc::not_a_directory));
}

namespace {

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

}  // namespace

void write_private_file(const fs::path& path, std::string_view text) {
  fs::path dir = path.parent_path();
  create_private_directories(dir);

  std::string temp = (dir.empty() ? fs::path(".") : dir) / (path.filename().string() + ".XXXXXX");
  int fd = ::mkstemp(temp.data());  // created 0600
  if (fd < 0) throw_errno("cannot create a temporary file beside", path);
  auto fail = [&](const char* what) {
    int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    errno = saved;
    throw_errno(what, path);
  };
  if (::fchmod(fd, 0600) != 0) fail("cannot set the mode of");
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("cannot sync");
  if (::close(fd) != 0) {
    ::unlink(temp.c_str());
    throw_errno("cannot write", path);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    throw_errno("cannot replace", path);
  }
  // Make the rename itself durable.
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace claudegpt
