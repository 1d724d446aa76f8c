#include "ledger/trace_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>

#include "support/private_file.h"

namespace claudegpt {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kSuffix = ".json";
// A hidden temp or spool file this old was left by a writer that died mid-write.
constexpr std::time_t kStaleTempSeconds = 3600;
// Where spooled request bodies wait for their trace (TraceStore::spool): a hidden directory
// beside the cwd tags, so scans see its files as hidden and skip them.
constexpr std::string_view kSpoolDir = ".spool";
constexpr std::string_view kSpoolSuffix = ".spool";
// Entries below the trace directory are opened relative to their directory and never through
// a symbolic link, so neither writing, pruning nor scanning can leave it.
constexpr int kSubdirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

bool is_safe_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

// No '/' and nothing a shell or a file manager makes awkward.
std::string safe_chars(std::string_view text) {
  std::string name(text);
  for (char& c : name)
    if (!is_safe_name_char(c)) c = '_';
  return name;
}

// One path component that cannot climb out of its directory or hide itself.
std::string safe_name(std::string_view text) {
  std::string name = safe_chars(text);
  if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
  return name;
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }


// Header names whose values are credentials, lower-case, '-' for '_'.
constexpr std::string_view kSecretNames[] = {
    "authorization", "proxy-authorization", "x-api-key",     "api-key",
    "cookie",        "set-cookie",          "chatgpt-account-id", "access-token",
    "refresh-token", "id-token",
};

bool is_secret_name(std::string_view name) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  name = trim(name);
  std::string normal;
  normal.reserve(name.size());
  for (char c : name) normal += c == '_' ? '-' : ascii_lower(c);
  return std::find(std::begin(kSecretNames), std::end(kSecretNames), normal) !=
         std::end(kSecretNames);
}

// "Authorization: Bearer …" -> "Authorization: [redacted]"; false when not such a line.
bool redact_header_line(json::string& line) {
  std::string_view text = line;
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 64) return false;
  std::string_view name = text.substr(0, colon);
  if (!is_secret_name(name)) return false;
  std::string masked = std::string(name) + ": " + std::string(kRedacted);
  if (text == masked) return false;
  line = masked;
  return true;
}

bool mask(json::value& value) {
  if (const json::string* s = value.if_string(); s && *s == kRedacted) return false;
  value = kRedacted;
  return true;
}

std::size_t redact_value(json::value& value);

std::size_t redact_object(json::object& object) {
  std::size_t masked = 0;
  for (auto& entry : object) {
    if (is_secret_name(entry.key()))
      masked += mask(entry.value());
    else
      masked += redact_value(entry.value());
  }
  return masked;
}

std::size_t redact_value(json::value& value) {
  if (json::object* object = value.if_object()) return redact_object(*object);
  if (json::string* text = value.if_string()) return redact_header_line(*text);
  json::array* array = value.if_array();
  if (!array) return 0;
  // A header list of [name, value] pairs.
  if (array->size() == 2 && (*array)[0].is_string() && is_secret_name((*array)[0].get_string()))
    return mask((*array)[1]);
  std::size_t masked = 0;
  for (json::value& element : *array) masked += redact_value(element);
  return masked;
}

