#include "ledger/usage_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "temp_dir.h"
#include <sqlite3.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/state_dir.h"

namespace claudegpt {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Each test's own directory.
struct TempDir : test::TempDir {
  TempDir() : test::TempDir("usage_ledger_test") {}
};
using test::mode_of;

TurnRecord full_turn() {
  TurnRecord t;
  t.id = "req_0123456789abcdefghijklmn";
  t.time_ms = 1795517640123;
  t.session_id = "5b0c2d7e-session";
  t.cwd_tag = "alice-src-claudegpt-1b9e4c02";
  t.provider = "azure";
  t.tier = "opus";
  t.client_model = "claude-opus-5-5";
  t.upstream_model = "gpt-5.5-deployment";
  t.effort = "high";
  t.effort_reason = "opus tier default";
  t.input_tokens = 123456;
  t.cached_tokens = 120000;
  t.output_tokens = 4321;
  t.reasoning_tokens = 1234;
  t.web_searches = 3;
  t.web_fetches = 2;
  t.cost_usd = 0.123456789;
  t.upstream_first_byte_ms = 850;
  t.client_first_byte_ms = 870;
  t.done_ms = 14250;
  t.stop_reason = "tool_use";
  t.error_type = "overloaded_error";
  t.chain_rounds = 2;
  t.cwd = "/home/alice/src/claudegpt";
  t.first_prompt = "fix the failing ledger test, then run the whole suite";
  t.cache_write_tokens = 2345;
  t.rate_limits.primary = UsageWindow{42.5, 300, 1795520000};
  t.rate_limits.secondary = UsageWindow{13, 10080, std::nullopt};
  return t;
}

TurnRecord turn(std::string id, std::int64_t time_ms, std::string session = "s",
                std::optional<double> cost = 0.01) {
  TurnRecord t;
  t.id = std::move(id);
  t.time_ms = time_ms;
  t.session_id = std::move(session);
  t.cost_usd = cost;
  return t;
}

std::vector<std::string> ids(const std::vector<TurnRecord>& turns) {
  std::vector<std::string> out;
  for (const TurnRecord& t : turns) out.push_back(t.id);
  return out;
}

void expect_same(const TurnRecord& got, const TurnRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.time_ms, want.time_ms);
  EXPECT_EQ(got.session_id, want.session_id);
  EXPECT_EQ(got.cwd_tag, want.cwd_tag);
  EXPECT_EQ(got.provider, want.provider);
  EXPECT_EQ(got.tier, want.tier);
  EXPECT_EQ(got.client_model, want.client_model);
  EXPECT_EQ(got.upstream_model, want.upstream_model);
  EXPECT_EQ(got.effort, want.effort);
  EXPECT_EQ(got.effort_reason, want.effort_reason);
  EXPECT_EQ(got.input_tokens, want.input_tokens);
  EXPECT_EQ(got.cached_tokens, want.cached_tokens);
  EXPECT_EQ(got.output_tokens, want.output_tokens);
  EXPECT_EQ(got.reasoning_tokens, want.reasoning_tokens);
  EXPECT_EQ(got.web_searches, want.web_searches);
  EXPECT_EQ(got.web_fetches, want.web_fetches);
  EXPECT_EQ(got.cost_usd, want.cost_usd);
  EXPECT_EQ(got.upstream_first_byte_ms, want.upstream_first_byte_ms);
  EXPECT_EQ(got.client_first_byte_ms, want.client_first_byte_ms);
  EXPECT_EQ(got.done_ms, want.done_ms);
  EXPECT_EQ(got.stop_reason, want.stop_reason);
  EXPECT_EQ(got.error_type, want.error_type);
  EXPECT_EQ(got.chain_rounds, want.chain_rounds);
  EXPECT_EQ(got.cwd, want.cwd);
  EXPECT_EQ(got.first_prompt, want.first_prompt);
  EXPECT_EQ(got.cache_write_tokens, want.cache_write_tokens);
  for (auto window : {&CodexRateLimits::primary, &CodexRateLimits::secondary}) {
    const std::optional<UsageWindow>& a = got.rate_limits.*window;
    const std::optional<UsageWindow>& b = want.rate_limits.*window;
    ASSERT_EQ(a.has_value(), b.has_value());
    if (!a) continue;
    EXPECT_EQ(a->used_percent, b->used_percent);
    EXPECT_EQ(a->window_minutes, b->window_minutes);
    EXPECT_EQ(a->resets_at, b->resets_at);
  }
}

