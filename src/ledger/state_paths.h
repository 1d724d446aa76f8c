// Where claudegpt keeps what it accumulates over time (the usage ledger, the trace files),
// and how those directories and files are created: private to the user, since traces hold
// whole conversations.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string_view>
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

// Creates `dir` and any missing parents with mode 0700 (before the umask). Directories that
// already exist keep their mode. Throws std::filesystem::filesystem_error.
void create_private_directories(const std::filesystem::path& dir);

// Writes `text` to `path` atomically (a temp file beside it, fsync, rename, fsync of the
// directory), mode 0600; missing parent directories are created 0700. Readers see the old
// file or the new one, never a part. Throws std::system_error naming the path.
void write_private_file(const std::filesystem::path& path, std::string_view text);

}  // namespace claudegpt
