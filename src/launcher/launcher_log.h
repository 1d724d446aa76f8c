// Where the launcher's in-process proxy logs. Claude Code owns the terminal, so the log goes
// to a file: CLAUDEGPT_LOG_FILE when set (appended as it is, "/dev/null" to discard), else
// one log in the state dir that is rotated so that it never grows past about 2 × 8 MiB.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

namespace claudegpt {

// <state dir>/claudegpt.log (default_state_dir: XDG_STATE_HOME honoured).
std::filesystem::path default_log_file(const std::function<const char*(const char*)>& getenv);

// Sends log lines to the file for the scope's life, then back to stderr. `path` empty: the
// default log, created 0600 in the private state dir; when it has reached 8 MiB it becomes
// claudegpt.log.1 (replacing the previous one) and a new one starts. A log that cannot be
// opened discards the lines rather than stop the launch (the terminal is Claude Code's).
class LauncherLog {
 public:
  LauncherLog(const std::string& path, const std::function<const char*(const char*)>& getenv);
  ~LauncherLog();
  LauncherLog(const LauncherLog&) = delete;
  LauncherLog& operator=(const LauncherLog&) = delete;

 private:
  std::FILE* file_ = nullptr;
};

}  // namespace claudegpt
