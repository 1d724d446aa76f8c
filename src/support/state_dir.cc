#include "support/state_dir.h"

#include <stdexcept>
#include <string>
#include <system_error>

#include "support/home_directory.h"

namespace claudegpt {

namespace fs = std::filesystem;

fs::path default_state_dir(const std::function<const char*(const char*)>& getenv) {
  if (const char* xdg = getenv("XDG_STATE_HOME"); xdg && *xdg == '/')
    return fs::path(xdg) / "claudegpt";
  std::string home = home_directory(getenv);
  if (home.empty())
    throw std::runtime_error("cannot find the state directory: neither XDG_STATE_HOME nor "
                             "HOME is set, and the user has no home directory");
  return fs::path(home) / ".local" / "state" / "claudegpt";
}

namespace {

// `path` made absolute and lexically normal, without a trailing separator; empty when the
// working directory cannot be had.
fs::path normal_absolute(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path.empty() ? fs::path(".") : path, ec);
  if (ec) return {};
  fs::path normal = absolute.lexically_normal();
  if (!normal.has_filename() && normal != normal.root_path()) normal = normal.parent_path();
  return normal;
}

}  // namespace

bool in_state_dir(const fs::path& path, const std::function<const char*(const char*)>& getenv) {
  fs::path state;
  try {
    state = normal_absolute(default_state_dir(getenv));
  } catch (const std::exception&) {  // no state dir, so nothing is in it
    return false;
  }
  fs::path normal = normal_absolute(path);
  if (state.empty() || normal.empty()) return false;
  fs::path relative = normal.lexically_relative(state);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace claudegpt
