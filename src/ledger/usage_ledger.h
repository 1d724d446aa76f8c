// The usage ledger: one row per turn (a TurnRecord) in an SQLite database, by default
// <state dir>/usage.sqlite3 (see support/state_dir.h). Several claudegpt processes append to
// the same file at once: the database runs in WAL mode, every write is one short IMMEDIATE
// transaction, and a write that finds the database busy waits (busy_timeout) and then retries
// with backoff for up to a minute, so no row is lost and no "database is locked" reaches the
// caller.
//
// Schema: table `turns`, one column per TurnRecord field plus `seq` (the row id, insertion
// order), indexed on time, session and id. `cost_usd` is NULL when the model's price is
// unknown, never 0. The schema's version is PRAGMA user_version (now 3: version 2 added `cwd`
// and `first_prompt`; 3 `cache_write_tokens` and the Codex usage windows, three columns each:
// `codex_{primary,secondary}_{used_percent,window_minutes,resets_at}`, NULL when not
// reported). A later version only adds columns with defaults, so an older claudegpt keeps
// appending to a newer ledger, and a newer one reads an older ledger's rows (the added
// columns hold their defaults there) after upgrading it on opening.
//
// Every method throws LedgerError (the path and SQLite's message); the proxy logs it and goes
// on: a failing ledger never fails a turn. An object is thread-safe (one connection behind a
// mutex); each process opens its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/turn_record.h"

namespace claudegpt {

class LedgerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a Claude Code session has cost so far (for the status line).
struct SessionCost {
  double known_usd = 0;       // the sum over the turns whose cost is known
  bool any_unknown = false;   // some turn's model had no price: the real total is higher
  std::int64_t turns = 0;
};

class UsageLedger {
 public:
  // Opens the database at `file`, creating it (0600) and its missing directories (0700), and
  // brings its schema up to date. Inside the state dir (support/state_dir.h's in_state_dir) its
  // directory is claudegpt's own, opened by open_private_directory: it must be this user's and
  // not a symbolic link, and is made 0700 when open to others (`warn` is told). Elsewhere (an
  // explicit CLAUDEGPT_LEDGER_PATH, a relative one meaning the working directory) it is the
  // user's folder, opened by open_user_directory: never chmodded, only warned about when
  // others can look in, and refused when another user owns it or can write in it (a sticky
  // /tmp too: SQLite opens the -wal and -shm files by name, which another user there could
  // plant first). Either way the database, and its -wal, -shm or -journal file if there, must
  // not be a link or another user's; a database open to others is made 0600 (`warn` is told).
  // A refusal is a LedgerError saying what to do.
  explicit UsageLedger(const std::filesystem::path& file,
                       std::function<void(const std::string&)> warn = {});
  ~UsageLedger();
  UsageLedger(const UsageLedger&) = delete;
  UsageLedger& operator=(const UsageLedger&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Adds one row. Rows are never merged: appending the same id twice stores two rows.
  void append(const TurnRecord& turn);

  // The turns that arrived at or after `time_ms` (Unix epoch ms), oldest first.
  std::vector<TurnRecord> turns_since(std::int64_t time_ms) const;

  // The `n` most recent turns, oldest first (as a listing reads).
  std::vector<TurnRecord> last_turns(std::size_t n) const;

  SessionCost session_cost(std::string_view session_id) const;

  // The session's latest turn on each client model it used (one row per model Claude Code
  // asked for, the side calls' models included), newest first; empty for a session without
  // turns. What the status line needs to name the model that answers the session.
  std::vector<TurnRecord> latest_turn_per_model(std::string_view session_id) const;

  // For each of `session_ids` that has turns, over the whole ledger (not only a report's
  // window): its first turn's time and cwd tag, and the working directory and first prompt of
  // its earliest row that recorded them. Sessions without turns are left out.
  std::map<std::string, SessionOpening> session_openings(
      const std::vector<std::string>& session_ids) const;

  // The newest row, of any session, with Codex usage windows (TurnRecord::rate_limits); nullopt
  // when none has them. They are the account's: the status line shows them in every session.
  std::optional<TurnRecord> latest_rate_limits() const;

  // The turn with this request id (the latest row if there are several), or nullopt.
  std::optional<TurnRecord> find(std::string_view id) const;

 private:
  struct Impl;
  std::filesystem::path path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace claudegpt
