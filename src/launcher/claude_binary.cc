#include "launcher/claude_binary.h"

#include <string_view>

#include <sys/stat.h>
#include <unistd.h>

namespace claudegpt {
namespace {

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> find_claude_binary(const std::function<const char*(const char*)>& getenv) {
  if (const char* named = getenv("CLAUDEGPT_CLAUDE_BIN"); named && *named) return std::string(named);
  const char* path = getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    std::string_view dir = rest.substr(0, rest.find(':'));
    rest.remove_prefix(std::min(rest.size(), dir.size() + 1));
    // An empty entry means the current directory, as execvp reads it.
    std::string candidate = dir.empty() ? std::string("./claude") : std::string(dir) + "/claude";
    if (is_executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace claudegpt
