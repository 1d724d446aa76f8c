#include "ledger/state_paths.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
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

}  // namespace claudegpt
