// Where claudegpt keeps what it accumulates over time: the usage ledger, the trace files, the
// refusals it learnt, the launcher's log. Creating things there is private_file.h's job.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>

namespace claudegpt {

// The state directory: $XDG_STATE_HOME/claudegpt when XDG_STATE_HOME is set to an absolute
// path (the XDG spec says relative values are to be ignored), else ~/.local/state/claudegpt
// ($HOME, else the home directory from the password database). Callers put the ledger at
// <state dir>/usage.sqlite3 and the traces under <state dir>/traces. Creates nothing.
// `getenv` is injectable for tests. Throws std::runtime_error when no home can be found.
std::filesystem::path default_state_dir(
    const std::function<const char*(const char*)>& getenv = [](const char* k) {
      return std::getenv(k);
    });

// Whether `path` is the state directory or inside it (compared as absolute, lexically
// normal paths): only there are directories claudegpt's own, to be made private when lax. A
// setting may point one of our files into a folder of the user's, which is left as it is.
bool in_state_dir(const std::filesystem::path& path,
                  const std::function<const char*(const char*)>& getenv = [](const char* k) {
                    return std::getenv(k);
                  });

}  // namespace claudegpt
