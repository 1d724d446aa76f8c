// Files and directories private to the user (0700 directories, 0600 files), created and
// opened without trusting what is already there: traces hold whole conversations, the .env
// and the Codex login hold keys. Where they go is state_dir.h's (or a setting's) business.
#pragma once

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/unique_fd.h"

namespace claudegpt {

// Creates `dir` and any missing parents with mode 0700 (before the umask). Directories that
// already exist keep their mode. Throws std::filesystem::filesystem_error.
void create_private_directories(const std::filesystem::path& dir);

// A directory or file of ours is not safe to write in or through: it is a symbolic link, not
// a directory (or not a regular file), or owned by another user. The message names the path.
// The caller leaves that trace (or the ledger) unwritten rather than write somewhere unsafe.
struct UnsafeStatePath : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Told when an existing directory or file of ours was open to other users and has been
// tightened (to 0700 or 0600), or when a folder of the user's is open to others and left so.
// The message names the path and the mode.
using StateWarning = std::function<void(const std::string&)>;

// Opens `dir` (O_DIRECTORY), a directory of claudegpt's own (the state dir or one in it, the
// trace dir), to create private files in, trusting nothing already there.
// Missing parents are created 0700, as by create_private_directories, and followed as they
// are (the user's own layout: a symlinked ~/.local is fine); `dir` itself is created 0700 when
// missing, and otherwise opened without following a symbolic link and must be a directory
// owned by this user. Group or other permissions on it are removed (mode 0700) and `warn` is
// told. Throws UnsafeStatePath when refused, std::system_error (naming the path) on other
// failures.
UniqueFd open_private_directory(const std::filesystem::path& dir, const StateWarning& warn);

// Opens `dir`, a folder of the user's that a setting put one of our files in (not
// claudegpt's own, so its mode is never changed), to create private files in by name. Created
// 0700 with its missing parents when missing (then it is ours). Otherwise it may be a symbolic
// link of the user's (or root's): their layout, followed. It must then be a directory owned by
// this user or root that no other user can write in: whoever can write there can plant a link
// or a file of theirs under a name we (or SQLite, which opens its -wal and -shm by name) open
// later, so another user's directory, a link of another user's, and a directory writable by
// others (a sticky /tmp included; group-writable is fine when the group is the user's private
// one, as with a umask of 002) are refused: UnsafeStatePath. Open to others only for reading
// (0755): `warn` is told, once, and the directory is left as it is.
UniqueFd open_user_directory(const std::filesystem::path& dir, const StateWarning& warn);

// The same for the directory `name` (one component) inside `parent`, an open directory:
// created 0700 when missing, never followed through a symbolic link. `shown` names it in
// messages.
UniqueFd open_private_subdirectory(int parent, const std::string& name,
                                   const std::filesystem::path& shown, const StateWarning& warn);

// Opens the regular file `name` inside `parent` (read-only, to examine it), never through a
// symbolic link, creating it 0600 when missing and `create` is set (otherwise a missing file
// gives an empty UniqueFd). It must be owned by this user; group or other permissions are
// removed (mode 0600) and `warn` is told. Throws UnsafeStatePath when refused, std::system_error otherwise.
UniqueFd open_private_file(int parent, const std::string& name, const std::filesystem::path& shown,
                           bool create, const StateWarning& warn);

// Writes `text` to `path` atomically (a temp file beside it, fsync, rename, fsync of the
// directory), mode 0600; missing parent directories are created 0700. Readers see the old
// file or the new one, never a part. Throws std::system_error naming the path.
void write_private_file(const std::filesystem::path& path, std::string_view text);

// Writes all of `text` to `fd`, again after a short write or EINTR; false (errno set) when a
// write fails.
bool write_all(int fd, std::string_view text);

}  // namespace claudegpt
