// The user's home directory, as every default path under it (the state dir, ~/.codex, a "~/"
// in a setting) finds it.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>

namespace claudegpt {

// $HOME when set and not empty, else the home directory in the password database, else "".
// `getenv` is injectable for tests.
std::string home_directory(
    const std::function<const char*(const char*)>& getenv = [](const char* k) {
      return std::getenv(k);
    });

}  // namespace claudegpt