// Reads one value straight from the file, as another tool would.
std::string sql_text(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    if (sqlite3_column_type(stmt, 0) == SQLITE_NULL)
      out = "NULL";
    else
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST(UsageLedger, EveryFieldOfATurnComesBackAsItWasWritten) {
  TempDir dir;
  TurnRecord written = full_turn();
  {
    UsageLedger ledger(dir.path() / "usage.sqlite3");
    ledger.append(written);
  }
  UsageLedger reopened(dir.path() / "usage.sqlite3");
  std::optional<TurnRecord> read = reopened.find(written.id);
  ASSERT_TRUE(read);
  expect_same(*read, written);
}

TEST(UsageLedger, AnUnknownCostIsStoredAsNullNeverAsZero) {
  TempDir dir;
  fs::path file = dir.path() / "usage.sqlite3";
  {
    UsageLedger ledger(file);
    TurnRecord unknown = full_turn();
    unknown.cost_usd.reset();
    ledger.append(unknown);
    std::optional<TurnRecord> read = ledger.find(unknown.id);
    ASSERT_TRUE(read);
    EXPECT_FALSE(read->cost_usd.has_value());
    expect_same(*read, unknown);

    TurnRecord free = turn("req_free", 2, "s", 0.0);
    ledger.append(free);
    ASSERT_TRUE(ledger.find("req_free")->cost_usd.has_value());
    EXPECT_EQ(*ledger.find("req_free")->cost_usd, 0.0);
  }
  EXPECT_EQ(sql_text(file, "SELECT cost_usd FROM turns WHERE id = '" + full_turn().id + "'"),
            "NULL");
  EXPECT_EQ(sql_text(file, "SELECT typeof(cost_usd) FROM turns WHERE id = 'req_free'"), "real");
}

TEST(UsageLedger, ADefaultTurnRoundTripsWithItsDefaults) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  TurnRecord minimal;
  minimal.id = "req_min";
  ledger.append(minimal);
  expect_same(*ledger.find("req_min"), minimal);
}

TEST(UsageLedger, FindReturnsNothingForAnUnknownId) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  ledger.append(turn("req_a", 1));
  EXPECT_FALSE(ledger.find("req_b"));
}

TEST(UsageLedger, TheSameIdAppendedTwiceKeepsBothRowsAndFindGivesTheLatest) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  ledger.append(turn("req_a", 1, "first"));
  ledger.append(turn("req_a", 1, "second"));
  EXPECT_EQ(ledger.turns_since(0).size(), 2u);
  EXPECT_EQ(ledger.find("req_a")->session_id, "second");
}

TEST(UsageLedger, TurnsSinceReturnsTurnsAtOrAfterTheTimeOldestFirst) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  // Appended out of time order (several processes finish turns in any order).
  ledger.append(turn("req_30", 30));
  ledger.append(turn("req_10", 10));
  ledger.append(turn("req_20", 20));
  ledger.append(turn("req_20b", 20));  // same time: insertion order
  ledger.append(turn("req_5", 5));
  EXPECT_THAT(ids(ledger.turns_since(10)), ElementsAre("req_10", "req_20", "req_20b", "req_30"));
  EXPECT_THAT(ids(ledger.turns_since(0)),
              ElementsAre("req_5", "req_10", "req_20", "req_20b", "req_30"));
  EXPECT_TRUE(ledger.turns_since(31).empty());
}

TEST(UsageLedger, LastTurnsReturnsTheNMostRecentOldestFirst) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  ledger.append(turn("req_30", 30));
  ledger.append(turn("req_10", 10));
  ledger.append(turn("req_20", 20));
  ledger.append(turn("req_40", 40));
  EXPECT_THAT(ids(ledger.last_turns(2)), ElementsAre("req_30", "req_40"));
  EXPECT_THAT(ids(ledger.last_turns(10)), ElementsAre("req_10", "req_20", "req_30", "req_40"));
  EXPECT_TRUE(ledger.last_turns(0).empty());
}

TEST(UsageLedger, SessionCostSumsTheKnownCostsAndFlagsUnknownOnes) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  ledger.append(turn("req_1", 1, "session-a", 0.25));
  ledger.append(turn("req_2", 2, "session-a", 0.125));
  ledger.append(turn("req_3", 3, "session-b", 1.0));
  ledger.append(turn("req_4", 4, "session-c", std::nullopt));
  ledger.append(turn("req_5", 5, "session-c", 0.5));

  SessionCost a = ledger.session_cost("session-a");
  EXPECT_DOUBLE_EQ(a.known_usd, 0.375);
  EXPECT_FALSE(a.any_unknown);
  EXPECT_EQ(a.turns, 2);

  SessionCost c = ledger.session_cost("session-c");
  EXPECT_DOUBLE_EQ(c.known_usd, 0.5);
  EXPECT_TRUE(c.any_unknown);
  EXPECT_EQ(c.turns, 2);

  SessionCost none = ledger.session_cost("no-such-session");
  EXPECT_EQ(none.known_usd, 0.0);
  EXPECT_FALSE(none.any_unknown);
  EXPECT_EQ(none.turns, 0);
}