// The names in the open directory `dir_fd` but "." and "..". Read through a descriptor of
// its own, so `dir_fd` can be read again.
std::vector<std::string> entry_names(int dir_fd) {
  std::vector<std::string> names;
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return names;
  DIR* entries = ::fdopendir(fd);
  if (!entries) {
    ::close(fd);
    return names;
  }
  while (const dirent* entry = ::readdir(entries)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(entries);
  return names;
}

// Reads the trace files in the open trace directory `dir_fd` (shown as `dir`):
// <dir>/<tag>/<stem>.json, regular files in real directories only (no symbolic link is
// followed), sorted oldest first. With `remove_stale_temps`, deletes the hidden temp files a
// crashed writer left behind.
std::vector<TraceFileInfo> scan_trace_files(int dir_fd, const fs::path& dir,
                                            bool remove_stale_temps) {
  std::vector<TraceFileInfo> files;
  const std::time_t stale_before = std::time(nullptr) - kStaleTempSeconds;
  for (const std::string& tag : entry_names(dir_fd)) {
    UniqueFd tag_fd(::openat(dir_fd, tag.c_str(), kSubdirectoryFlags));
    if (!tag_fd) continue;  // a file, a symbolic link, or gone
    for (const std::string& name : entry_names(tag_fd.get())) {
      struct stat st {};
      if (::fstatat(tag_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !S_ISREG(st.st_mode))
        continue;
      if (name.starts_with('.')) {
        if (remove_stale_temps &&
            (name.find(".tmp-") != std::string::npos || name.ends_with(kSpoolSuffix)) &&
            st.st_mtime < stale_before)
          ::unlinkat(tag_fd.get(), name.c_str(), 0);
        continue;
      }
      if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
      files.push_back({dir / tag / name, tag, name.substr(0, name.size() - kSuffix.size()),
                       static_cast<std::uint64_t>(st.st_size)});
    }
  }
  std::sort(files.begin(), files.end(), [](const TraceFileInfo& a, const TraceFileInfo& b) {
    return std::tie(a.stem, a.cwd_tag) < std::tie(b.stem, b.cwd_tag);
  });
  return files;
}

// The trace directory for reading (`claudegpt traces`): the user's to point anywhere.
std::vector<TraceFileInfo> scan_for_reading(const fs::path& dir) {
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return {};
  return scan_trace_files(dir_fd.get(), dir, false);
}

std::string errno_text() { return std::strerror(errno); }

// Writes `text` as `name` in the open directory `tag_fd` (the file shown as `file`) as a
// whole: a hidden temp file beside it (0600, created exclusively: never an existing file or
// link), then a rename.
// Throws UnsafeStatePath when something other than a regular file is where a trace is about
// to be renamed to. Names hold the time and the request id, so nothing but an earlier copy of
// this trace should be there. Renaming would replace a planted link rather than follow it, but
// a link there means someone is meddling: leave it and refuse the trace.
void refuse_non_regular(int tag_fd, const std::string& name, const fs::path& file) {
  struct stat st {};
  if (::fstatat(tag_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
    throw UnsafeStatePath(file.string() +
                          (S_ISLNK(st.st_mode) ? " is a symbolic link" : " is not a regular file") +
                          ": refusing to replace it");
}

void write_atomically(int tag_fd, const std::string& name, const fs::path& file,
                      std::string_view text, std::uint64_t serial) {
  refuse_non_regular(tag_fd, name, file);
  std::string temp =
      "." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(serial);
  fs::path shown_temp = file.parent_path() / temp;
  int fd = ::openat(tag_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    0600);
  if (fd < 0)
    throw std::runtime_error("cannot create " + shown_temp.string() + ": " + errno_text());
  std::string failure;
  if (!write_all(fd, text)) failure = "cannot write " + shown_temp.string() + ": " + errno_text();
  if (::close(fd) != 0 && failure.empty())
    failure = "cannot write " + shown_temp.string() + ": " + errno_text();
  if (failure.empty() && ::renameat(tag_fd, temp.c_str(), tag_fd, name.c_str()) != 0)
    failure = "cannot rename " + shown_temp.string() + " to " + file.string() + ": " + errno_text();
  if (!failure.empty()) {
    ::unlinkat(tag_fd, temp.c_str(), 0);
    throw std::runtime_error(failure);
  }
}

}  // namespace

struct TraceStore::Impl {
  // A trace to write, or (is_spool) a member to append to a spool (none: remove the spool).
  struct Item {
    std::string cwd_tag;
    std::string file_stem;
    json::object trace;
    std::vector<RawJsonMember> raw;
    std::string spool_id;  // the trace's spool, or the spool the member goes to
    bool is_spool = false;
    std::vector<std::string> secrets;  // masked in a spooled member, and again in the trace's
  };
  // Files by age: (stem, tag) -> bytes. Stems start with the UTC time, so name order is age.
  using Key = std::pair<std::string, std::string>;

  fs::path dir;
  std::uint64_t max_bytes;
  TraceStoreOptions options;

  mutable std::mutex mutex;
  std::condition_variable wake;  // the writer: work, or stop
  std::condition_variable idle;  // flush(): queue drained
  std::deque<Item> queue;
  std::size_t traces_queued = 0;  // in `queue`; its spooled members are not counted
  std::size_t spool_bytes_queued = 0;  // the bodies of the spooled members in `queue`
  std::atomic<bool> spool_unusable = false;  // its directory was refused: spool() says no
  bool busy = true;  // the writer is scanning or writing (true until the first scan is done)
  bool stopping = false;
  bool drop_rest = false;
  TraceStoreStats stats;

  // The writer thread's own.
  std::map<Key, std::uint64_t> files;
  std::uint64_t total = 0;
  std::uint64_t serial = 0;
  bool refused = false;          // the trace directory itself was refused: off for this run
  // The secrets each open spool's text was masked with: a trace whose secrets are all among
  // them is finished by appending, without reading its bodies back.
  std::map<std::string, std::set<std::string>> spool_secrets;
  std::set<std::string> warned;  // refusals already reported: each is reported once

  std::thread writer;

  void report(const std::string& message) {
    if (options.on_error) options.on_error(message);
  }

  void report_once(const std::string& message) {
    if (warned.insert(message).second) report(message);
  }

  // Told when a directory of ours was open to other users and has been made private.
  StateWarning tightened() {
    return [this](const std::string& message) { report(message); };
  }

  // A directory the checking open gave, kept while it is still the one its name names.
  struct HeldDir {
    UniqueFd fd;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  HeldDir held_dir;                        // the trace directory
  HeldDir held_spool;                      // its .spool
  std::map<std::string, HeldDir> held_tags;  // its cwd folders, at most kMaxHeldTags
  static constexpr std::size_t kMaxHeldTags = 64;

  // Whether `held` is still what `name` in `parent` names (not followed if a link), still a
  // directory of this user's, closed to others and not removed: one fstatat and one fstat in
  // place of the checking open, which walks and checks every level (about ten system calls).
  static bool still_held(const HeldDir& held, int parent, const char* name) {
    struct stat named {}, own {};
    return held.fd && ::fstatat(parent, name, &named, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(named.st_mode) &&
           ::fstat(held.fd.get(), &own) == 0 && named.st_dev == own.st_dev && named.st_ino == own.st_ino &&
           own.st_nlink > 0 && own.st_uid == ::geteuid() && (own.st_mode & 077) == 0;
  }

  static HeldDir hold(UniqueFd fd) {
    HeldDir held;
    struct stat st {};
    if (fd && ::fstat(fd.get(), &st) == 0) {
      held.dev = st.st_dev;
      held.ino = st.st_ino;
      held.fd = std::move(fd);
    }
    return held;
  }

  // The trace directory, never through a symbolic link; -1 when it is refused, which turns
  // traces off. Opened with every check again whenever it is no longer the directory held (it
  // was removed, replaced or opened to others meanwhile).
  int trace_dir() {
    if (still_held(held_dir, AT_FDCWD, dir.c_str())) return held_dir.fd.get();
    held_tags.clear();  // (inside the old one)
    held_spool = {};
    try {
      held_dir = hold(open_private_directory(dir, tightened()));
    } catch (const UnsafeStatePath& e) {
      report_once(std::string(e.what()) + ": traces are off for this run");
      refused = true;
      held_dir = {};
    }
    return held_dir.fd ? held_dir.fd.get() : -1;
  }

  // The cwd folder `tag` in the trace directory `dir_fd`, created on first use. Throws
  // UnsafeStatePath when it is refused.
  int tag_dir(int dir_fd, const std::string& tag) {
    auto it = held_tags.find(tag);
    if (it != held_tags.end() && still_held(it->second, dir_fd, tag.c_str())) return it->second.fd.get();
    if (held_tags.size() >= kMaxHeldTags) held_tags.clear();
    HeldDir& held = held_tags[tag];
    held = hold(open_private_subdirectory(dir_fd, tag, dir / tag, tightened()));
    return held.fd.get();
  }

  void rescan(int dir_fd) {
    files.clear();
    total = 0;
    for (TraceFileInfo& file : scan_trace_files(dir_fd, dir, true)) {
      total += file.bytes;
      files[{std::move(file.stem), std::move(file.cwd_tag)}] = file.bytes;
    }
  }

  // A tag directory opened for pruning, or why it could not be.
  struct TagDir {
    UniqueFd fd;
    int error = 0;
  };

  // Removes <tag>/<name> by its directory's descriptor: unlinkat takes a symbolic link itself
  // away, never what it points to, and a tag directory that became a link is not entered.
  bool remove_file(int dir_fd, std::map<std::string, TagDir>& tags, const std::string& tag,
                   const std::string& name) {
    auto [it, inserted] = tags.try_emplace(tag);
    if (inserted) {
      it->second.fd = UniqueFd(::openat(dir_fd, tag.c_str(), kSubdirectoryFlags));
      if (!it->second.fd) it->second.error = errno;
    }
    int error = it->second.error;
    if (!error && ::unlinkat(it->second.fd.get(), name.c_str(), 0) != 0) error = errno;
    if (error == 0 || error == ENOENT) return true;  // (ENOENT: another process pruned it)
    report("trace " + (dir / tag / name).string() + ": cannot remove it: " + std::strerror(error));
    return false;
  }

  // Removes the oldest files (never `keep`) until the total is at most 90% of the limit.
  std::uint64_t prune(int dir_fd, const Key* keep) {
    if (max_bytes == 0 || total <= max_bytes) return 0;
    rescan(dir_fd);  // other processes write (and prune) here too
    if (total <= max_bytes) return 0;
    const std::uint64_t target = max_bytes - max_bytes / 10;
    if (options.before_prune_removes) options.before_prune_removes();
    std::uint64_t removed = 0;
    std::map<std::string, TagDir> tags;
    for (auto it = files.begin(); total > target && it != files.end();) {
      if (keep && it->first == *keep) {
        ++it;
        continue;
      }
      if (remove_file(dir_fd, tags, it->first.second, it->first.first + std::string(kSuffix)))
        ++removed;
      total -= it->second;  // gone, or not ours to count any more
      it = files.erase(it);
    }
    return removed;
  }

  void start() {
    std::uint64_t removed = 0;
    try {
      if (int dir_fd = trace_dir(); dir_fd >= 0) {
        rescan(dir_fd);
        removed = prune(dir_fd, nullptr);
      }
    } catch (const std::exception& e) {
      report(std::string("trace directory: ") + e.what());
    }
    std::lock_guard lock(mutex);
    stats.pruned += removed;
    stats.total_bytes = total;
    busy = false;
    if (queue.empty()) idle.notify_all();
  }

  // The spool directory in the open trace directory `dir_fd`, created on first use; -1 (and
  // reported) when it cannot be had.
  int spool_dir(int dir_fd) {
    const std::string name(kSpoolDir);
    if (still_held(held_spool, dir_fd, name.c_str())) return held_spool.fd.get();
    try {
      held_spool = hold(open_private_subdirectory(dir_fd, name, dir / name, tightened()));
      return held_spool.fd.get();
    } catch (const UnsafeStatePath& e) {
      report_once(std::string(e.what()) + ": request bodies are kept in memory instead");
      spool_unusable = true;
    } catch (const std::exception& e) {
      report(std::string("trace spool: ") + e.what() + "; request bodies are kept in memory instead");
      spool_unusable = true;
    }
    held_spool = {};
    return -1;
  }

  // Spool files are this process's own: another claudegpt may spool the same request id.
  static std::string spool_name(const std::string& spool_id) {
    return "." + safe_chars(spool_id) + "-" + std::to_string(::getpid()) + std::string(kSpoolSuffix);
  }

  // Appends `"key":<json>` (its secrets masked) to the member's spool file, which is the start
  // of its trace file: `{` before the first member, `,` before the others. submit() appends
  // the rest of the trace and renames the file into place, so a body is written once and
  // never read back.
  void append_to_spool(Item& item) {
    if (refused || item.raw.empty()) return;
    const RawJsonMember& member = item.raw.front();
    std::string text = json::serialize(json::string(member.key)) + ":";
    text += member.json ? std::string_view(*member.json) : std::string_view("null");
    redact_values(text, item.secrets);
    const int dir_fd = trace_dir();
    const int spool_fd = dir_fd >= 0 ? spool_dir(dir_fd) : -1;
    if (spool_fd < 0) return;
    const std::string name = spool_name(item.spool_id);
    // (O_NONBLOCK: something else planted there, a FIFO, must not hold the writer.)
    UniqueFd fd(::openat(spool_fd, name.c_str(),
                         O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    struct stat st {};
    bool ok = fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode);
    if (ok) {
      text.insert(text.begin(), st.st_size == 0 ? '{' : ',');
      spool_secrets[item.spool_id].insert(item.secrets.begin(), item.secrets.end());
    }
    if (ok && !write_all(fd.get(), text)) {
      ok = false;
      const int error = errno;
      (void)::ftruncate(fd.get(), st.st_size);  // no half member: the trace must stay JSON
      errno = error;
    }
    if (!ok) report("trace spool " + (dir / std::string(kSpoolDir) / name).string() + ": " + errno_text());
  }

  // The spools of traces that will not be written (dropped, or the store closed first).
  void discard_spools(const std::set<std::string>& ids) {
    for (const std::string& id : ids) spool_secrets.erase(id);
    if (ids.empty() || refused) return;
    const int dir_fd = trace_dir();
    const int spool_fd = dir_fd >= 0 ? spool_dir(dir_fd) : -1;
    if (spool_fd < 0) return;
    for (const std::string& id : ids) ::unlinkat(spool_fd, spool_name(id).c_str(), 0);
  }

  // Masks `secrets` in the whole of the open spool `fd` again: a secret the trace knows that
  // its bodies were not masked with (a Codex token renewed mid-turn). Rare: it reads the
  // bodies back. False when the file could not be read or rewritten.
  static bool remask(int fd, const std::vector<std::string>& secrets) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::pread(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    if (redact_values(text, secrets) == 0) return true;
    // O_APPEND writes go to the end whatever the offset: start from an empty file.
    return ::ftruncate(fd, 0) == 0 && write_all(fd, text);
  }

  // Finishes the trace whose bodies are in its spool: appends `tail` (the rest of its members
  // and the closing brace) and renames the spool to `name` in `tag_fd`. Returns the file's
  // size, or nullopt when there is no spool (its write failed, and said so): the caller then
  // writes the trace whole. Throws when the spool could not be finished; it is removed then.
  std::optional<std::uint64_t> finish_spool(int spool_fd, const Item& item, std::string_view tail,
                                            int tag_fd, const std::string& name, const fs::path& file) {
    const std::string spool = spool_name(item.spool_id);
    std::set<std::string> masked = std::move(spool_secrets[item.spool_id]);
    spool_secrets.erase(item.spool_id);
    UniqueFd fd(::openat(spool_fd, spool.c_str(), O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
      if (fd) ::unlinkat(spool_fd, spool.c_str(), 0);
      return std::nullopt;
    }
    std::string failure;
    bool unmasked = std::any_of(item.secrets.begin(), item.secrets.end(),
                                [&](const std::string& secret) { return !masked.contains(secret); });
    if (unmasked && !remask(fd.get(), item.secrets)) failure = "cannot mask it again: " + errno_text();
    if (failure.empty() && !write_all(fd.get(), tail)) failure = "cannot write it: " + errno_text();
    if (failure.empty() && ::fstat(fd.get(), &st) != 0) failure = errno_text();
    if (::close(fd.release()) != 0 && failure.empty()) failure = "cannot write it: " + errno_text();
    if (failure.empty()) {
      try {
        refuse_non_regular(tag_fd, name, file);
      } catch (...) {
        ::unlinkat(spool_fd, spool.c_str(), 0);
        throw;
      }
      if (::renameat(spool_fd, spool.c_str(), tag_fd, name.c_str()) != 0)
        failure = "cannot rename it to " + file.string() + ": " + errno_text();
    }
    if (!failure.empty()) {
      ::unlinkat(spool_fd, spool.c_str(), 0);
      throw std::runtime_error("trace spool " + (dir / std::string(kSpoolDir) / spool).string() + ": " + failure);
    }
    return static_cast<std::uint64_t>(st.st_size);
  }

  // Returns false when the trace could not be written.
  bool write(Item& item, std::uint64_t& removed) {
    if (refused) return false;
    std::string tag = safe_name(item.cwd_tag);
    std::string stem = safe_name(item.file_stem);
    std::string name = stem + std::string(kSuffix);
    fs::path file = dir / tag / name;
    try {
      const int dir_fd = trace_dir();
      if (dir_fd < 0) return false;
      redact_secrets(item.trace);
      // The tree's members, then the raw ones; the closing brace is added below.
      std::string members = json::serialize(item.trace);
      members = members.substr(1, members.size() - 2);
      for (const RawJsonMember& member : item.raw) {
        if (!members.empty()) members += ',';
        members += json::serialize(json::string(member.key));
        members += ':';
        members += member.json ? std::string_view(*member.json) : std::string_view("null");
      }
      int tag_fd = -1;
      try {
        tag_fd = tag_dir(dir_fd, tag);
      } catch (const UnsafeStatePath& e) {
        report_once(std::string(e.what()) + ": its traces are not written");
        if (!item.spool_id.empty()) discard_spools({item.spool_id});
        return false;
      }
      std::optional<std::uint64_t> bytes;
      if (!item.spool_id.empty()) {
        // The bodies are the file's start already: the rest follows them.
        if (int spool_fd = spool_dir(dir_fd); spool_fd >= 0)
          bytes = finish_spool(spool_fd, item, (members.empty() ? "" : "," + members) + "}\n", tag_fd, name, file);
      }
      spool_secrets.erase(item.spool_id);
      if (!bytes) {
        std::string text = "{" + members + "}\n";
        write_atomically(tag_fd, name, file, text, ++serial);
        bytes = text.size();
      }
      Key key{std::move(stem), std::move(tag)};
      auto [it, inserted] = files.try_emplace(key, 0);
      total -= it->second;
      it->second = *bytes;
      total += *bytes;
      removed += prune(dir_fd, &key);
      return true;
    } catch (const UnsafeStatePath& e) {
      report_once(std::string(e.what()) + ": the trace is not written");
      return false;
    } catch (const std::exception& e) {
      report("trace " + file.string() + ": " + e.what());
      return false;
    }
  }

  void run() {
    start();
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) break;  // stopping, and nothing left
      if (drop_rest) {
        stats.dropped += traces_queued;
        std::deque<Item> dropped;
        dropped.swap(queue);
        traces_queued = spool_bytes_queued = 0;
        lock.unlock();
        std::set<std::string> ids;
        for (const Item& left : dropped)
          if (!left.spool_id.empty()) ids.insert(left.spool_id);
        discard_spools(ids);
        lock.lock();
        break;
      }
      Item item = std::move(queue.front());
      queue.pop_front();
      if (!item.is_spool) --traces_queued;
      if (item.is_spool && !item.raw.empty() && item.raw.front().json)
        spool_bytes_queued -= item.raw.front().json->size();
      busy = true;
      lock.unlock();
      if (item.is_spool) {
        if (item.raw.empty()) {  // its trace was dropped
          discard_spools({item.spool_id});
        } else {
          append_to_spool(item);
        }
        lock.lock();
        busy = false;
        if (queue.empty()) idle.notify_all();
        continue;
      }
      if (options.before_write) options.before_write();
      std::uint64_t removed = 0;
      bool ok = write(item, removed);
      lock.lock();
      busy = false;
      ++(ok ? stats.written : stats.failed);
      stats.pruned += removed;
      stats.total_bytes = total;
      if (queue.empty()) idle.notify_all();
    }
    idle.notify_all();
  }
};

TraceStore::TraceStore(fs::path dir, std::uint64_t max_bytes, TraceStoreOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->dir = std::move(dir);
  impl_->max_bytes = max_bytes;
  impl_->options = std::move(options);
  impl_->writer = std::thread([impl = impl_.get()] { impl->run(); });
}

TraceStore::~TraceStore() {
  bool drained = flush(impl_->options.drain_timeout);
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    impl_->drop_rest = !drained;
  }
  impl_->wake.notify_all();
  impl_->writer.join();
}

void TraceStore::submit(std::string cwd_tag, std::string file_stem, json::object trace,
                        std::vector<RawJsonMember> raw, std::string spool_id,
                        std::vector<std::string> secrets) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) {
      ++impl_->stats.dropped;
      return;
    }
    if (impl_->traces_queued >= impl_->options.max_queued) {
      ++impl_->stats.dropped;
      if (spool_id.empty()) return;
      // Dropped, but its spool must still go.
      Impl::Item discard;
      discard.spool_id = std::move(spool_id);
      discard.is_spool = true;
      impl_->queue.push_back(std::move(discard));
    } else {
      impl_->queue.push_back({std::move(cwd_tag), std::move(file_stem), std::move(trace), std::move(raw),
                              std::move(spool_id), false, std::move(secrets)});
      ++impl_->traces_queued;
    }
  }
  impl_->wake.notify_one();
}

bool TraceStore::spool(std::string spool_id, RawJsonMember member, std::vector<std::string> secrets) {
  {
    std::lock_guard lock(impl_->mutex);
    const std::size_t bytes = member.json ? member.json->size() : 0;
    if (impl_->stopping || impl_->spool_unusable ||
        impl_->spool_bytes_queued + bytes > impl_->options.max_spooled_bytes)
      return false;
    impl_->spool_bytes_queued += bytes;
    Impl::Item item;
    item.raw.push_back(std::move(member));
    item.spool_id = std::move(spool_id);
    item.is_spool = true;
    item.secrets = std::move(secrets);
    impl_->queue.push_back(std::move(item));
  }
  impl_->wake.notify_one();
  return true;
}

bool TraceStore::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->idle.wait_for(lock, timeout,
                              [&] { return impl_->queue.empty() && !impl_->busy; });
}

