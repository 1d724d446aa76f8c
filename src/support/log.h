// One line per event on stderr, with a UTC timestamp. Never pass secrets, request bodies
// or prompts: the log is for operating the proxy, not for reading conversations.
#pragma once

#include <cstdio>
#include <sstream>
#include <string_view>

namespace claudegpt {

// Where log lines go from now on: stderr by default; nullptr discards them (the launcher's
// in-process proxy must not write over Claude Code's screen). The caller keeps `file` open.
void set_log_file(std::FILE* file);

void write_log_line(std::string_view level, std::string_view text);

template <typename... Parts>
void log_info(const Parts&... parts) {
  std::ostringstream line;
  (line << ... << parts);
  write_log_line("info", line.str());
}

template <typename... Parts>
void log_warn(const Parts&... parts) {
  std::ostringstream line;
  (line << ... << parts);
  write_log_line("warn", line.str());
}

}  // namespace claudegpt