TEST(UsageLedger, CreatesPrivateDirectoriesAndAPrivateFileInWalMode) {
  TempDir dir;
  ::umask(022);
  fs::path file = dir.path() / "state" / "claudegpt" / "usage.sqlite3";
  {
    UsageLedger ledger(file);
    ledger.append(turn("req_a", 1));
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(mode_of(fs::path(file).concat("-wal")), 0600u);
    EXPECT_EQ(mode_of(fs::path(file).concat("-shm")), 0600u);
  }
  EXPECT_EQ(mode_of(dir.path() / "state"), 0700u);
  EXPECT_EQ(mode_of(dir.path() / "state" / "claudegpt"), 0700u);
  EXPECT_EQ(sql_text(file, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(sql_text(file, "PRAGMA user_version"), "3");
}

TEST(UsageLedger, ALedgerFromANewerVersionWithExtraColumnsStillTakesAppends) {
  TempDir dir;
  fs::path file = dir.path() / "usage.sqlite3";
  { UsageLedger ledger(file); }
  {  // What a later schema version would do.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "ALTER TABLE turns ADD COLUMN future TEXT NOT NULL DEFAULT 'x';"
                           "PRAGMA user_version=7;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  UsageLedger ledger(file);
  ledger.append(full_turn());
  expect_same(*ledger.find(full_turn().id), full_turn());
  EXPECT_EQ(sql_text(file, "PRAGMA user_version"), "7");
}

// The schema as claudegpt wrote it before the cwd and first_prompt columns (version 1).
constexpr const char* kVersion1Schema = R"sql(
  CREATE TABLE turns (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, time_ms INTEGER NOT NULL,
    session_id TEXT NOT NULL DEFAULT '', cwd_tag TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '', tier TEXT NOT NULL DEFAULT '',
    client_model TEXT NOT NULL DEFAULT '', upstream_model TEXT NOT NULL DEFAULT '',
    effort TEXT NOT NULL DEFAULT '', effort_reason TEXT NOT NULL DEFAULT '',
    input_tokens INTEGER NOT NULL DEFAULT 0, cached_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    web_searches INTEGER NOT NULL DEFAULT 0, web_fetches INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL, upstream_first_byte_ms INTEGER NOT NULL DEFAULT -1,
    client_first_byte_ms INTEGER NOT NULL DEFAULT -1, done_ms INTEGER NOT NULL DEFAULT -1,
    stop_reason TEXT NOT NULL DEFAULT '', error_type TEXT NOT NULL DEFAULT '',
    chain_rounds INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX turns_by_time ON turns(time_ms);
  CREATE INDEX turns_by_session ON turns(session_id, time_ms);
  CREATE INDEX turns_by_id ON turns(id);
  PRAGMA user_version=1;
)sql";

// An older claudegpt's append: the version 1 columns only.
constexpr const char* kVersion1Insert =
    "INSERT INTO turns (id, time_ms, session_id, cwd_tag, provider, upstream_model, "
    "input_tokens, cost_usd, stop_reason) VALUES ('req_old', 1000, 'sess-old', "
    "'alice-src-old-1a2b3c4d', 'openai', 'gpt-5.5', 5000, 0.025, 'end_turn');";

void run_sql(const fs::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(UsageLedger, ALedgerFromBeforeTheSessionColumnsIsUpgradedAndItsRowsReadAsBefore) {
  TempDir dir;
  fs::path file = dir.path() / "usage.sqlite3";
  run_sql(file, kVersion1Schema);
  run_sql(file, kVersion1Insert);

  UsageLedger ledger(file);
  EXPECT_EQ(sql_text(file, "PRAGMA user_version"), "3");
  std::optional<TurnRecord> old = ledger.find("req_old");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->session_id, "sess-old");
  EXPECT_EQ(old->cwd_tag, "alice-src-old-1a2b3c4d");
  EXPECT_EQ(old->input_tokens, 5000);
  EXPECT_EQ(old->cost_usd, 0.025);
  EXPECT_EQ(old->cwd, "");           // not recorded then
  EXPECT_EQ(old->first_prompt, "");
  EXPECT_EQ(old->cache_write_tokens, 0);
  EXPECT_TRUE(old->rate_limits.empty());
  // New rows carry the new fields...
  ledger.append(full_turn());
  expect_same(*ledger.find(full_turn().id), full_turn());
  // ...and an older claudegpt still appends to the upgraded ledger, as it knows it.
  run_sql(file, "DELETE FROM turns WHERE id = 'req_old';");
  run_sql(file, kVersion1Insert);
  EXPECT_EQ(ledger.find("req_old")->first_prompt, "");
  EXPECT_EQ(ledger.turns_since(0).size(), 2u);
}

// Version 2's append (claudegpt before cache writes and usage windows) into a version 3
// ledger: the new columns take their defaults, and the row reads as having none of either.
TEST(UsageLedger, AVersion2AppendReadsAsWithoutCacheWritesOrUsageWindows) {
  TempDir dir;
  fs::path file = dir.path() / "usage.sqlite3";
  UsageLedger ledger(file);
  run_sql(file,
          "INSERT INTO turns (id, time_ms, session_id, provider, upstream_model, input_tokens, "
          "cached_tokens, cost_usd, cwd, first_prompt) VALUES ('req_v2', 2000, 's', 'codex', "
          "'gpt-5.5', 9000, 1000, 0.04, '/w', 'hi');");
  std::optional<TurnRecord> row = ledger.find("req_v2");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->cached_tokens, 1000);
  EXPECT_EQ(row->cache_write_tokens, 0);
  EXPECT_TRUE(row->rate_limits.empty());
  EXPECT_EQ(ledger.latest_rate_limits(), std::nullopt);
}

// The usage windows are the account's: the newest row that has them, whatever its session.
TEST(UsageLedger, LatestRateLimitsIsTheNewestRowWithUsageWindows) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  EXPECT_EQ(ledger.latest_rate_limits(), std::nullopt);
  auto with = [](std::string id, std::int64_t time_ms, std::string session,
                 std::optional<double> five_hours, std::optional<double> week) {
    TurnRecord t = turn(std::move(id), time_ms, std::move(session));
    if (five_hours) t.rate_limits.primary = UsageWindow{*five_hours, 300, 5000};
    if (week) t.rate_limits.secondary = UsageWindow{*week, 10080, std::nullopt};
    return t;
  };
  ledger.append(with("req_1", 10, "a", 40, 12));
  ledger.append(with("req_2", 20, "b", std::nullopt, 13));
  ledger.append(with("req_3", 30, "a", std::nullopt, std::nullopt));  // not a codex turn
  ledger.append(with("req_0", 5, "c", 99, 99));                        // arrived late, older
  std::optional<TurnRecord> latest = ledger.latest_rate_limits();
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->id, "req_2");
  EXPECT_FALSE(latest->rate_limits.primary);
  ASSERT_TRUE(latest->rate_limits.secondary);
  EXPECT_EQ(latest->rate_limits.secondary->used_percent, 13);
  EXPECT_EQ(latest->rate_limits.secondary->window_minutes, 10080);
  EXPECT_EQ(latest->rate_limits.secondary->resets_at, std::nullopt);
}

