// Per-turn trace files: one self-contained JSON document per turn, at
//   <trace dir>/<cwd tag>/<UTC timestamp>-<id>.json
// written by a background thread so the client never waits on the disk. Files are 0600 and
// directories 0700; each file appears whole (written to a hidden temp file, then renamed).
// The oldest files go when the directory's total size passes a limit.
//
// Nothing under the trace directory is followed through a symbolic link: writing, pruning and
// scanning open each level relative to the one above with O_NOFOLLOW (support/private_file.h).
// The writer holds the directories it opened between traces, and before each use checks that
// the name still names the same directory, this user's and private; otherwise it opens it
// again with every check.
// A link (or another user's directory) where the trace directory should be turns traces off
// for the run; one where a cwd directory or a trace file should be refuses those traces. Each
// refusal is reported once. A directory of ours open to other users is made 0700, and
// reported: the trace directory (an explicit CLAUDEGPT_TRACE_DIR too: it is dedicated to
// traces) and its cwd directories. The folders above it are taken as they are, never changed.
//
// The store writes what it is given; the caller leaves secrets out. As a last line of
// defence it runs redact_secrets over every trace's tree before writing it.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claudegpt {

struct TraceStoreOptions {
  // Traces waiting for the writer at most; beyond that a new trace is dropped (and counted)
  // rather than memory growing without bound behind a slow disk.
  std::size_t max_queued = 256;
  // Bytes of request bodies waiting to be spooled at most (TraceStore::spool); beyond that
  // the turns keep their bodies until they end, as without a spool.
  std::size_t max_spooled_bytes = 64u << 20;
  // How long the destructor waits for the queue to drain; what is left then is dropped.
  std::chrono::milliseconds drain_timeout{5000};
  // Told about each failed write or removal, each refusal (once) and each directory made
  // private (on the writer thread); the proxy logs it.
  std::function<void(const std::string&)> on_error;
  // Runs on the writer thread before each trace is written. A seam for tests (to hold the
  // writer while the queue fills); leave it empty.
  std::function<void()> before_write;
  // Runs on the writer thread when pruning has scanned the directory and is about to remove
  // files. A seam for tests (to swap a directory for a link meanwhile); leave it empty.
  std::function<void()> before_prune_removes;
};

// A trace member whose value is JSON text as it crossed the wire (a request body). The store
// writes it as it is, after the tree's members, instead of a parsed copy: parsing and
// re-serialising a 49 KB body cost more than all the rest of a trace. It must be valid JSON
// (the proxy parsed it, or wrote it); redact_secrets does not look inside it (request bodies
// carry no headers), so the caller masks secret values in it (redact_values on text).
struct RawJsonMember {
  std::string key;
  std::shared_ptr<const std::string> json;  // null: written as null
};

struct TraceStoreStats {
  std::uint64_t written = 0;
  std::uint64_t dropped = 0;        // queue full, or still queued when the store closed
  std::uint64_t failed = 0;         // could not be written
  std::uint64_t pruned = 0;         // files removed to stay under the size limit
  std::uint64_t total_bytes = 0;    // the trace files' total size, as this store counts it
};

class TraceStore {
 public:
  // `max_bytes`: the trace files' total size limit (CLAUDEGPT_TRACE_MAX_MB, default 500 MB);
  // 0 means no limit. Creates `dir` (0700) on the writer thread, which also scans the existing
  // files once to learn their total and then keeps count as it writes. `dir` must not be a
  // symbolic link and must be this user's (see above); its parents are taken as they are.
  //
  // Pruning: when the total passes max_bytes the store rescans the directory (other claudegpt
  // processes write there too) and removes the oldest files (by name: names start with the
  // time) across all cwd tags until the total is at most 90% of max_bytes, so rescans are
  // rare. The file just written is never removed, even if it alone is larger than the limit.
  // Empty cwd directories are left in place (another process may be about to write there).
  TraceStore(std::filesystem::path dir, std::uint64_t max_bytes, TraceStoreOptions options = {});
  // Drains the queue (waiting at most options.drain_timeout), then stops the writer.
  ~TraceStore();
  TraceStore(const TraceStore&) = delete;
  TraceStore& operator=(const TraceStore&) = delete;

