#include "support/home_directory.h"

#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace claudegpt {

std::string home_directory(const std::function<const char*(const char*)>& getenv) {
  if (const char* home = getenv("HOME"); home && *home) return home;
  // getpwuid_r: the proxy's threads may look it up at once.
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found &&
      found->pw_dir)
    return found->pw_dir;
  return "";
}

}  // namespace claudegpt