TEST(UsageLedger, LatestTurnPerModelGivesEachClientModelsNewestRowOfTheSession) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  auto on = [](std::string id, std::int64_t time_ms, std::string session, std::string client,
               std::string upstream) {
    TurnRecord t = turn(std::move(id), time_ms, std::move(session));
    t.client_model = std::move(client);
    t.upstream_model = std::move(upstream);
    return t;
  };
  ledger.append(on("req_1", 10, "s", "claude-opus-5-5", "my-azure-deploy"));
  ledger.append(on("req_2", 20, "s", "claude-haiku-4-5", "gpt-5.4-mini"));
  ledger.append(on("req_3", 30, "s", "claude-opus-5-5", "gpt-5.5"));
  ledger.append(on("req_4", 40, "other", "claude-opus-5-5", "gpt-5.4"));
  ledger.append(on("req_0", 5, "s", "claude-opus-5-5", "older"));  // arrived late, older

  EXPECT_THAT(ids(ledger.latest_turn_per_model("s")), ElementsAre("req_3", "req_2"));
  EXPECT_EQ(ledger.latest_turn_per_model("s").front().upstream_model, "gpt-5.5");
  EXPECT_TRUE(ledger.latest_turn_per_model("no-such-session").empty());
}

TEST(UsageLedger, SessionOpeningsTellWhenWhereAndWhatEachSessionStarted) {
  TempDir dir;
  UsageLedger ledger(dir.path() / "usage.sqlite3");
  auto row = [](std::string id, std::int64_t time_ms, std::string session, std::string tag,
                std::string cwd = "", std::string prompt = "") {
    TurnRecord t = turn(std::move(id), time_ms, std::move(session));
    t.cwd_tag = std::move(tag);
    t.cwd = std::move(cwd);
    t.first_prompt = std::move(prompt);
    return t;
  };
  // Session a: a side request came first, then the main loop's turn that tells the opening;
  // a later process told it again, later.
  ledger.append(row("a1", 100, "a", "alice-proj-11111111"));
  ledger.append(row("a2", 110, "a", "alice-proj-11111111", "/home/alice/proj", "add a test"));
  ledger.append(row("a3", 900, "a", "alice-proj-11111111", "/home/alice/proj", "add a test"));
  // Session b: recorded before the ledger had the columns.
  ledger.append(row("b1", 200, "b", "bob-old-22222222"));

  std::map<std::string, SessionOpening> openings =
      ledger.session_openings({"a", "b", "missing", "a"});
  ASSERT_EQ(openings.size(), 2u);
  EXPECT_EQ(openings["a"].started_ms, 100);
  EXPECT_EQ(openings["a"].cwd_tag, "alice-proj-11111111");
  EXPECT_EQ(openings["a"].cwd, "/home/alice/proj");
  EXPECT_EQ(openings["a"].first_prompt, "add a test");
  EXPECT_EQ(openings["b"].started_ms, 200);
  EXPECT_EQ(openings["b"].cwd_tag, "bob-old-22222222");
  EXPECT_EQ(openings["b"].cwd, "");
  EXPECT_EQ(openings["b"].first_prompt, "");
  EXPECT_TRUE(ledger.session_openings({}).empty());
}

