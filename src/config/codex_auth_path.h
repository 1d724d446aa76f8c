// Where the Codex CLI keeps its login. A setting's default (CLAUDEGPT_CODEX_AUTH), so it is
// config's: the wizard and `claudegpt config` name the file without the upstream client.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>

namespace claudegpt {

// $CLAUDEGPT_CODEX_AUTH, else $CODEX_HOME/auth.json, else ~/.codex/auth.json ($HOME, else the
// user's home directory from the password database); a leading "~/" in either variable is
// the home directory. "" when no home can be found. `getenv` is injectable for tests.
std::string default_codex_auth_file(
    const std::function<const char*(const char*)>& getenv = [](const char* k) {
      return std::getenv(k);
    });

}  // namespace claudegpt
