#include "ledger/usage_ledger.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "support/private_file.h"
#include "support/state_dir.h"

namespace claudegpt {

namespace {

using Clock = std::chrono::steady_clock;

// SQLite waits this long on a locked database before it reports SQLITE_BUSY...
constexpr int kBusyTimeoutMs = 5000;
// ...and then the whole transaction is retried, with backoff, until this much time has passed.
// Appends run on a background thread, so waiting is cheaper than losing a row.
constexpr auto kRetryFor = std::chrono::seconds(60);

// Step i brings the schema from version i to i + 1. Later steps may only add columns with
// defaults (ALTER TABLE turns ADD COLUMN …) or indexes, so older binaries keep working.
constexpr const char* kMigrations[] = {
    R"sql(
      CREATE TABLE IF NOT EXISTS turns (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        session_id TEXT NOT NULL DEFAULT '',
        cwd_tag TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL DEFAULT '',
        tier TEXT NOT NULL DEFAULT '',
        client_model TEXT NOT NULL DEFAULT '',
        upstream_model TEXT NOT NULL DEFAULT '',
        effort TEXT NOT NULL DEFAULT '',
        effort_reason TEXT NOT NULL DEFAULT '',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        cached_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        reasoning_tokens INTEGER NOT NULL DEFAULT 0,
        web_searches INTEGER NOT NULL DEFAULT 0,
        web_fetches INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL,
        upstream_first_byte_ms INTEGER NOT NULL DEFAULT -1,
        client_first_byte_ms INTEGER NOT NULL DEFAULT -1,
        done_ms INTEGER NOT NULL DEFAULT -1,
        stop_reason TEXT NOT NULL DEFAULT '',
        error_type TEXT NOT NULL DEFAULT '',
        chain_rounds INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS turns_by_time ON turns(time_ms);
      CREATE INDEX IF NOT EXISTS turns_by_session ON turns(session_id, time_ms);
      CREATE INDEX IF NOT EXISTS turns_by_id ON turns(id);
    )sql",
    // 2: what a session is about (TurnRecord::cwd, first_prompt), for `usage --by session`.
    R"sql(
      ALTER TABLE turns ADD COLUMN cwd TEXT NOT NULL DEFAULT '';
      ALTER TABLE turns ADD COLUMN first_prompt TEXT NOT NULL DEFAULT '';
    )sql",
    // 3: cache writes (TurnRecord::cache_write_tokens), and the Codex plan's usage windows
    // (TurnRecord::rate_limits; NULL used percent: no such window), with an index that finds
    // the newest row having them at once (the status line asks at every refresh).
    R"sql(
      ALTER TABLE turns ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE turns ADD COLUMN codex_primary_used_percent REAL;
      ALTER TABLE turns ADD COLUMN codex_primary_window_minutes INTEGER;
      ALTER TABLE turns ADD COLUMN codex_primary_resets_at INTEGER;
      ALTER TABLE turns ADD COLUMN codex_secondary_used_percent REAL;
      ALTER TABLE turns ADD COLUMN codex_secondary_window_minutes INTEGER;
      ALTER TABLE turns ADD COLUMN codex_secondary_resets_at INTEGER;
      CREATE INDEX IF NOT EXISTS turns_with_codex_limits ON turns(time_ms)
        WHERE codex_primary_used_percent IS NOT NULL OR codex_secondary_used_percent IS NOT NULL;
    )sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

// The columns of a TurnRecord, in the order bind_turn and read_turn use.
constexpr const char* kColumns =
    "id, time_ms, session_id, cwd_tag, provider, tier, client_model, upstream_model, effort, "
    "effort_reason, input_tokens, cached_tokens, output_tokens, reasoning_tokens, web_searches, "
    "web_fetches, cost_usd, upstream_first_byte_ms, client_first_byte_ms, done_ms, stop_reason, "
    "error_type, chain_rounds, cwd, first_prompt, cache_write_tokens, "
    "codex_primary_used_percent, codex_primary_window_minutes, codex_primary_resets_at, "
    "codex_secondary_used_percent, codex_secondary_window_minutes, codex_secondary_resets_at";
constexpr int kColumnCount = 32;

// A transient failure: another connection holds the lock. Retried, never surfaced as such.
class Busy : public LedgerError {
 public:
  using LedgerError::LedgerError;
};

bool is_busy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt); }
};

