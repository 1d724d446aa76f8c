#include "support/private_file.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace claudegpt {

namespace fs = std::filesystem;

void create_private_directories(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  // Parents first, each made 0700 itself: fs::create_directories would use 0777 & ~umask.
  if (dir.has_parent_path() && dir.parent_path() != dir)
    create_private_directories(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw fs::filesystem_error("cannot create directory", dir,
                               std::error_code(errno, std::generic_category()));
  if (!fs::is_directory(dir, ec))
    throw fs::filesystem_error("not a directory", dir,
                               std::make_error_code(std::errc::not_a_directory));
}

namespace {

// O_NOFOLLOW: a symbolic link planted where a directory of ours should be fails to open
// (ELOOP) instead of leading the writer somewhere else.
constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

[[noreturn]] void throw_error(int error, const std::string& what, const fs::path& path) {
  throw std::system_error(error, std::generic_category(), what + " " + path.string());
}

std::string octal(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777u);
  return text;
}

// `name` in `parent` could not be opened (errno `error`): a symbolic link there is refused,
// anything else is an ordinary failure.
[[noreturn]] void opening_failed(int parent, const char* name, const fs::path& shown, int error) {
  struct stat st {};
  if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    throw UnsafeStatePath(shown.string() + " is a symbolic link: refusing to write through it");
  throw_error(error, "cannot open", shown);
}

// What is open as `fd` must be ours alone: of the expected type, owned by this user, and
// private (other users' permissions, if any, are removed, and `warn` is told).
void make_ours(int fd, const fs::path& shown, bool directory, const StateWarning& warn) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_error(errno, "cannot examine", shown);
  if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
    throw UnsafeStatePath(shown.string() +
                          (directory ? " is not a directory" : " is not a regular file"));
  if (st.st_uid != ::geteuid())
    throw UnsafeStatePath(shown.string() + " is owned by uid " + std::to_string(st.st_uid) +
                          ", not by this user (uid " + std::to_string(::geteuid()) +
                          "): refusing to write in it");
  if ((st.st_mode & 077) == 0) return;
  const mode_t tight = directory ? 0700 : 0600;
  if (::fchmod(fd, tight) != 0) throw_error(errno, "cannot make private", shown);
  if (warn)
    warn(shown.string() + " was open to other users (mode " + octal(st.st_mode) +
         "): tightened to " + octal(tight));
}

// `dir` without trailing slashes: with one, the kernel follows a final symbolic link even
// under O_NOFOLLOW.
fs::path without_trailing_slash(const fs::path& dir) {
  std::string text = dir.empty() ? std::string(".") : dir.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

// Opens the directory `target` (no trailing slash) without following a final symbolic link.
// Missing, it is created 0700, with any missing parents made private too, and then opened.
// Returns the descriptor, or -1 with errno set when it still cannot be opened.
int open_or_create_directory(const fs::path& target) {
  int fd = ::open(target.c_str(), kDirectoryFlags);
  if (fd < 0 && errno == ENOENT) {
    fs::path parent = target.parent_path();
    if (!parent.empty() && parent != target) create_private_directories(parent);
    if (::mkdir(target.c_str(), 0700) != 0 && errno != EEXIST)
      throw_error(errno, "cannot create directory", target);
    fd = ::open(target.c_str(), kDirectoryFlags);
  }
  return fd;
}

}  // namespace

UniqueFd open_private_directory(const fs::path& dir, const StateWarning& warn) {
  const fs::path target = without_trailing_slash(dir);
  int fd = open_or_create_directory(target);
  if (fd < 0) opening_failed(AT_FDCWD, target.c_str(), target, errno);
  UniqueFd opened(fd);
  make_ours(opened.get(), target, true, warn);
  return opened;
}

namespace {

// Whether `gid` is this user's private group (the Debian and Ubuntu scheme, which comes with a
// umask of 002): the user's primary group, named as the user, listing no other member. (Other
// users whose primary group it is cannot be seen without reading the whole user database; an
// administrator who shares a group gives it a name of its own.)
bool is_private_group(gid_t gid) {
  std::vector<char> user_buffer(16384);
  passwd user{};
  passwd* found_user = nullptr;
  if (::getpwuid_r(::geteuid(), &user, user_buffer.data(), user_buffer.size(), &found_user) != 0 ||
      !found_user || user.pw_gid != gid)
    return false;
  std::vector<char> group_buffer(65536);
  group entry{};
  group* found_group = nullptr;
  if (::getgrgid_r(gid, &entry, group_buffer.data(), group_buffer.size(), &found_group) != 0 ||
      !found_group || std::strcmp(entry.gr_name, user.pw_name) != 0)
    return false;
  for (char** member = entry.gr_mem; member && *member; ++member)
    if (std::strcmp(*member, user.pw_name) != 0) return false;
  return true;
}

// Whether a user other than this one (or root) can create, rename or remove entries in the
// open directory `fd`.
bool others_can_write(int fd, const struct stat& st) {
  if (st.st_mode & S_IWOTH) return true;
  if (!(st.st_mode & S_IWGRP)) return false;
  // With an ACL the group bits are its mask, which covers the named users and groups too.
  if (::fgetxattr(fd, "system.posix_acl_access", nullptr, 0) > 0) return true;
  return !is_private_group(st.st_gid);
}

bool trusted_owner(uid_t uid) { return uid == ::geteuid() || uid == 0; }

}  // namespace

