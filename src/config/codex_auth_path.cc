#include "config/codex_auth_path.h"

#include <filesystem>

#include "support/home_directory.h"

namespace claudegpt {

namespace fs = std::filesystem;

std::string default_codex_auth_file(const std::function<const char*(const char*)>& getenv) {
  auto expand = [&](std::string path) {
    if (path == "~" || path.starts_with("~/")) path = home_directory(getenv) + path.substr(1);
    return path;
  };
  if (const char* explicit_path = getenv("CLAUDEGPT_CODEX_AUTH");
      explicit_path && *explicit_path)
    return expand(explicit_path);
  if (const char* codex_home = getenv("CODEX_HOME"); codex_home && *codex_home)
    return (fs::path(expand(codex_home)) / "auth.json").string();
  std::string home = home_directory(getenv);
  if (home.empty()) return "";
  return (fs::path(home) / ".codex" / "auth.json").string();
}

}  // namespace claudegpt