TEST(UsageLedger, ErrorsNameThePathAndTheCause) {
  TempDir dir;
  fs::path blocker = dir.path() / "not-a-directory";
  std::ofstream(blocker) << "x";
  try {
    UsageLedger ledger(blocker / "usage.sqlite3");
    FAIL() << "opened a ledger under a regular file";
  } catch (const LedgerError& e) {
    EXPECT_THAT(e.what(), HasSubstr((blocker / "usage.sqlite3").string()));
  }

  fs::path garbage = dir.path() / "garbage.sqlite3";
  std::ofstream(garbage) << std::string(4096, 'g');
  try {
    UsageLedger ledger(garbage);
    FAIL() << "opened a file that is not a database";
  } catch (const LedgerError& e) {
    EXPECT_THAT(e.what(), HasSubstr(garbage.string()));
    EXPECT_THAT(e.what(), HasSubstr("not a database"));
  }
}

// ---- links and other users: the ledger is never written outside its directory -------------

// XDG_STATE_HOME set to `home` while it lives, so <home>/claudegpt is the state dir: the
// ledger's directory is claudegpt's own there and a folder of the user's anywhere else.
class StateHome {
 public:
  explicit StateHome(const fs::path& home) {
    if (const char* old = std::getenv("XDG_STATE_HOME")) old_ = old;
    ::setenv("XDG_STATE_HOME", home.c_str(), 1);
  }
  ~StateHome() {
    if (old_)
      ::setenv("XDG_STATE_HOME", old_->c_str(), 1);
    else
      ::unsetenv("XDG_STATE_HOME");
  }
  StateHome(const StateHome&) = delete;
  StateHome& operator=(const StateHome&) = delete;

 private:
  std::optional<std::string> old_;
};

// Opens the ledger expecting a refusal; returns its message.
std::string refusal_opening(const fs::path& file) {
  try {
    UsageLedger ledger(file);
  } catch (const LedgerError& e) {
    return e.what();
  }
  ADD_FAILURE() << "opened " << file;
  return "";
}

// Opens the ledger at `file`, appends a turn and closes it again; returns what it warned of.
std::vector<std::string> warnings_appending_a_turn(const fs::path& file) {
  std::vector<std::string> warnings;
  {
    UsageLedger ledger(file, [&](const std::string& warning) { warnings.push_back(warning); });
    ledger.append(turn("req_a", 1));
  }
  return warnings;
}

TEST(UsageLedger, ALinkAsTheStateDirectoryIsRefusedAndNothingLandsWhereItPoints) {
  TempDir dir;
  StateHome home(dir.path());
  fs::path outside = dir.path() / "outside";
  fs::create_directory(outside);
  fs::create_directory_symlink(outside, dir.path() / "claudegpt");
  std::string error = refusal_opening(dir.path() / "claudegpt" / "usage.sqlite3");
  EXPECT_THAT(error, HasSubstr((dir.path() / "claudegpt").string() + " is a symbolic link"));
  EXPECT_TRUE(fs::is_empty(outside));
}

TEST(UsageLedger, ALinkAsTheDatabaseFileIsRefusedAndNothingLandsWhereItPoints) {
  TempDir dir;
  fs::path file = dir.path() / "usage.sqlite3";
  fs::path outside = dir.path() / "elsewhere.sqlite3";  // (does not exist: it would be created)
  fs::create_symlink(outside, file);
  EXPECT_THAT(refusal_opening(file), HasSubstr(file.string() + " is a symbolic link"));
  EXPECT_FALSE(fs::exists(outside));
}

