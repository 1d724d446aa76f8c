#include "ledger/trace_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>

#include "core/fnv1a.h"
#include "ledger/state_paths.h"

namespace claudegpt {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kSuffix = ".json";
// A hidden temp file this old was left by a writer that died mid-write.
constexpr auto kStaleTempAge = std::chrono::hours(1);

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

// Reads the trace files under `dir`: <dir>/<tag>/<stem>.json, regular files only (nothing is
// followed through symlinks), sorted oldest first. With `remove_stale_temps`, deletes the
// hidden temp files a crashed writer left behind.
std::vector<TraceFileInfo> scan_trace_files(const fs::path& dir, bool remove_stale_temps) {
  std::vector<TraceFileInfo> files;
  std::error_code ec;
  const auto stale_before = fs::file_time_type::clock::now() - kStaleTempAge;
  for (fs::directory_iterator tags(dir, ec), end; !ec && tags != end; tags.increment(ec)) {
    std::error_code status_ec;
    if (!fs::is_directory(tags->symlink_status(status_ec))) continue;
    std::string tag = tags->path().filename().string();
    std::error_code inner_ec;
    for (fs::directory_iterator entries(tags->path(), inner_ec);
         !inner_ec && entries != end; entries.increment(inner_ec)) {
      std::error_code file_ec;
      if (!fs::is_regular_file(entries->symlink_status(file_ec))) continue;
      std::string name = entries->path().filename().string();
      if (name.starts_with('.')) {
        if (remove_stale_temps && name.find(".tmp-") != std::string::npos &&
            entries->last_write_time(file_ec) < stale_before && !file_ec)
          fs::remove(entries->path(), file_ec);
        continue;
      }
      if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
      std::uintmax_t size = entries->file_size(file_ec);
      if (file_ec) continue;  // removed meanwhile
      files.push_back({entries->path(), tag, name.substr(0, name.size() - kSuffix.size()),
                       static_cast<std::uint64_t>(size)});
    }
  }
  std::sort(files.begin(), files.end(), [](const TraceFileInfo& a, const TraceFileInfo& b) {
    return std::tie(a.stem, a.cwd_tag) < std::tie(b.stem, b.cwd_tag);
  });
  return files;
}

std::string errno_text() { return std::strerror(errno); }

// Writes `text` to `file` as a whole: a hidden temp file beside it (0600), then a rename.
void write_atomically(const fs::path& file, std::string_view text, std::uint64_t serial) {
  fs::path temp = file.parent_path() / ("." + file.filename().string() + ".tmp-" +
                                        std::to_string(::getpid()) + "-" +
                                        std::to_string(serial));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + temp.string() + ": " + errno_text());
  std::string failure;
  for (std::size_t done = 0; done < text.size() && failure.empty();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      failure = "cannot write " + temp.string() + ": " + errno_text();
    else
      done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && failure.empty())
    failure = "cannot write " + temp.string() + ": " + errno_text();
  if (failure.empty() && ::rename(temp.c_str(), file.c_str()) != 0)
    failure = "cannot rename " + temp.string() + " to " + file.string() + ": " + errno_text();
  if (!failure.empty()) {
    ::unlink(temp.c_str());
    throw std::runtime_error(failure);
  }
}

}  // namespace

struct TraceStore::Impl {
  struct Item {
    std::string cwd_tag;
    std::string file_stem;
    json::object trace;
    std::vector<RawJsonMember> raw;
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
  bool busy = true;  // the writer is scanning or writing (true until the first scan is done)
  bool stopping = false;
  bool drop_rest = false;
  TraceStoreStats stats;

  // The writer thread's own.
  std::map<Key, std::uint64_t> files;
  std::uint64_t total = 0;
  std::uint64_t serial = 0;

  std::thread writer;

  void report(const std::string& message) {
    if (options.on_error) options.on_error(message);
  }

  void rescan() {
    files.clear();
    total = 0;
    for (TraceFileInfo& file : scan_trace_files(dir, true)) {
      total += file.bytes;
      files[{std::move(file.stem), std::move(file.cwd_tag)}] = file.bytes;
    }
  }

  // Removes the oldest files (never `keep`) until the total is at most 90% of the limit.
  std::uint64_t prune(const Key* keep) {
    if (max_bytes == 0 || total <= max_bytes) return 0;
    rescan();  // other processes write (and prune) here too
    if (total <= max_bytes) return 0;
    const std::uint64_t target = max_bytes - max_bytes / 10;
    std::uint64_t removed = 0;
    for (auto it = files.begin(); total > target && it != files.end();) {
      if (keep && it->first == *keep) {
        ++it;
        continue;
      }
      fs::path path = dir / it->first.second / (it->first.first + std::string(kSuffix));
      std::error_code ec;
      fs::remove(path, ec);
      if (ec)
        report("trace " + path.string() + ": cannot remove it: " + ec.message());
      else
        ++removed;
      total -= it->second;  // gone, or not ours to count any more
      it = files.erase(it);
    }
    return removed;
  }

