#include "ledger/usage_report.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

// Unix epoch milliseconds of some UTC instants.
constexpr std::int64_t k2026_11_20_0915 = 1795166100000;
constexpr std::int64_t k2026_11_20_174030 = 1795196430000;
constexpr std::int64_t k2026_11_21_0000 = 1795219200000;
constexpr std::int64_t k2026_11_21_0800 = 1795248000000;
constexpr std::int64_t k2026_11_21_235959 = 1795305599000;
constexpr std::int64_t k2026_11_22_0000 = 1795305600000;
constexpr std::int64_t k2026_11_22_0005 = 1795305900000;

TurnRecord turn(std::string id, std::int64_t time_ms, std::string session, std::string cwd,
                std::string provider, std::string model, std::int64_t input, std::int64_t cached,
                std::int64_t output, std::int64_t reasoning, int searches, int fetches,
                std::optional<double> cost, std::int64_t done_ms, std::string stop,
                std::string error = "") {
  TurnRecord t;
  t.id = std::move(id);
  t.time_ms = time_ms;
  t.session_id = std::move(session);
  t.cwd_tag = std::move(cwd);
  t.provider = std::move(provider);
  t.upstream_model = std::move(model);
  t.input_tokens = input;
  t.cached_tokens = cached;
  t.output_tokens = output;
  t.reasoning_tokens = reasoning;
  t.web_searches = searches;
  t.web_fetches = fetches;
  t.cost_usd = cost;
  t.done_ms = done_ms;
  t.stop_reason = std::move(stop);
  t.error_type = std::move(error);
  return t;
}