TEST(UsageLedger, ALinkPlantedAsTheWriteAheadLogIsRefused) {
  TempDir dir;
  fs::path file = dir.path() / "usage.sqlite3";
  fs::path outside = dir.path() / "elsewhere";
  fs::create_symlink(outside, fs::path(file).concat("-wal"));
  EXPECT_THAT(refusal_opening(file), HasSubstr(file.string() + "-wal is a symbolic link"));
  EXPECT_FALSE(fs::exists(outside));
}

TEST(UsageLedger, ALaxDirectoryAndFileOfOursAreMadePrivateWithAWarning) {
  TempDir dir;
  StateHome home(dir.path());  // dir/claudegpt is the state dir
  fs::path state = dir.path() / "claudegpt";
  fs::create_directory(state);
  fs::permissions(state, fs::perms::all);  // 0777
  fs::path file = state / "usage.sqlite3";
  { UsageLedger first(file); }
  fs::permissions(file, fs::perms(0644));
  fs::permissions(state, fs::perms::all);
  std::vector<std::string> warnings = warnings_appending_a_turn(file);
  EXPECT_EQ(mode_of(state), 0700u);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_THAT(warnings,
              ElementsAre(HasSubstr(state.string() + " was open to other users (mode 0777): "
                                                     "tightened to 0700"),
                          HasSubstr(file.string() + " was open to other users (mode 0644): "
                                                    "tightened to 0600")));
}

TEST(UsageLedger, ADirectoryOfAnotherUserIsRefusedAndLeftAsItIs) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a directory to another user takes root";
  TempDir dir;
  fs::path shared = dir.path() / "shared";
  fs::create_directory(shared);
  fs::permissions(shared, fs::perms::all);
  ASSERT_EQ(::chown(shared.c_str(), 65534, 65534), 0);
  EXPECT_THAT(refusal_opening(shared / "usage.sqlite3"),
              HasSubstr(shared.string() + " is owned by uid 65534"));
  EXPECT_TRUE(fs::is_empty(shared));
  EXPECT_EQ(mode_of(shared), 0777u);
}

// ---- a folder of the user's: CLAUDEGPT_LEDGER_PATH points the file into it ---------------

TEST(UsageLedger, AnExplicitPathInAUsersFolderLeavesTheFoldersModeAndWarnsOnce) {
  TempDir dir;
  StateHome home(dir.path() / "state-home");  // the folder is not in the state dir
  fs::path documents = dir.path() / "Documents";
  fs::create_directory(documents);
  fs::permissions(documents, fs::perms(0755));
  fs::path file = documents / "usage.sqlite3";
  std::vector<std::string> warnings;
  {
    UsageLedger ledger(file, [&](const std::string& warning) { warnings.push_back(warning); });
    ledger.append(turn("req_a", 1));
    EXPECT_EQ(mode_of(fs::path(file).concat("-wal")), 0600u);
  }
  EXPECT_EQ(mode_of(documents), 0755u);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_THAT(warnings,
              ElementsAre(AllOf(HasSubstr(documents.string() +
                                          " is open to other users (mode 0755)"),
                                HasSubstr("leaves its mode alone"),
                                HasSubstr("chmod go-rwx " + documents.string()))));
}

TEST(UsageLedger, ARelativePathMeansTheWorkingDirectoryWhichIsLeftAsItIs) {
  TempDir dir;
  StateHome home(dir.path() / "state-home");
  fs::path work = dir.path() / "project";
  fs::create_directory(work);
  fs::permissions(work, fs::perms(0755));
  fs::path was = fs::current_path();
  fs::current_path(work);
  std::vector<std::string> warnings = warnings_appending_a_turn("usage.sqlite3");
  fs::current_path(was);
  EXPECT_EQ(mode_of(work), 0755u);
  EXPECT_EQ(mode_of(work / "usage.sqlite3"), 0600u);
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("is open to other users (mode 0755)")));
}

TEST(UsageLedger, AnExplicitPathInsideTheStateDirIsStillMadePrivate) {
  TempDir dir;
  StateHome home(dir.path());
  fs::path sub = dir.path() / "claudegpt" / "ledgers";
  fs::create_directories(sub);
  fs::permissions(sub, fs::perms(0755));
  UsageLedger ledger(sub / "usage.sqlite3");
  EXPECT_EQ(mode_of(sub), 0700u);
}