UniqueFd open_user_directory(const fs::path& dir, const StateWarning& warn) {
  const fs::path target = without_trailing_slash(dir);
  int fd = open_or_create_directory(target);  // missing: claudegpt creates it, and it is ours
  if (fd < 0) {
    int error = errno;
    struct stat link {};
    if (::lstat(target.c_str(), &link) != 0 || !S_ISLNK(link.st_mode))
      throw_error(error, "cannot open", target);
    // The user's own layout (a link to a bigger disk) is followed; a link someone else planted
    // is not.
    if (!trusted_owner(link.st_uid))
      throw UnsafeStatePath(target.string() + " is a symbolic link of uid " +
                            std::to_string(link.st_uid) + ", not of this user (uid " +
                            std::to_string(::geteuid()) + "): refusing to follow it");
    fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_error(errno, "cannot open", target);
  }
  UniqueFd opened(fd);
  struct stat st {};
  if (::fstat(opened.get(), &st) != 0) throw_error(errno, "cannot examine", target);
  if (!S_ISDIR(st.st_mode)) throw UnsafeStatePath(target.string() + " is not a directory");
  if (!trusted_owner(st.st_uid))
    throw UnsafeStatePath(target.string() + " is owned by uid " + std::to_string(st.st_uid) +
                          ", not by this user (uid " + std::to_string(::geteuid()) +
                          "): they could replace the files claudegpt keeps there");
  if (others_can_write(opened.get(), st))
    throw UnsafeStatePath(target.string() + " is writable by other users (mode " +
                          octal(st.st_mode) +
                          "): they could plant a link or a file of theirs under a name "
                          "claudegpt opens there");
  if ((st.st_mode & 077) != 0 && warn)
    warn(target.string() + " is open to other users (mode " + octal(st.st_mode) +
         "): they can see which files claudegpt keeps there, though not read them (those are "
         "0600); it is your folder, so claudegpt leaves its mode alone (`chmod go-rwx " +
         target.string() + "` hides them)");
  return opened;
}

UniqueFd open_private_subdirectory(int parent, const std::string& name, const fs::path& shown,
                                   const StateWarning& warn) {
  int fd = ::openat(parent, name.c_str(), kDirectoryFlags);
  if (fd < 0 && errno == ENOENT) {
    if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST)
      throw_error(errno, "cannot create directory", shown);
    fd = ::openat(parent, name.c_str(), kDirectoryFlags);
  }
  if (fd < 0) opening_failed(parent, name.c_str(), shown, errno);
  UniqueFd opened(fd);
  make_ours(opened.get(), shown, true, warn);
  return opened;
}

UniqueFd open_private_file(int parent, const std::string& name, const fs::path& shown, bool create,
                           const StateWarning& warn) {
  // O_NONBLOCK: a FIFO planted at the name must not hang the open (it is refused below).
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::openat(parent, name.c_str(), flags, 0600);
  if (fd < 0 && !create && errno == ENOENT) return {};
  if (fd < 0) opening_failed(parent, name.c_str(), shown, errno);
  UniqueFd opened(fd);
  make_ours(opened.get(), shown, false, warn);
  return opened;
}

namespace {

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path) {
  throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

}  // namespace

void write_private_file(const fs::path& path, std::string_view text) {
  fs::path dir = path.parent_path();
  create_private_directories(dir);

  std::string temp = (dir.empty() ? fs::path(".") : dir) / (path.filename().string() + ".XXXXXX");
  int fd = ::mkstemp(temp.data());  // created 0600
  if (fd < 0) throw_errno("cannot create a temporary file beside", path);
  auto fail = [&](const char* what) {
    int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    errno = saved;
    throw_errno(what, path);
  };
  if (::fchmod(fd, 0600) != 0) fail("cannot set the mode of");
  if (!write_all(fd, text)) fail("cannot write");
  if (::fsync(fd) != 0) fail("cannot sync");
  if (::close(fd) != 0) {
    ::unlink(temp.c_str());
    throw_errno("cannot write", path);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    throw_errno("cannot replace", path);
  }
  // Make the rename itself durable.
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

bool write_all(int fd, std::string_view text) {
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace claudegpt
