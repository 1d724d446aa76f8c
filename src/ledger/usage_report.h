// What `claudegpt usage` and `claudegpt traces` print, from ledger rows. Pure: the rows, the
// options and (for --since) the current time come in; text comes out. (`claudegpt traces show`
// is trace_summary.h; the status line's model is session_model.h.)
//
// `claudegpt usage` prints one row per group and a total:
//
//   Usage since 2026-11-21 00:00 UTC, by day
//
//   day         turns  failed  input tokens  cached  output tokens  searches  cost (USD)
//   2026-11-21      2       0       155,000   77.4%          9,700         2   ≥ $0.5000
//   2026-11-22      1       8       400,000   25.0%         20,000         0       $4.00
//   ------------------------------------------------------------------------------------
//   total           3       8       555,000   39.6%         29,700         2     ≥ $4.50
//
//   8 failed requests are not counted as turns (rate_limit_error ×8).
//   The upstream did not answer them; Claude Code retries a failed request up to 10 times.
//
//   1 turn has no price for its model (my-deploy); "unknown" and "≥" costs leave it out.
//   Set prices in prices.toml or as CLAUDEGPT_PRICE_<MODEL>=input,cached_input,output.
//
//   Codex turns are priced at API rates: what they would have cost on the API, not a bill
//   (a ChatGPT subscription is not charged per token).
//
// - Groups: day (UTC, YYYY-MM-DD, oldest first), or model (the upstream model or Azure
//   deployment) or cwd (the cwd tag), those by name, or session (below); a missing one shows
//   as "(none)". Numbers are right-aligned with thousands separators.
// - "turns" counts the requests the upstream answered (answered() in turn_record.h). The
//   others are failed requests: the failed column and a footnote with their error types
//   appear only when there are some. Their tokens and costs (rarely any) are in the sums.
// - "cached" is the cached share of the input tokens ("-" when there was no input).
// - The searches and fetches columns appear only when some turn in the report has one.
// - Cost: the sum of the costs stored in the rows (priced when each turn ran), as "$0.0650"
//   (4 decimals under $1, 2 from $1 on: "$1,234.50"). Turns whose model had no price never
//   count as 0: a group whose turns all lack a price shows "unknown"; one where only some do
//   shows "≥ $X", X the sum of the known costs (a lower bound). A footnote then names the
//   models without a price and how to give them one. (A failed request that used no tokens
//   cost nothing, price or not.) Another says that codex turns are API-equivalent values,
//   when there are some.
// - By session, each session is told by when it started (its first turn, local time), its
//   folder (Claude Code's working directory, "~" for the home directory, shortened from the
//   left; the cwd tag when the ledger has no directory for it) and the opening of its first
//   prompt, oldest session first; its id, for `claudegpt --resume`, comes last:
//
//     started (local)   folder           first prompt                  turns  …  session
//     2026-11-20 10:15  ~/src/claudegpt  fix the failing ledger test…      2  …  5b0c2d7e-…
//
// --json prints one object on one line, with stable keys (numbers as numbers, costs in USD
// as fixed-point with at most 6 decimals):
//   {"since": "2026-11-21T00:00:00Z" | null, "group_by": "day",
//    "groups": [{"key": "2026-11-20", "turns": 2, "failed_requests": 8,
//                "failed_by_type": {"rate_limit_error": 8}, "input_tokens": 12000,
//                "cached_tokens": 6000, "output_tokens": 3400, "reasoning_tokens": 1200,
//                "web_searches": 1, "web_fetches": 0, "cost_usd": 0.065,
//                "unknown_cost_turns": 0}, …],
//    "totals": {the same keys but "key"}}
//   with "cache_write_tokens" after "cached_tokens" in every group when some turn of the
//   report wrote to the prompt cache (GPT-5.6 and later report it; its cost is in cost_usd).
//   cost_usd sums the known costs, null when no turn in the group has one; when
//   unknown_cost_turns > 0 and cost_usd is a number, it is a lower bound. By session, each
//   group also has "started" (UTC, "2026-11-20T09:15:00Z"), "cwd", "cwd_tag" and
//   "first_prompt" ("" when unknown), and the groups come in the table's order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/turn_record.h"

namespace claudegpt {

enum class UsageGrouping { day, model, session, cwd };

// "day" | "model" | "session" | "cwd" (what --by takes); nullopt for anything else.
std::optional<UsageGrouping> parse_usage_grouping(std::string_view text);
std::string_view to_string(UsageGrouping grouping);

struct UsageReportOptions {
  std::optional<std::int64_t> since_ms;  // only turns at or after this time (Unix epoch ms)
  UsageGrouping group_by = UsageGrouping::day;
  bool json = false;
  // --by session: what the ledger knows of each session, beyond the report's window too
  // (UsageLedger::session_openings). A session missing here is told from its turns.
  std::map<std::string, SessionOpening> sessions;
  // The home directory, shown as "~" at the start of a folder ("": folders as they are).
  std::string home;
};

// The report for `turns` (any order). Ends with a newline.
std::string render_usage_report(const std::vector<TurnRecord>& turns,
                                const UsageReportOptions& options);

// The time a --since value names, Unix epoch ms: "7d", "24h", "30m", "2w" (that long before
// `now_ms`), or a UTC date "2026-11-01" (its midnight) or date and time "2026-11-01T08:30",
// "2026-11-01T08:30:00Z". Throws std::invalid_argument saying what is accepted.
std::int64_t parse_since(std::string_view text, std::int64_t now_ms);

// The same forward in time, for `claudegpt keys create --expires`: "90d", "12w", "24h" (that
// long after `now_ms`) or a UTC date or date and time as above.
std::int64_t parse_until(std::string_view text, std::int64_t now_ms);

// `claudegpt traces [--last N]`: one line per turn, oldest first, newest last; with `last` > 0
// only the `last` most recent. Columns: time (UTC), model, input and output tokens, cost, latency
// (done_ms, in seconds), stop reason ("error: <type>" for failed turns), and the id that
// `claudegpt traces show ID` takes. Ends with a newline; "No turns recorded yet.\n" when empty.
std::string render_trace_list(const std::vector<TurnRecord>& turns, std::size_t last = 0);

// Shared formatting, also for the trace summary and the status line.
std::string format_count(std::int64_t n);           // 1234567 → "1,234,567"
std::string format_usd(double usd);                 // 0.065 → "$0.0650", 1234.5 → "$1,234.50"
std::string format_utc_day(std::int64_t time_ms);   // → "2026-11-20"
std::string format_utc_time(std::int64_t time_ms);  // → "2026-11-20 14:03:07"
std::string format_local_minute(std::int64_t time_ms);  // local time: "2026-11-20 15:03"

}  // namespace claudegpt