void bind_text(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void bind_optional(sqlite3_stmt* stmt, int index, const std::optional<std::int64_t>& n) {
  if (n)
    sqlite3_bind_int64(stmt, index, *n);
  else
    sqlite3_bind_null(stmt, index);
}

// A usage window as three columns: used percent (NULL: no window), length, reset time.
void bind_window(sqlite3_stmt* stmt, int& i, const std::optional<UsageWindow>& w) {
  if (w)
    sqlite3_bind_double(stmt, ++i, w->used_percent);
  else
    sqlite3_bind_null(stmt, ++i);
  bind_optional(stmt, ++i, w ? w->window_minutes : std::nullopt);
  bind_optional(stmt, ++i, w ? w->resets_at : std::nullopt);
}

void bind_turn(sqlite3_stmt* stmt, const TurnRecord& t) {
  int i = 0;
  bind_text(stmt, ++i, t.id);
  sqlite3_bind_int64(stmt, ++i, t.time_ms);
  bind_text(stmt, ++i, t.session_id);
  bind_text(stmt, ++i, t.cwd_tag);
  bind_text(stmt, ++i, t.provider);
  bind_text(stmt, ++i, t.tier);
  bind_text(stmt, ++i, t.client_model);
  bind_text(stmt, ++i, t.upstream_model);
  bind_text(stmt, ++i, t.effort);
  bind_text(stmt, ++i, t.effort_reason);
  sqlite3_bind_int64(stmt, ++i, t.input_tokens);
  sqlite3_bind_int64(stmt, ++i, t.cached_tokens);
  sqlite3_bind_int64(stmt, ++i, t.output_tokens);
  sqlite3_bind_int64(stmt, ++i, t.reasoning_tokens);
  sqlite3_bind_int64(stmt, ++i, t.web_searches);
  sqlite3_bind_int64(stmt, ++i, t.web_fetches);
  if (t.cost_usd)
    sqlite3_bind_double(stmt, ++i, *t.cost_usd);
  else
    sqlite3_bind_null(stmt, ++i);
  sqlite3_bind_int64(stmt, ++i, t.upstream_first_byte_ms);
  sqlite3_bind_int64(stmt, ++i, t.client_first_byte_ms);
  sqlite3_bind_int64(stmt, ++i, t.done_ms);
  bind_text(stmt, ++i, t.stop_reason);
  bind_text(stmt, ++i, t.error_type);
  sqlite3_bind_int64(stmt, ++i, t.chain_rounds);
  bind_text(stmt, ++i, t.cwd);
  bind_text(stmt, ++i, t.first_prompt);
  sqlite3_bind_int64(stmt, ++i, t.cache_write_tokens);
  bind_window(stmt, i, t.rate_limits.primary);
  bind_window(stmt, i, t.rate_limits.secondary);
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

std::optional<std::int64_t> column_optional(sqlite3_stmt* stmt, int column) {
  if (sqlite3_column_type(stmt, column) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt, column);
}

std::optional<UsageWindow> read_window(sqlite3_stmt* stmt, int& i) {
  std::optional<UsageWindow> w;
  if (sqlite3_column_type(stmt, i) != SQLITE_NULL)
    w = UsageWindow{sqlite3_column_double(stmt, i), column_optional(stmt, i + 1),
                    column_optional(stmt, i + 2)};
  i += 3;
  return w;
}

TurnRecord read_turn(sqlite3_stmt* stmt) {
  TurnRecord t;
  int i = 0;
  t.id = column_text(stmt, i++);
  t.time_ms = sqlite3_column_int64(stmt, i++);
  t.session_id = column_text(stmt, i++);
  t.cwd_tag = column_text(stmt, i++);
  t.provider = column_text(stmt, i++);
  t.tier = column_text(stmt, i++);
  t.client_model = column_text(stmt, i++);
  t.upstream_model = column_text(stmt, i++);
  t.effort = column_text(stmt, i++);
  t.effort_reason = column_text(stmt, i++);
  t.input_tokens = sqlite3_column_int64(stmt, i++);
  t.cached_tokens = sqlite3_column_int64(stmt, i++);
  t.output_tokens = sqlite3_column_int64(stmt, i++);
  t.reasoning_tokens = sqlite3_column_int64(stmt, i++);
  t.web_searches = sqlite3_column_int(stmt, i++);
  t.web_fetches = sqlite3_column_int(stmt, i++);
  if (sqlite3_column_type(stmt, i) != SQLITE_NULL) t.cost_usd = sqlite3_column_double(stmt, i);
  ++i;
  t.upstream_first_byte_ms = sqlite3_column_int64(stmt, i++);
  t.client_first_byte_ms = sqlite3_column_int64(stmt, i++);
  t.done_ms = sqlite3_column_int64(stmt, i++);
  t.stop_reason = column_text(stmt, i++);
  t.error_type = column_text(stmt, i++);
  t.chain_rounds = sqlite3_column_int(stmt, i++);
  t.cwd = column_text(stmt, i++);
  t.first_prompt = column_text(stmt, i++);
  t.cache_write_tokens = sqlite3_column_int64(stmt, i++);
  t.rate_limits.primary = read_window(stmt, i);
  t.rate_limits.secondary = read_window(stmt, i);
  return t;
}

}  // namespace

struct UsageLedger::Impl {
  std::string label;  // "usage ledger <path>", the start of every error message
  sqlite3* db = nullptr;
  Statement insert;
  std::mutex mutex;
  std::minstd_rand jitter{static_cast<std::minstd_rand::result_type>(
      ::getpid() ^ Clock::now().time_since_epoch().count())};

  ~Impl() {
    sqlite3_finalize(insert.stmt);
    insert.stmt = nullptr;
    // Closing the last connection checkpoints the WAL into the database and removes it.
    sqlite3_close_v2(db);
  }

  [[noreturn]] void fail(int rc, std::string_view what) const {
    std::string message = label + ": " + std::string(what) + ": " +
                          (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    if (is_busy(rc)) throw Busy(message);
    throw LedgerError(message);
  }

  void check(int rc, std::string_view what) const {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) fail(rc, what);
  }

  void exec(const char* sql, std::string_view what) const {
    check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), what);
  }

  void prepare(Statement& statement, const std::string& sql) const {
    check(sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &statement.stmt,
                             nullptr),
          "preparing a statement");
  }

  // Runs `op` (a whole transaction or a whole query) again while the database is busy: each
  // attempt has already waited kBusyTimeoutMs inside SQLite; between attempts sleep with
  // jittered exponential backoff so competing processes spread out.
  template <typename Op>
  auto retrying(Op&& op) {
    const auto deadline = Clock::now() + kRetryFor;
    auto backoff = std::chrono::milliseconds(2);
    for (;;) {
      try {
        return op();
      } catch (const Busy& busy) {
        if (db && !sqlite3_get_autocommit(db))
          sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        if (Clock::now() >= deadline)
          throw LedgerError(std::string(busy.what()) + " (still busy after retrying for " +
                            std::to_string(kRetryFor.count()) + " s)");
        std::uniform_int_distribution<long> spread(0, backoff.count());
        std::this_thread::sleep_for(backoff + std::chrono::milliseconds(spread(jitter)));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
      }
    }
  }

  void open(const std::filesystem::path& file, const StateWarning& warn) {
    try {
      std::filesystem::path dir = file.parent_path();
      if (dir.empty()) dir = ".";
      std::string name = file.filename().string();
      // Once no other user can write in the directory, nobody else can swap what is in it
      // between these checks and SQLite's opening by name. The state dir is ours, made 0700; a
      // folder CLAUDEGPT_LEDGER_PATH points into is the user's, checked and left as it is.
      UniqueFd dir_fd;
      if (in_state_dir(dir)) {
        dir_fd = open_private_directory(dir, warn);
      } else {
        try {
          dir_fd = open_user_directory(dir, warn);
        } catch (const UnsafeStatePath& e) {
          throw UnsafeStatePath(std::string(e.what()) +
                                "; set CLAUDEGPT_LEDGER_PATH to a file in a directory only you "
                                "can write to, or unset it for the default");
        }
      }
      // SQLite creates the -wal and -shm files with the database file's mode, so making the
      // file 0600 before SQLite opens it keeps all three private whatever the umask.
      open_private_file(dir_fd.get(), name, file, true, warn);
      // SQLite opens these by name, following links: one planted while the directory was open
      // to others is refused here.
      for (const char* suffix : {"-wal", "-shm", "-journal"})
        open_private_file(dir_fd.get(), name + suffix, std::filesystem::path(file).concat(suffix),
                          false, warn);
    } catch (const std::exception& e) {
      throw LedgerError(label + ": " + e.what());
    }
    int rc = sqlite3_open_v2(file.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) fail(rc, "cannot open the database");
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    // Switching to WAL needs a moment of exclusive access, which a concurrent opener can hold.
    retrying([&] {
      Statement wal;
      prepare(wal, "PRAGMA journal_mode=WAL");
      check(sqlite3_step(wal.stmt), "switching to WAL mode");
    });
    // In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last turns.
    exec("PRAGMA synchronous=NORMAL", "setting synchronous mode");
    retrying([&] { migrate(); });
    std::string insert_sql = std::string("INSERT INTO turns (") + kColumns + ") VALUES (?";
    for (int i = 1; i < kColumnCount; ++i) insert_sql += ", ?";
    insert_sql += ")";
    // Preparing reads the schema, which also takes a (shared) lock.
    retrying([&] { prepare(insert, insert_sql); });
  }

  void migrate() {
    exec("BEGIN IMMEDIATE", "starting the schema transaction");
    Statement get_version;
    prepare(get_version, "PRAGMA user_version");
    check(sqlite3_step(get_version.stmt), "reading the schema version");
    int version = sqlite3_column_int(get_version.stmt, 0);
    // A newer claudegpt's ledger: its extra columns have defaults, appending still works.
    for (; version < kSchemaVersion; ++version) {
      exec(kMigrations[version], "upgrading the schema");
      exec(("PRAGMA user_version=" + std::to_string(version + 1)).c_str(),
           "recording the schema version");
    }
    exec("COMMIT", "committing the schema");
  }

  template <typename Bind>
  std::vector<TurnRecord> query(const std::string& sql, Bind&& bind) {
    return retrying([&] {
      Statement select;
      prepare(select, sql);
      bind(select.stmt);
      std::vector<TurnRecord> turns;
      for (;;) {
        int rc = sqlite3_step(select.stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) fail(rc, "reading turns");
        turns.push_back(read_turn(select.stmt));
      }
      return turns;
    });
  }
};