// Another user who can write in the folder could plant the -wal or -shm file SQLite opens by
// name (their own file, or a link), before it is opened or any time it is recreated.
TEST(UsageLedger, AFolderOthersCanWriteInIsRefusedSayingWhatToDoAndLeftAsItIs) {
  TempDir dir;
  StateHome home(dir.path() / "state-home");
  for (fs::perms mode : {fs::perms(0777), fs::perms(01777), fs::perms(0703)}) {
    fs::path shared = dir.path() / "shared";
    fs::create_directory(shared);
    fs::permissions(shared, mode);
    std::string error = refusal_opening(shared / "usage.sqlite3");
    EXPECT_THAT(error, HasSubstr(shared.string() + " is writable by other users"));
    EXPECT_THAT(error, HasSubstr("set CLAUDEGPT_LEDGER_PATH to a file in a directory only you "
                                 "can write to"));
    EXPECT_TRUE(fs::is_empty(shared));
    EXPECT_EQ(mode_of(shared), static_cast<unsigned>(mode));
    fs::remove(shared);
  }
}

TEST(UsageLedger, TheSharedTmpIsRefused) {
  struct stat st {};
  if (::stat("/tmp", &st) != 0 || (st.st_mode & 07777) != 01777)
    GTEST_SKIP() << "/tmp is not a sticky world-writable directory here";
  fs::path file = "/tmp/usage_ledger_test-" + std::to_string(::getpid()) + ".sqlite3";
  EXPECT_THAT(refusal_opening(file), HasSubstr("/tmp is writable by other users (mode 1777)"));
  EXPECT_FALSE(fs::exists(file));
}

TEST(UsageLedger, AGroupWritableFolderOfASharedGroupIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a directory to another group takes root";
  TempDir dir;
  StateHome home(dir.path() / "state-home");
  fs::path shared = dir.path() / "team";
  fs::create_directory(shared);
  ASSERT_EQ(::chown(shared.c_str(), ::geteuid(), 65534), 0);
  fs::permissions(shared, fs::perms(0770));
  EXPECT_THAT(refusal_opening(shared / "usage.sqlite3"),
              HasSubstr(shared.string() + " is writable by other users (mode 0770)"));
  EXPECT_EQ(mode_of(shared), 0770u);
}

// A umask of 002 with one group per user (Debian, Ubuntu) makes folders 0775: group-writable,
// but the group is the user's alone.
TEST(UsageLedger, AGroupWritableFolderOfTheUsersPrivateGroupIsTakenWithAWarning) {
  const passwd* user = ::getpwuid(::geteuid());
  const group* own = user ? ::getgrgid(user->pw_gid) : nullptr;
  if (!own || std::string_view(own->gr_name) != user->pw_name ||
      (own->gr_mem && own->gr_mem[0] && std::string_view(own->gr_mem[0]) != user->pw_name))
    GTEST_SKIP() << "this user has no private group";
  TempDir dir;
  StateHome home(dir.path() / "state-home");
  fs::path folder = dir.path() / "Documents";
  fs::create_directory(folder);
  ASSERT_EQ(::chown(folder.c_str(), ::geteuid(), user->pw_gid), 0);
  fs::permissions(folder, fs::perms(0775));
  std::vector<std::string> warnings = warnings_appending_a_turn(folder / "usage.sqlite3");
  EXPECT_EQ(mode_of(folder), 0775u);
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("is open to other users (mode 0775)")));
}

// The user's own layout: a folder that is a link of theirs to another disk.
TEST(UsageLedger, AUsersFolderThatIsTheirLinkIsFollowed) {
  TempDir dir;
  StateHome home(dir.path() / "state-home");
  fs::path real = dir.path() / "big-disk";
  fs::create_directory(real);
  fs::permissions(real, fs::perms(0700));
  fs::create_directory_symlink(real, dir.path() / "Documents");
  std::vector<std::string> warnings =
      warnings_appending_a_turn(dir.path() / "Documents" / "usage.sqlite3");
  EXPECT_EQ(mode_of(real / "usage.sqlite3"), 0600u);
  EXPECT_TRUE(warnings.empty());
}

TEST(UsageLedger, AUsersFolderThatIsALinkOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a link to another user takes root";
  TempDir dir;
  StateHome home(dir.path() / "state-home");
  fs::path real = dir.path() / "elsewhere";
  fs::create_directory(real);
  fs::path planted = dir.path() / "ledger";
  fs::create_directory_symlink(real, planted);
  ASSERT_EQ(::lchown(planted.c_str(), 65534, 65534), 0);
  EXPECT_THAT(refusal_opening(planted / "usage.sqlite3"),
              HasSubstr(planted.string() + " is a symbolic link of uid 65534"));
  EXPECT_TRUE(fs::is_empty(real));
}