// Six turns over three UTC days. Their costs are what the relay would have stored, worked
// out by hand from the built-in prices (USD per 1M tokens):
//   req_1 gpt-5.5:      4,000 × 5 + 8,000 × 0.5 + 1,500 × 30, + 1 search × $0.01  = 0.079
//   req_2 gpt-5.4-mini: 8,000 × 0.75 + 32,000 × 0.075 + 2,200 × 4.5              = 0.0183
//   req_3 my-deploy:    an Azure deployment without a price                       = unknown
//   req_4 gpt-5.5:      30,000 × 5 + 120,000 × 0.5 + 9,000 × 30, + 2 × $0.01      = 0.50
//   req_5 gpt-5.5 >272k: 300,000 × 10 + 100,000 × 1 + 20,000 × 45                 = 4.00
//   req_6 gpt-5.4-mini: failed before any usage                                   = 0
// Given out of time order: the report and the listing sort them.
std::vector<TurnRecord> sample_turns() {
  return {
      turn("req_4", k2026_11_21_235959, "s-2", "proj-b-9c0d", "codex", "gpt-5.5", 150'000,
           120'000, 9'000, 4'000, 2, 0, 0.50, 31'400, "end_turn"),
      turn("req_1", k2026_11_20_0915, "s-1", "proj-a-1f2e", "openai", "gpt-5.5", 12'000, 8'000,
           1'500, 500, 1, 0, 0.079, 4'200, "end_turn"),
      turn("req_2", k2026_11_20_174030, "s-1", "proj-a-1f2e", "openai", "gpt-5.4-mini", 40'000,
           32'000, 2'200, 800, 0, 2, 0.0183, 2'500, "tool_use"),
      turn("req_3", k2026_11_21_0800, "s-2", "proj-b-9c0d", "azure", "my-deploy", 5'000, 0, 700,
           0, 0, 0, std::nullopt, 1'800, "end_turn"),
      turn("req_6", k2026_11_22_0005, "", "proj-c-77aa", "openai", "gpt-5.4-mini", 0, 0, 0, 0, 0,
           0, 0.0, 300, "", "overloaded_error"),
      turn("req_5", k2026_11_22_0000, "", "proj-a-1f2e", "openai", "gpt-5.5", 400'000, 100'000,
           20'000, 15'000, 0, 0, 4.00, 95'000, "max_tokens"),
  };
}

// Sets the process's time zone (a POSIX TZ value) while it lives.
class LocalTimeZone {
 public:
  explicit LocalTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~LocalTimeZone() {
    if (old_)
      ::setenv("TZ", old_->c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

UsageReportOptions options(UsageGrouping by, std::optional<std::int64_t> since = std::nullopt,
                           bool json = false) {
  UsageReportOptions o;
  o.group_by = by;
  o.since_ms = since;
  o.json = json;
  return o;
}

const char* const kUnknownNote =
    "\n"
    "1 turn has no price for its model (my-deploy); \"unknown\" and \"≥\" costs leave it out.\n"
    "Set prices in prices.toml or as CLAUDEGPT_PRICE_<MODEL>=input,cached_input,output.\n";
const char* const kFailedNote =
    "\n"
    "1 failed request is not counted as a turn (overloaded_error).\n"
    "The upstream did not answer it; Claude Code retries a failed request up to 10 times.\n";
const char* const kCodexNote =
    "\n"
    "Codex turns are priced at API rates: what they would have cost on the API, not a bill\n"
    "(a ChatGPT subscription is not charged per token).\n";

TEST(UsageReport, ByDayMatchesTheHandComputedTable) {
  // 2026-11-20: req_1 + req_2: input 52,000, cached 40,000 (76.9%), output 3,700,
  //             cost 0.079 + 0.0183 = 0.0973.
  // 2026-11-21: req_3 + req_4: input 155,000, cached 120,000 (77.4%), output 9,700,
  //             cost 0.50 known + 1 unknown: at least $0.5000.
  // 2026-11-22: req_5 (a turn) + req_6 (failed: not a turn): input 400,000, cached 100,000
  //             (25.0%), output 20,000, $4.00.
  // total: 5 turns and 1 failed request, 607,000 in, 260,000 cached (42.8%), 33,400 out,
  //        3 searches, 2 fetches, 4.5973 known + 1 unknown: at least $4.60.
  std::string expected = std::string(
      "Usage, all time, by day\n"
      "\n"
      "day         turns  failed  input tokens  cached  output tokens  searches  fetches  cost (USD)\n"
      "2026-11-20      2       0        52,000   76.9%          3,700         1        2     $0.0973\n"
      "2026-11-21      2       0       155,000   77.4%          9,700         2        0   ≥ $0.5000\n"
      "2026-11-22      1       1       400,000   25.0%         20,000         0        0       $4.00\n"
      "---------------------------------------------------------------------------------------------\n"
      "total           5       1       607,000   42.8%         33,400         3        2     ≥ $4.60\n") +
      kFailedNote + kUnknownNote + kCodexNote;
  EXPECT_EQ(render_usage_report(sample_turns(), {}), expected);
}

TEST(UsageReport, ByModelMatchesTheHandComputedTable) {
  // gpt-5.4-mini: req_2 + req_6 (failed): 40,000 in, 32,000 cached (80.0%), 2,200 out, $0.0183.
  // gpt-5.5: req_1 + req_4 + req_5: 562,000 in, 228,000 cached (40.6%), 30,500 out,
  //          3 searches, 0.079 + 0.50 + 4.00 = $4.58.
  // my-deploy: req_3: 5,000 in, nothing cached, 700 out, unknown.
  std::string expected = std::string(
      "Usage, all time, by model\n"
      "\n"
      "model         turns  failed  input tokens  cached  output tokens  searches  fetches  cost (USD)\n"
      "gpt-5.4-mini      1       1        40,000   80.0%          2,200         0        2     $0.0183\n"
      "gpt-5.5           3       0       562,000   40.6%         30,500         3        0       $4.58\n"
      "my-deploy         1       0         5,000    0.0%            700         0        0     unknown\n"
      "-----------------------------------------------------------------------------------------------\n"
      "total             5       1       607,000   42.8%         33,400         3        2     ≥ $4.60\n") +
      kFailedNote + kUnknownNote + kCodexNote;
  EXPECT_EQ(render_usage_report(sample_turns(), options(UsageGrouping::model)), expected);
}

TEST(UsageReport, BySessionTellsEachSessionByItsStartFolderAndFirstPromptOldestFirst) {
  LocalTimeZone utc("UTC0");
  // s-1: req_1 + req_2, from 2026-11-20 09:15, its opening on req_1; s-2: req_3 + req_4, from
  // 2026-11-21 08:00, no opening recorded (an older ledger): its cwd tag stands in;
  // (none): req_5 + req_6 (failed), from 2026-11-22 00:00.
  std::vector<TurnRecord> turns = sample_turns();
  for (TurnRecord& t : turns)
    if (t.id == "req_1") {
      t.cwd = "/home/alice/src/proj-a";
      t.first_prompt = "Make the parser accept trailing commas in arrays and objects";
    }
  UsageReportOptions by_session = options(UsageGrouping::session);
  by_session.home = "/home/alice/";
  std::string expected = std::string(
      "Usage, all time, by session\n"
      "\n"
      "started (local)   folder        first prompt                          turns  failed  input tokens  cached  output tokens  searches  fetches  cost (USD)  session\n"
      "2026-11-20 09:15  ~/src/proj-a  Make the parser accept trailing com…      2       0        52,000   76.9%          3,700         1        2     $0.0973  s-1\n"
      "2026-11-21 08:00  proj-b-9c0d   -                                         2       0       155,000   77.4%          9,700         2        0   ≥ $0.5000  s-2\n"
      "2026-11-22 00:00  proj-a-1f2e   -                                         1       1       400,000   25.0%         20,000         0        0       $4.00  (none)\n"
      "----------------------------------------------------------------------------------------------------------------------------------------------------------------\n"
      "total                                                                     5       1       607,000   42.8%         33,400         3        2     ≥ $4.60\n") +
      kFailedNote + kUnknownNote + kCodexNote;
  EXPECT_EQ(render_usage_report(turns, by_session), expected);
}

TEST(UsageReport, BySessionTakesTheLedgersOpeningOfASessionThatStartedBeforeTheWindow) {
  LocalTimeZone utc("UTC0");
  // From 2026-11-21 00:00, session s-1 has no turn and s-2 two; the ledger knows that s-2
  // started the day before, where, and with what.
  UsageReportOptions window = options(UsageGrouping::session, k2026_11_21_0000);
  window.sessions["s-2"] = SessionOpening{k2026_11_20_0915, "proj-b-9c0d",
                                          "/srv/work/a/very/long/path/to/proj-b", "hello"};
  std::string report = render_usage_report(sample_turns(), window);
  EXPECT_NE(report.find("\n2026-11-20 09:15  …ery/long/path/to/proj-b  hello  "), std::string::npos)
      << report;
  EXPECT_EQ(report.find("s-1"), std::string::npos) << report;
}

TEST(UsageReport, BySessionShowsStartTimesInTheLocalTimeZone) {
  LocalTimeZone two_hours_east("XST-2");
  std::string report = render_usage_report(sample_turns(), options(UsageGrouping::session));
  EXPECT_NE(report.find("\n2026-11-20 11:15  proj-a-1f2e"), std::string::npos) << report;
  EXPECT_NE(report.find("\n2026-11-22 02:00  proj-a-1f2e"), std::string::npos) << report;
}

TEST(UsageReport, BySessionJsonAddsTheOpeningOfEachSessionInTheTablesOrder) {
  std::vector<TurnRecord> turns = sample_turns();
  turns[1].cwd = "/home/alice/src/proj-a";  // req_1
  turns[1].first_prompt = "Make the parser accept trailing commas";
  boost::json::value report = boost::json::parse(render_usage_report(
      turns, options(UsageGrouping::session, std::nullopt, true)));
  const boost::json::array& groups = report.at("groups").as_array();
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].at("key").as_string(), "s-1");
  EXPECT_EQ(groups[0].at("started").as_string(), "2026-11-20T09:15:00Z");
  EXPECT_EQ(groups[0].at("cwd").as_string(), "/home/alice/src/proj-a");
  EXPECT_EQ(groups[0].at("cwd_tag").as_string(), "proj-a-1f2e");
  EXPECT_EQ(groups[0].at("first_prompt").as_string(), "Make the parser accept trailing commas");
  EXPECT_EQ(groups[1].at("key").as_string(), "s-2");
  EXPECT_EQ(groups[1].at("first_prompt").as_string(), "");
  EXPECT_EQ(groups[2].at("key").as_string(), "(none)");
  EXPECT_EQ(groups[2].at("started").as_string(), "2026-11-22T00:00:00Z");
  EXPECT_EQ(groups[2].at("failed_requests").as_int64(), 1);
}

TEST(UsageReport, ByCwdMatchesTheHandComputedTable) {
  // proj-a-1f2e: req_1 + req_2 + req_5: 452,000 in, 140,000 cached (31.0%), 23,700 out,
  //              0.079 + 0.0183 + 4.00 = $4.10.
  // proj-b-9c0d: req_3 + req_4.  proj-c-77aa: req_6, a failed request without input ("-"),
  // $0.0000.
  std::string expected = std::string(
      "Usage, all time, by cwd\n"
      "\n"
      "cwd          turns  failed  input tokens  cached  output tokens  searches  fetches  cost (USD)\n"
      "proj-a-1f2e      3       0       452,000   31.0%         23,700         1        2       $4.10\n"
      "proj-b-9c0d      2       0       155,000   77.4%          9,700         2        0   ≥ $0.5000\n"
      "proj-c-77aa      0       1             0       -              0         0        0     $0.0000\n"
      "----------------------------------------------------------------------------------------------\n"
      "total            5       1       607,000   42.8%         33,400         3        2     ≥ $4.60\n") +
      kFailedNote + kUnknownNote + kCodexNote;
  EXPECT_EQ(render_usage_report(sample_turns(), options(UsageGrouping::cwd)), expected);
}

TEST(UsageReport, SinceLeavesOlderTurnsOutAndColumnsWithNothingIn) {
  // From 2026-11-21 00:00: req_3..req_6. No fetches left, so no fetches column.
  // total: 3 turns, 1 failed, 555,000 in, 220,000 cached (39.6%), 29,700 out, 2 searches,
  // 4.50 + unknown.
  std::string expected = std::string(
      "Usage since 2026-11-21 00:00 UTC, by day\n"
      "\n"
      "day         turns  failed  input tokens  cached  output tokens  searches  cost (USD)\n"
      "2026-11-21      2       0       155,000   77.4%          9,700         2   ≥ $0.5000\n"
      "2026-11-22      1       1       400,000   25.0%         20,000         0       $4.00\n"
      "------------------------------------------------------------------------------------\n"
      "total           3       1       555,000   39.6%         29,700         2     ≥ $4.50\n") +
      kFailedNote + kUnknownNote + kCodexNote;
  EXPECT_EQ(render_usage_report(sample_turns(), options(UsageGrouping::day, k2026_11_21_0000)),
            expected);
}

TEST(UsageReport, ShowsAllUnpricedTurnsAsUnknownNeverAsZero) {
  std::vector<TurnRecord> turns = {
      turn("a", k2026_11_21_0800, "s", "c", "azure", "deploy-b", 1'000, 0, 10, 0, 0, 0,
           std::nullopt, 100, "end_turn"),
      turn("b", k2026_11_21_0800, "s", "c", "azure", "deploy-a", 2'000, 1'000, 20, 0, 0, 0,
           std::nullopt, 100, "end_turn")};
  EXPECT_EQ(render_usage_report(turns, options(UsageGrouping::model)),
            "Usage, all time, by model\n"
            "\n"
            "model     turns  input tokens  cached  output tokens  cost (USD)\n"
            "deploy-a      1         2,000   50.0%             20     unknown\n"
            "deploy-b      1         1,000    0.0%             10     unknown\n"
            "----------------------------------------------------------------\n"
            "total         2         3,000   33.3%             30     unknown\n"
            "\n"
            "2 turns have no price for their model (deploy-a, deploy-b); \"unknown\" and \"≥\" "
            "costs leave them out.\n"
            "Set prices in prices.toml or as CLAUDEGPT_PRICE_<MODEL>=input,cached_input,output.\n");
}

TEST(UsageReport, SaysSoWhenThereIsNothingToShow) {
  EXPECT_EQ(render_usage_report({}, {}), "Usage, all time, by day\n\nNo turns.\n");
  EXPECT_EQ(render_usage_report(sample_turns(), options(UsageGrouping::day, k2026_11_22_0005 + 1)),
            "Usage since 2026-11-22 00:05 UTC, by day\n\nNo turns.\n");
}

TEST(UsageReport, JsonHasStableKeysAndPlainNumbers) {
  std::string expected =
      "{\"since\":null,\"group_by\":\"model\",\"groups\":["
      "{\"key\":\"gpt-5.4-mini\",\"turns\":1,\"failed_requests\":1,"
      "\"failed_by_type\":{\"overloaded_error\":1},\"input_tokens\":40000,\"cached_tokens\":32000,"
      "\"output_tokens\":2200,\"reasoning_tokens\":800,\"web_searches\":0,\"web_fetches\":2,"
      "\"cost_usd\":0.0183,\"unknown_cost_turns\":0},"
      "{\"key\":\"gpt-5.5\",\"turns\":3,\"failed_requests\":0,\"failed_by_type\":{},"
      "\"input_tokens\":562000,\"cached_tokens\":228000,"
      "\"output_tokens\":30500,\"reasoning_tokens\":19500,\"web_searches\":3,\"web_fetches\":0,"
      "\"cost_usd\":4.579,\"unknown_cost_turns\":0},"
      "{\"key\":\"my-deploy\",\"turns\":1,\"failed_requests\":0,\"failed_by_type\":{},"
      "\"input_tokens\":5000,\"cached_tokens\":0,"
      "\"output_tokens\":700,\"reasoning_tokens\":0,\"web_searches\":0,\"web_fetches\":0,"
      "\"cost_usd\":null,\"unknown_cost_turns\":1}],"
      "\"totals\":{\"turns\":5,\"failed_requests\":1,"
      "\"failed_by_type\":{\"overloaded_error\":1},\"input_tokens\":607000,\"cached_tokens\":260000,"
      "\"output_tokens\":33400,\"reasoning_tokens\":20300,\"web_searches\":3,\"web_fetches\":2,"
      "\"cost_usd\":4.5973,\"unknown_cost_turns\":1}}\n";
  std::string json =
      render_usage_report(sample_turns(), options(UsageGrouping::model, std::nullopt, true));
  EXPECT_EQ(json, expected);
  boost::json::value parsed = boost::json::parse(json);  // and it is JSON
  EXPECT_EQ(parsed.at("groups").as_array().size(), 3u);
}

// GPT-5.6 turns report cache writes: the JSON then gives them in every group (0 included).
TEST(UsageReport, JsonGivesCacheWritesWhenSomeTurnWroteToTheCache) {
  std::vector<TurnRecord> turns = sample_turns();
  TurnRecord sol = turn("req_7", k2026_11_22_0005, "s", "c", "openai", "gpt-5.6-sol", 3438, 0, 9,
                        0, 0, 0, 0.0171912, 900, "end_turn");
  sol.cache_write_tokens = 3435;
  turns.push_back(sol);
  boost::json::value report = boost::json::parse(
      render_usage_report(turns, options(UsageGrouping::model, std::nullopt, true)));
  const boost::json::array& groups = report.at("groups").as_array();
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].at("key"), "gpt-5.4-mini");
  EXPECT_EQ(groups[0].at("cache_write_tokens"), 0);
  EXPECT_EQ(groups[2].at("key"), "gpt-5.6-sol");
  EXPECT_EQ(groups[2].at("cache_write_tokens"), 3435);
  EXPECT_EQ(report.at("totals").at("cache_write_tokens"), 3435);
  // (Without any, the key is left out: JsonHasStableKeysAndPlainNumbers.)
}

TEST(UsageReport, JsonGivesTheSinceTimeInIsoForm) {
  std::string json = render_usage_report(
      sample_turns(), options(UsageGrouping::day, k2026_11_22_0000, true));
  boost::json::value parsed = boost::json::parse(json);
  EXPECT_EQ(parsed.at("since").as_string(), "2026-11-22T00:00:00Z");
  EXPECT_EQ(parsed.at("groups").at(0).at("key").as_string(), "2026-11-22");
  EXPECT_EQ(parsed.at("totals").at("turns").as_int64(), 1);  // req_5; req_6 failed
  EXPECT_EQ(parsed.at("totals").at("failed_requests").as_int64(), 1);
}

TEST(UsageGrouping, ParsesWhatByTakes) {
  EXPECT_EQ(parse_usage_grouping("day"), UsageGrouping::day);
  EXPECT_EQ(parse_usage_grouping("model"), UsageGrouping::model);
  EXPECT_EQ(parse_usage_grouping("session"), UsageGrouping::session);
  EXPECT_EQ(parse_usage_grouping("cwd"), UsageGrouping::cwd);
  EXPECT_EQ(parse_usage_grouping("week"), std::nullopt);
  EXPECT_EQ(to_string(UsageGrouping::cwd), "cwd");
}

TEST(Formatting, GroupsThousandsAndPricesByMagnitude) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1'000), "1,000");
  EXPECT_EQ(format_count(1'234'567), "1,234,567");
  EXPECT_EQ(format_count(-12'345), "-12,345");
  EXPECT_EQ(format_usd(0), "$0.0000");
  EXPECT_EQ(format_usd(0.00005), "$0.0001");
  EXPECT_EQ(format_usd(0.065), "$0.0650");
  EXPECT_EQ(format_usd(0.99994), "$0.9999");
  EXPECT_EQ(format_usd(0.99996), "$1.00");
  EXPECT_EQ(format_usd(1), "$1.00");
  EXPECT_EQ(format_usd(1234.5), "$1,234.50");
  EXPECT_EQ(format_utc_day(k2026_11_21_235959), "2026-11-21");
  EXPECT_EQ(format_utc_time(k2026_11_21_235959), "2026-11-21 23:59:59");
  EXPECT_EQ(format_utc_time(0), "1970-01-01 00:00:00");
}

constexpr std::int64_t kNow = 1795517713000;  // 2026-11-24 10:55:13 UTC

TEST(ParseSince, TakesDurationsBeforeNow) {
  EXPECT_EQ(parse_since("7d", kNow), kNow - 7 * 86'400'000LL);
  EXPECT_EQ(parse_since("24h", kNow), kNow - 24 * 3'600'000LL);
  EXPECT_EQ(parse_since("30m", kNow), kNow - 30 * 60'000LL);
  EXPECT_EQ(parse_since("2w", kNow), kNow - 14 * 86'400'000LL);
  EXPECT_EQ(parse_since("365d", kNow), kNow - 365 * 86'400'000LL);
}

TEST(ParseSince, TakesUtcDatesAndTimes) {
  EXPECT_EQ(parse_since("2026-11-01", kNow), 1793491200000);
  EXPECT_EQ(parse_since("2026-11-01T08:30", kNow), 1793521800000);
  EXPECT_EQ(parse_since("2026-11-01T08:30Z", kNow), 1793521800000);
  EXPECT_EQ(parse_since("2026-11-01 08:30:00Z", kNow), 1793521800000);
  EXPECT_EQ(parse_since("2024-02-29", kNow), 1709164800000);
  EXPECT_EQ(parse_since("2026-11-24T10:55:13Z", 0), kNow);
}

TEST(ParseSince, RejectsAnythingElseSayingWhatItTakes) {
  for (const char* bad : {"", "7", "d", "7x", "-7d", "0d", "7.5d", "1000000d", "2026-13-01",
                          "2025-02-29", "2026-11-1", "2026/11/01", "2026-11-01T25:00",
                          "2026-11-01T08", "2026-11-01T08:30+01:00", "yesterday"}) {
    SCOPED_TRACE(bad);
    try {
      parse_since(bad, kNow);
      ADD_FAILURE() << "accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("--since: expected a duration (7d, 24h, 30m, 2w) or a UTC date "
                            "(2026-11-01, 2026-11-01T08:30Z), got \"") + bad + "\"");
    }
  }
}

TEST(TraceList, ShowsTheLastTurnsOldestFirstNewestLast) {
  // The three latest of the sample: req_4, req_5, req_6.
  EXPECT_EQ(render_trace_list(sample_turns(), 3),
            "time (UTC)           model              in     out     cost  latency  stop"
            "                     id\n"
            "2026-11-21 23:59:59  gpt-5.5       150,000   9,000  $0.5000    31.4s  end_turn"
            "                 req_4\n"
            "2026-11-22 00:00:00  gpt-5.5       400,000  20,000    $4.00    95.0s  max_tokens"
            "               req_5\n"
            "2026-11-22 00:05:00  gpt-5.4-mini        0       0  $0.0000     0.3s  error: "
            "overloaded_error  req_6\n");
}

TEST(TraceList, ShowsUnknownCostsAndMissingLatencies) {
  std::vector<TurnRecord> turns = {turn("req_x", k2026_11_21_0800, "s", "c", "azure", "my-deploy",
                                        5'000, 0, 700, 0, 0, 0, std::nullopt, -1, "")};
  EXPECT_EQ(render_trace_list(turns),
            "time (UTC)           model         in  out     cost  latency  stop  id\n"
            "2026-11-21 08:00:00  my-deploy  5,000  700  unknown        -  -     req_x\n");
}

TEST(TraceList, ListsEverythingWithoutALimitAndSaysWhenEmpty) {
  std::string all = render_trace_list(sample_turns());
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 7);
  EXPECT_LT(all.find("req_1"), all.find("req_2"));
  EXPECT_LT(all.find("req_3"), all.find("req_4"));
  EXPECT_EQ(render_trace_list({}), "No turns recorded yet.\n");
}

// What issue 14 saw: two questions, and a rate limit that Claude Code retried eight times.
// Each try is a ledger row; only the two answered requests are turns.
std::vector<TurnRecord> two_turns_and_eight_retries() {
  std::vector<TurnRecord> turns;
  turns.push_back(turn("req_a", k2026_11_21_0800, "s", "c", "openai", "gpt-5.5", 10'000, 0, 500,
                       0, 0, 0, 0.065, 3'000, "end_turn"));
  for (int i = 0; i < 8; ++i) {
    TurnRecord retry = turn("req_r" + std::to_string(i), k2026_11_21_0800 + 1'000 * (i + 1), "s",
                            "c", "openai", "gpt-5.5", 0, 0, 0, 0, 0, 0, 0.0, 120, "",
                            "rate_limit_error");
    retry.upstream_first_byte_ms = 110;  // the upstream answered: with a 429
    turns.push_back(retry);
  }
  turns.push_back(turn("req_b", k2026_11_21_0800 + 60'000, "s", "c", "openai", "gpt-5.5", 10'000,
                       0, 500, 0, 0, 0, 0.065, 3'000, "end_turn"));
  return turns;
}

TEST(UsageReport, RetriesOfARejectedRequestAreFailedRequestsNotTurns) {
  EXPECT_EQ(render_usage_report(two_turns_and_eight_retries(), options(UsageGrouping::model)),
            "Usage, all time, by model\n"
            "\n"
            "model    turns  failed  input tokens  cached  output tokens  cost (USD)\n"
            "gpt-5.5      2       8        20,000    0.0%          1,000     $0.1300\n"
            "-----------------------------------------------------------------------\n"
            "total        2       8        20,000    0.0%          1,000     $0.1300\n"
            "\n"
            "8 failed requests are not counted as turns (rate_limit_error ×8).\n"
            "The upstream did not answer them; Claude Code retries a failed request up to 10 "
            "times.\n");
  boost::json::value json = boost::json::parse(render_usage_report(
      two_turns_and_eight_retries(), options(UsageGrouping::model, std::nullopt, true)));
  EXPECT_EQ(json.at("totals").at("turns").as_int64(), 2);
  EXPECT_EQ(json.at("totals").at("failed_requests").as_int64(), 8);
  EXPECT_EQ(boost::json::serialize(json.at("totals").at("failed_by_type")),
            R"({"rate_limit_error":8})");
}

TEST(UsageReport, TheFailureFootnoteNamesEachErrorTypeMostFrequentFirst) {
  std::vector<TurnRecord> turns = two_turns_and_eight_retries();
  turns.push_back(turn("req_x", k2026_11_22_0000, "s", "c", "openai", "gpt-5.5", 0, 0, 0, 0, 0, 0,
                       0.0, 50, "", "authentication_error"));
  std::string report = render_usage_report(turns, {});
  EXPECT_NE(report.find("9 failed requests are not counted as turns (rate_limit_error ×8, "
                        "authentication_error).\n"),
            std::string::npos)
      << report;
}

TEST(UsageReport, NoFailedColumnOrFootnoteWhenEveryRequestWasAnswered) {
  std::vector<TurnRecord> turns = sample_turns();
  std::erase_if(turns, [](const TurnRecord& t) { return !t.error_type.empty(); });
  std::string report = render_usage_report(turns, {});
  EXPECT_EQ(report.find("failed"), std::string::npos) << report;
}

TEST(Answered, AnErrorIsNotATurnUnlessTheUserInterruptedAnAnswerThatWasArriving) {
  TurnRecord ok;
  EXPECT_TRUE(answered(ok));
  TurnRecord rejected;
  rejected.error_type = "rate_limit_error";
  rejected.upstream_first_byte_ms = 90;  // the 429's body
  EXPECT_FALSE(answered(rejected));
  TurnRecord interrupted;
  interrupted.error_type = "client_disconnected";
  interrupted.upstream_first_byte_ms = 800;
  EXPECT_TRUE(answered(interrupted));
  TurnRecord gave_up_waiting;  // Claude Code's own timeout, then a retry
  gave_up_waiting.error_type = "client_disconnected";
  EXPECT_FALSE(answered(gave_up_waiting));
}

TEST(UsageReport, AFailedRequestThatUsedNothingCostsNothingEvenWithoutAPrice) {
  // Retries rejected by an Azure deployment without a price: nothing was used, so the cost is
  // known (zero), not "unknown"; the answered turn on it still has no price.
  std::vector<TurnRecord> turns = {
      turn("a", k2026_11_21_0800, "s", "c", "azure", "my-deploy", 0, 0, 0, 0, 0, 0, std::nullopt,
           100, "", "rate_limit_error"),
      turn("b", k2026_11_21_0800 + 1, "s", "c", "azure", "my-deploy", 0, 0, 0, 0, 0, 0,
           std::nullopt, 100, "", "rate_limit_error")};
  std::string report = render_usage_report(turns, {});
  EXPECT_NE(report.find("total           0       2             0       -              0     $0.0000\n"),
            std::string::npos)
      << report;
  EXPECT_EQ(report.find("no price"), std::string::npos) << report;

  turns.push_back(turn("c", k2026_11_21_0800 + 2, "s", "c", "azure", "my-deploy", 1'000, 0, 10, 0,
                       0, 0, std::nullopt, 100, "end_turn"));
  report = render_usage_report(turns, {});
  EXPECT_NE(report.find("≥ $0.0000\n"), std::string::npos) << report;
  EXPECT_NE(report.find("1 turn has no price for its model (my-deploy)"), std::string::npos)
      << report;
}

TEST(Formatting, LocalMinutesFollowTheTimeZone) {
  {
    LocalTimeZone utc("UTC0");
    EXPECT_EQ(format_local_minute(k2026_11_21_235959), "2026-11-21 23:59");
  }
  LocalTimeZone east("XST-2");
  EXPECT_EQ(format_local_minute(k2026_11_21_235959), "2026-11-22 01:59");
}

}  // namespace
}  // namespace claudegpt