UsageLedger::UsageLedger(const std::filesystem::path& file,
                         std::function<void(const std::string&)> warn)
    : path_(file), impl_(std::make_unique<Impl>()) {
  impl_->label = "usage ledger " + file.string();
  impl_->open(file, warn);
}

UsageLedger::~UsageLedger() = default;

void UsageLedger::append(const TurnRecord& turn) {
  std::lock_guard lock(impl_->mutex);
  Impl& d = *impl_;
  d.retrying([&] {
    d.exec("BEGIN IMMEDIATE", "starting a transaction");
    sqlite3_reset(d.insert.stmt);
    sqlite3_clear_bindings(d.insert.stmt);
    bind_turn(d.insert.stmt, turn);
    int rc = sqlite3_step(d.insert.stmt);
    sqlite3_reset(d.insert.stmt);
    if (rc != SQLITE_DONE) d.fail(rc, "adding turn " + turn.id);
    // A COMMIT that reports busy leaves the transaction open: retrying rolls it back first.
    d.exec("COMMIT", "committing turn " + turn.id);
  });
}

std::vector<TurnRecord> UsageLedger::turns_since(std::int64_t time_ms) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->query(std::string("SELECT ") + kColumns +
                          " FROM turns WHERE time_ms >= ? ORDER BY time_ms, seq",
                      [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, time_ms); });
}