TEST(StatePaths, InStateDirIsTheStateDirAndWhatIsBelowIt) {
  auto env = [](const char* name) -> const char* {
    if (std::string_view(name) == "XDG_STATE_HOME") return "/xdg/state";
    return nullptr;
  };
  EXPECT_TRUE(in_state_dir("/xdg/state/claudegpt", env));
  EXPECT_TRUE(in_state_dir("/xdg/state/claudegpt/", env));
  EXPECT_TRUE(in_state_dir("/xdg/state/claudegpt/ledgers", env));
  EXPECT_TRUE(in_state_dir("/xdg/state/./claudegpt", env));
  EXPECT_FALSE(in_state_dir("/xdg/state", env));
  EXPECT_FALSE(in_state_dir("/xdg/state/claudegpt-old", env));
  EXPECT_FALSE(in_state_dir("/xdg/state/claudegpt/../elsewhere", env));
  EXPECT_FALSE(in_state_dir("/home/alice/Documents", env));
}

TEST(StatePaths, XdgStateHomeWinsWhenAbsolute) {
  auto env = [](const char* name) -> const char* {
    if (std::string_view(name) == "XDG_STATE_HOME") return "/xdg/state";
    if (std::string_view(name) == "HOME") return "/home/alice";
    return nullptr;
  };
  EXPECT_EQ(default_state_dir(env), fs::path("/xdg/state/claudegpt"));
}

TEST(StatePaths, ARelativeOrEmptyXdgStateHomeIsIgnored) {
  for (const char* xdg : {"relative/state", ""}) {
    auto env = [xdg](const char* name) -> const char* {
      if (std::string_view(name) == "XDG_STATE_HOME") return xdg;
      if (std::string_view(name) == "HOME") return "/home/alice";
      return nullptr;
    };
    EXPECT_EQ(default_state_dir(env), fs::path("/home/alice/.local/state/claudegpt")) << xdg;
  }
}

// Several claudegpt processes append to one ledger at once: 8 processes, each with its own
// UsageLedger on the same (new) file, 200 turns each as fast as they can.
TEST(UsageLedger, EightProcessesAppendingAtOnceLoseNoRowAndSeeNoError) {
  constexpr int kWriters = 8;
  constexpr int kTurnsEach = 200;
  TempDir dir;
  fs::path file = dir.path() / "state" / "usage.sqlite3";

  int start[2];
  ASSERT_EQ(::pipe(start), 0);
  std::vector<pid_t> children;
  std::vector<fs::path> error_files;
  for (int w = 0; w < kWriters; ++w) {
    error_files.push_back(dir.path() / ("errors-" + std::to_string(w)));
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(start[1]);
      char byte;
      while (::read(start[0], &byte, 1) > 0) {
      }  // released all at once, when the parent closes the pipe
      int failures = 0;
      std::string errors;
      try {
        UsageLedger ledger(file);  // opening races too: the file does not exist yet
        for (int i = 0; i < kTurnsEach; ++i) {
          TurnRecord t = turn("req_w" + std::to_string(w) + "_" + std::to_string(i),
                              1000 + i, "session-" + std::to_string(w), 0.001 * (i + 1));
          t.input_tokens = i;
          try {
            ledger.append(t);
          } catch (const std::exception& e) {
            ++failures;
            errors += std::string(e.what()) + "\n";
          }
        }
      } catch (const std::exception& e) {
        ++failures;
        errors += std::string("open: ") + e.what() + "\n";
      }
      std::ofstream(error_files.back()) << errors;
      ::_exit(failures == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(start[0]);
  auto began = std::chrono::steady_clock::now();
  ::close(start[1]);
  for (std::size_t w = 0; w < children.size(); ++w) {
    int status = 0;
    ASSERT_EQ(::waitpid(children[w], &status, 0), children[w]);
    std::ifstream in(error_files[w]);
    std::string errors((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "writer " << w << " failed:\n" << errors;
    EXPECT_EQ(errors, "") << "writer " << w;
  }
  auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - began).count();
  std::cout << "[ measure  ] " << kWriters << " processes x " << kTurnsEach
            << " appends: " << wall_ms << " ms wall\n";
  ::testing::Test::RecordProperty("wall_ms", std::to_string(wall_ms));

  UsageLedger ledger(file);
  std::vector<TurnRecord> all = ledger.turns_since(0);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kWriters * kTurnsEach));
  std::set<std::string> seen;
  for (const TurnRecord& t : all) seen.insert(t.id);
  std::set<std::string> expected;
  for (int w = 0; w < kWriters; ++w)
    for (int i = 0; i < kTurnsEach; ++i)
      expected.insert("req_w" + std::to_string(w) + "_" + std::to_string(i));
  EXPECT_EQ(seen, expected);
  for (int w = 0; w < kWriters; ++w) {
    SessionCost cost = ledger.session_cost("session-" + std::to_string(w));
    EXPECT_EQ(cost.turns, kTurnsEach);
    EXPECT_NEAR(cost.known_usd, 0.001 * kTurnsEach * (kTurnsEach + 1) / 2, 1e-9);
  }
}

}  // namespace
}  // namespace claudegpt