  // Queues `trace` for <dir>/<cwd_tag>/<file_stem>.json and returns at once. Characters that
  // are unsafe in a file name (anything but [A-Za-z0-9._-]) become '_', and a name starting
  // with '.' gets a '_' in front, so a trace always lands in a visible file inside `dir`.
  // `spool_id`: the spool (below) whose members belong to this trace, or "". `secrets` are
  // masked in those members once more as they are taken (a token renewed mid-turn).
  void submit(std::string cwd_tag, std::string file_stem, boost::json::object trace,
              std::vector<RawJsonMember> raw = {}, std::string spool_id = {},
              std::vector<std::string> secrets = {});

  // A trace's request bodies can go to disk when its turn starts, rather than be held in
  // memory until it ends (two copies of a 49 KB conversation for every open stream). spool()
  // queues `member` for the hidden spool file `spool_id` (unique per turn), with the secret
  // values in its text masked on the writer thread (redact_values). The spool is the start of
  // the trace file: a later submit() with the same `spool_id` appends the trace's other
  // members and renames it into place, so the bodies come first in that file and are written
  // once, never read back (unless the trace names a secret they were not masked with).
  // Spooled members do not count against max_queued: the queue holds a body only until it is
  // written, where the turn would have held it to its end; they have a limit of their own
  // (max_spooled_bytes). Returns false, queueing nothing, when that is reached, when the spool
  // directory cannot be had, or when the store is closing: then hand the member to submit()
  // as a RawJsonMember. Spool files a crash left behind go an hour later, as temp files do.
  bool spool(std::string spool_id, RawJsonMember member, std::vector<std::string> secrets);

  // Waits until every trace submitted so far is written (or has failed). False on timeout.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  TraceStoreStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "<UTC time, ms precision>-<id>": trace_file_stem(1795517640123, "req_abc") ==
// "20261124T105400.123Z-req_abc" (unsafe characters in `id` become '_'). Sorting stems by
// name sorts them by time.
std::string trace_file_stem(std::int64_t time_ms, std::string_view id);

// Masks the value of every header-like key that carries a credential, at any depth (objects
// inside arrays included): authorization, proxy-authorization, x-api-key, api-key, cookie,
// set-cookie, chatgpt-account-id, access-token, refresh-token, id-token. Keys match
// case-insensitively with '_' and '-' alike. Strings that are whole header lines for those
// names ("Authorization: Bearer …") are masked too. Returns how many values were masked.
std::size_t redact_secrets(boost::json::object& tree);

// Replaces every occurrence of each of `secrets` (values shorter than 8 characters are
// ignored: too likely to be ordinary text) inside every string of `tree`, keys included: a
// key or token the conversation itself shows (a tool ran `env`) never reaches a trace file.
// Returns how many occurrences were replaced.
std::size_t redact_values(boost::json::object& tree, const std::vector<std::string>& secrets);

// The same for JSON text (a RawJsonMember's), matched as written: the secrets the proxy holds
// (keys, tokens) are letters, digits and -._~+/=, which JSON writers leave unescaped.
std::size_t redact_values(std::string& json_text, const std::vector<std::string>& secrets);

// The value that replaces a secret.
inline constexpr std::string_view kRedacted = "[redacted]";

// One trace file found on disk.
struct TraceFileInfo {
  std::filesystem::path path;
  std::string cwd_tag;
  std::string stem;  // "<UTC timestamp>-<id>"
  std::uint64_t bytes = 0;
};

// The `n` newest trace files under `dir` (all cwd tags), oldest first. Empty when `dir` does
// not exist. Links below `dir` are not followed (regular files in real directories only).
std::vector<TraceFileInfo> list_traces(const std::filesystem::path& dir, std::size_t n);

// The trace file whose name ends in "-<id>.json" (the newest if several), or nullopt.
std::optional<TraceFileInfo> find_trace(const std::filesystem::path& dir, std::string_view id);

// The parsed trace with this id, or nullopt when there is none. Throws std::runtime_error
// (with the path) when the file cannot be read or is not a JSON object.
std::optional<boost::json::object> read_trace(const std::filesystem::path& dir,
                                              std::string_view id);

// The parsed trace in `file` (as find_trace or list_traces found it), read without following
// a link planted there since. Throws std::runtime_error as read_trace does.
boost::json::object read_trace_file(const TraceFileInfo& file);

}  // namespace claudegpt