std::vector<TurnRecord> UsageLedger::last_turns(std::size_t n) const {
  std::lock_guard lock(impl_->mutex);
  auto limit = static_cast<std::int64_t>(std::min<std::size_t>(n, INT64_MAX));
  return impl_->query(std::string("SELECT ") + kColumns + " FROM (SELECT * FROM turns ORDER BY " +
                          "time_ms DESC, seq DESC LIMIT ?) ORDER BY time_ms, seq",
                      [&](sqlite3_stmt* s) { sqlite3_bind_int64(s, 1, limit); });
}

std::optional<TurnRecord> UsageLedger::find(std::string_view id) const {
  std::lock_guard lock(impl_->mutex);
  auto turns = impl_->query(
      std::string("SELECT ") + kColumns + " FROM turns WHERE id = ? ORDER BY seq DESC LIMIT 1",
      [&](sqlite3_stmt* s) {
        sqlite3_bind_text(s, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
      });
  if (turns.empty()) return std::nullopt;
  return std::move(turns.front());
}

std::vector<TurnRecord> UsageLedger::latest_turn_per_model(std::string_view session_id) const {
  std::lock_guard lock(impl_->mutex);
  // One pass over the session's rows: with a single MAX() aggregate, SQLite takes the other
  // (bare) columns from the row that holds the maximum. The status line runs this at every
  // refresh, so no per-row subquery.
  return impl_->query(
      std::string("SELECT ") + kColumns + ", MAX(time_ms) FROM turns WHERE session_id = ? " +
          "GROUP BY client_model ORDER BY time_ms DESC",
      [&](sqlite3_stmt* s) {
        sqlite3_bind_text(s, 1, session_id.data(), static_cast<int>(session_id.size()),
                          SQLITE_TRANSIENT);
      });
}

std::optional<TurnRecord> UsageLedger::latest_rate_limits() const {
  std::lock_guard lock(impl_->mutex);
  // The same condition as the partial index turns_with_codex_limits, so SQLite uses it.
  auto turns = impl_->query(
      std::string("SELECT ") + kColumns + " FROM turns WHERE codex_primary_used_percent IS NOT "
          "NULL OR codex_secondary_used_percent IS NOT NULL ORDER BY time_ms DESC, seq DESC "
          "LIMIT 1",
      [](sqlite3_stmt*) {});
  if (turns.empty()) return std::nullopt;
  return std::move(turns.front());
}

std::map<std::string, SessionOpening> UsageLedger::session_openings(
    const std::vector<std::string>& session_ids) const {
  std::lock_guard lock(impl_->mutex);
  Impl& d = *impl_;
  return d.retrying([&] {
    // Two lookups per session on the (session_id, time_ms) index: a report has a few hundred
    // sessions at most, and a single grouped query would scan the whole table instead.
    Statement first, described;
    d.prepare(first,
              "SELECT time_ms, cwd_tag FROM turns WHERE session_id = ? "
              "ORDER BY time_ms, seq LIMIT 1");
    d.prepare(described,
              "SELECT cwd, first_prompt FROM turns WHERE session_id = ? AND first_prompt != '' "
              "ORDER BY time_ms, seq LIMIT 1");
    std::map<std::string, SessionOpening> openings;
    for (const std::string& id : session_ids) {
      if (openings.contains(id)) continue;
      sqlite3_reset(first.stmt);
      bind_text(first.stmt, 1, id);
      int rc = sqlite3_step(first.stmt);
      if (rc == SQLITE_DONE) continue;
      if (rc != SQLITE_ROW) d.fail(rc, "reading a session's first turn");
      SessionOpening& opening = openings[id];
      opening.started_ms = sqlite3_column_int64(first.stmt, 0);
      opening.cwd_tag = column_text(first.stmt, 1);
      sqlite3_reset(described.stmt);
      bind_text(described.stmt, 1, id);
      rc = sqlite3_step(described.stmt);
      if (rc == SQLITE_ROW) {
        opening.cwd = column_text(described.stmt, 0);
        opening.first_prompt = column_text(described.stmt, 1);
      } else if (rc != SQLITE_DONE) {
        d.fail(rc, "reading a session's first prompt");
      }
    }
    return openings;
  });
}

SessionCost UsageLedger::session_cost(std::string_view session_id) const {
  std::lock_guard lock(impl_->mutex);
  Impl& d = *impl_;
  return d.retrying([&] {
    Statement sum;
    d.prepare(sum,
              "SELECT TOTAL(cost_usd), COUNT(*) - COUNT(cost_usd), COUNT(*) FROM turns "
              "WHERE session_id = ?");
    sqlite3_bind_text(sum.stmt, 1, session_id.data(), static_cast<int>(session_id.size()),
                      SQLITE_TRANSIENT);
    int rc = sqlite3_step(sum.stmt);
    if (rc != SQLITE_ROW) d.fail(rc, "summing the session's cost");
    SessionCost cost;
    cost.known_usd = sqlite3_column_double(sum.stmt, 0);
    cost.any_unknown = sqlite3_column_int64(sum.stmt, 1) > 0;
    cost.turns = sqlite3_column_int64(sum.stmt, 2);
    return cost;
  });
}

}  // namespace claudegpt
