#include "launcher/launcher_log.h"

#include <exception>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/log.h"
#include "support/private_file.h"
#include "support/state_dir.h"

namespace claudegpt {
namespace {

constexpr const char* kLogName = "claudegpt.log";
constexpr const char* kRotatedName = "claudegpt.log.1";
constexpr off_t kRotateBytes = 8 << 20;

// The default log, opened for appending inside the state dir without following links; a full
// one is rotated first. nullptr when it cannot be had.
std::FILE* open_default_log(const std::function<const char*(const char*)>& getenv) {
  try {
    UniqueFd dir = open_private_directory(default_state_dir(getenv), [](const std::string&) {});
    // open_private_file makes sure an existing log is ours and private.
    UniqueFd probe = open_private_file(dir.get(), kLogName, default_log_file(getenv), true,
                                       [](const std::string&) {});
    struct stat info {};
    if (::fstat(probe.get(), &info) == 0 && info.st_size >= kRotateBytes)
      ::renameat(dir.get(), kLogName, dir.get(), kRotatedName);
    int fd = ::openat(dir.get(), kLogName, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return nullptr;
    std::FILE* file = ::fdopen(fd, "a");
    if (!file) ::close(fd);
    return file;
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

std::filesystem::path default_log_file(const std::function<const char*(const char*)>& getenv) {
  return default_state_dir(getenv) / kLogName;
}

LauncherLog::LauncherLog(const std::string& path, const std::function<const char*(const char*)>& getenv) {
  file_ = path.empty() ? open_default_log(getenv) : std::fopen(path.c_str(), "a");
  set_log_file(file_);
}

LauncherLog::~LauncherLog() {
  set_log_file(stderr);
  if (file_) std::fclose(file_);
}

}  // namespace claudegpt