TraceStoreStats TraceStore::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

std::string trace_file_stem(std::int64_t time_ms, std::string_view id) {
  std::int64_t seconds = time_ms / 1000;
  std::int64_t millis = time_ms % 1000;
  if (millis < 0) {  // before 1970: floor, not truncate
    millis += 1000;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char stamp[80];  // roomy: the compiler cannot bound tm fields
  std::snprintf(stamp, sizeof stamp, "%04d%02d%02dT%02d%02d%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return std::string(stamp) + "-" + safe_chars(id);
}

namespace {

// Where `needle` is in `text` from `from` on, or npos. glibc's memmem, not std::string::find:
// find steps from each occurrence of the needle's first character to the next (memchr, then
// memcmp), and a key's first letter is in every other word of a conversation.
std::size_t find_in(const std::string& text, const std::string& needle, std::size_t from) {
  if (from > text.size()) return std::string::npos;
  const void* found = ::memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
  return found ? static_cast<std::size_t>(static_cast<const char*>(found) - text.data()) : std::string::npos;
}

std::size_t replace_all(std::string& text, const std::vector<std::string>& secrets) {
  std::size_t count = 0;
  for (const std::string& secret : secrets) {
    if (secret.size() < 8) continue;
    for (std::size_t at = find_in(text, secret, 0); at != std::string::npos; at = find_in(text, secret, at)) {
      text.replace(at, secret.size(), kRedacted);
      at += kRedacted.size();
      ++count;
    }
  }
  return count;
}

std::size_t redact_values_in(json::value& value, const std::vector<std::string>& secrets) {
  std::size_t count = 0;
  if (value.is_string()) {
    std::string_view original = value.get_string();
    bool holds_one = std::any_of(secrets.begin(), secrets.end(), [&](const std::string& secret) {
      return secret.size() >= 8 && original.find(secret) != std::string_view::npos;
    });
    if (!holds_one) return 0;  // (most strings: no copy)
    std::string text(original);
    count += replace_all(text, secrets);
    value = text;
  } else if (value.is_array()) {
    for (json::value& item : value.get_array()) count += redact_values_in(item, secrets);
  } else if (value.is_object()) {
    json::object& object = value.get_object();
    std::vector<std::pair<std::string, std::string>> renamed;
    for (auto& entry : object) {
      count += redact_values_in(entry.value(), secrets);
      std::string key(entry.key());
      if (std::size_t n = replace_all(key, secrets)) {
        renamed.emplace_back(std::string(entry.key()), key);
        count += n;
      }
    }
    for (auto& [from, to] : renamed) {
      json::value moved = std::move(object[from]);
      object.erase(from);
      object[to] = std::move(moved);
    }
  }
  return count;
}

}  // namespace

std::size_t redact_values(json::object& tree, const std::vector<std::string>& secrets) {
  std::size_t count = 0;
  for (auto& entry : tree) count += redact_values_in(entry.value(), secrets);
  return count;
}

std::size_t redact_values(std::string& json_text, const std::vector<std::string>& secrets) {
  return replace_all(json_text, secrets);
}

std::size_t redact_secrets(json::object& tree) { return redact_object(tree); }

std::vector<TraceFileInfo> list_traces(const fs::path& dir, std::size_t n) {
  std::vector<TraceFileInfo> files = scan_for_reading(dir);
  if (files.size() > n) files.erase(files.begin(), files.end() - static_cast<std::ptrdiff_t>(n));
  return files;
}

std::optional<TraceFileInfo> find_trace(const fs::path& dir, std::string_view id) {
  // The timestamp has no '-': what follows the first one is the whole id.
  const std::string wanted = safe_chars(id);
  std::vector<TraceFileInfo> files = scan_for_reading(dir);
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    auto dash = it->stem.find('-');
    if (dash != std::string::npos && std::string_view(it->stem).substr(dash + 1) == wanted)
      return std::move(*it);
  }
  return std::nullopt;
}

std::optional<json::object> read_trace(const fs::path& dir, std::string_view id) {
  std::optional<TraceFileInfo> file = find_trace(dir, id);
  if (!file) return std::nullopt;
  return read_trace_file(*file);
}

json::object read_trace_file(const TraceFileInfo& found) {
  const TraceFileInfo* file = &found;
  // Not through a link planted since the scan saw a file there.
  auto unreadable = [&] {
    return std::runtime_error("trace " + file->path.string() + ": cannot read it: " + errno_text());
  };
  // O_NONBLOCK: a FIFO swapped in since the scan must not hang the open (it is refused below).
  UniqueFd fd(::open(file->path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) throw unreadable();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw unreadable();
  if (!S_ISREG(st.st_mode))
    throw std::runtime_error("trace " + file->path.string() + ": not a regular file");
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw unreadable();
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  json::error_code ec;
  // A trace holds request bodies as deep as the proxy accepts (512 levels), below its own.
  json::parse_options options;
  options.max_depth = 1024;
  json::value value = json::parse(text, ec, {}, options);
  if (ec || !value.is_object())
    throw std::runtime_error("trace " + file->path.string() + ": not a JSON object" +
                             (ec ? ": " + ec.message() : std::string()));
  return std::move(value.get_object());
}

}  // namespace claudegpt