  void start() {
    std::uint64_t removed = 0;
    try {
      create_private_directories(dir);
      rescan();
      removed = prune(nullptr);
    } catch (const std::exception& e) {
      report(std::string("trace directory: ") + e.what());
    }
    std::lock_guard lock(mutex);
    stats.pruned += removed;
    stats.total_bytes = total;
    busy = false;
    if (queue.empty()) idle.notify_all();
  }

  // Returns false when the trace could not be written.
  bool write(Item& item, std::uint64_t& removed) {
    std::string tag = safe_name(item.cwd_tag);
    std::string stem = safe_name(item.file_stem);
    fs::path file = dir / tag / (stem + std::string(kSuffix));
    try {
      redact_secrets(item.trace);
      std::string text = json::serialize(item.trace);
      text.pop_back();  // the closing brace: the raw members go before it
      for (const RawJsonMember& member : item.raw) {
        if (text.size() > 1) text += ',';
        text += json::serialize(json::string(member.key));
        text += ':';
        text += member.json ? std::string_view(*member.json) : std::string_view("null");
      }
      text += "}\n";
      create_private_directories(dir / tag);
      write_atomically(file, text, ++serial);
      Key key{std::move(stem), std::move(tag)};
      auto [it, inserted] = files.try_emplace(key, 0);
      total -= it->second;
      it->second = text.size();
      total += text.size();
      removed += prune(&key);
      return true;
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
        stats.dropped += queue.size();
        queue.clear();
        break;
      }
      Item item = std::move(queue.front());
      queue.pop_front();
      busy = true;
      lock.unlock();
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
                        std::vector<RawJsonMember> raw) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping || impl_->queue.size() >= impl_->options.max_queued) {
      ++impl_->stats.dropped;
      return;
    }
    impl_->queue.push_back({std::move(cwd_tag), std::move(file_stem), std::move(trace), std::move(raw)});
  }
  impl_->wake.notify_one();
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

std::string cwd_tag(std::string_view cwd) {
  while (cwd.size() > 1 && cwd.back() == '/') cwd.remove_suffix(1);
  const std::uint32_t hash = fnv1a32(cwd);

  // The slugs of the last three components, last first.
  std::vector<std::string> parts;
  std::string_view rest = cwd;
  while (!rest.empty() && parts.size() < 3) {
    auto slash = rest.rfind('/');
    std::string_view component = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(0, slash);
    std::string slug;
    for (char c : component) {
      char lower = ascii_lower(c);
      bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
      if (keep)
        slug += lower;
      else if (!slug.empty() && slug.back() != '-')
        slug += '-';
    }
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    if (!slug.empty()) parts.push_back(std::move(slug));
  }

  constexpr std::size_t kMaxSlug = 31;  // + "-" + 8 hex digits = 40
  auto joined = [&] {
    std::string slug;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (!slug.empty()) slug += '-';
      slug += *it;
    }
    return slug;
  };
  std::string slug = joined();
  while (slug.size() > kMaxSlug && parts.size() > 1) {
    parts.pop_back();  // the leading component
    slug = joined();
  }
  if (slug.size() > kMaxSlug) slug.resize(kMaxSlug);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) slug = "dir";

  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(hash));
  return slug + "-" + hex;
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

std::size_t replace_all(std::string& text, const std::vector<std::string>& secrets) {
  std::size_t count = 0;
  for (const std::string& secret : secrets) {
    if (secret.size() < 8) continue;
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
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
  std::vector<TraceFileInfo> files = scan_trace_files(dir, false);
  if (files.size() > n) files.erase(files.begin(), files.end() - static_cast<std::ptrdiff_t>(n));
  return files;
}

std::optional<TraceFileInfo> find_trace(const fs::path& dir, std::string_view id) {
  // The timestamp has no '-': what follows the first one is the whole id.
  const std::string wanted = safe_chars(id);
  std::vector<TraceFileInfo> files = scan_trace_files(dir, false);
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
  std::ifstream in(file->path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error("trace " + file->path.string() + ": cannot read it");
  json::error_code ec;
  json::value value = json::parse(text.str(), ec);
  if (ec || !value.is_object())
    throw std::runtime_error("trace " + file->path.string() + ": not a JSON object" +
                             (ec ? ": " + ec.message() : std::string()));
  return std::move(value.get_object());
}

}  // namespace claudegpt
