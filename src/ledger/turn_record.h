// What one turn (one /v1/messages exchange) cost and how it went: a row of the usage ledger,
// and the summary part of its trace. Plain data, filled by the relay at the end of a turn.
// Also what a session's rows tell of it (SessionOpening).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/codex_rate_limits.h"  // (the plain struct only: no link to claudegpt_core)

namespace claudegpt {

struct TurnRecord {
  std::string id;              // the request id ("req_…"), also the trace's id
  std::int64_t time_ms = 0;    // when the request arrived, Unix epoch milliseconds (UTC)
  std::string session_id;      // Claude Code's session (may be empty)
  std::string cwd_tag;         // readable slug of Claude Code's working directory + short hash
  std::string provider;        // openai | azure | codex
  std::string tier;            // opus | sonnet | haiku | fable | other
  std::string client_model;    // as Claude Code asked ("claude-opus-5-5")
  std::string upstream_model;  // the model (or Azure deployment) that answered
  std::string effort;          // reasoning.effort sent, and why
  std::string effort_reason;

  // Usage, as the upstream reported it (summed over the turn's upstream responses).
  std::int64_t input_tokens = 0;      // all input, cache reads and writes included
  std::int64_t cached_tokens = 0;     // read from the prompt cache
  std::int64_t cache_write_tokens = 0;  // written to it (GPT-5.6 and later report them)
  std::int64_t output_tokens = 0;     // reasoning included
  std::int64_t reasoning_tokens = 0;
  int web_searches = 0;
  int web_fetches = 0;
  std::optional<double> cost_usd;     // unknown model price: nullopt (never 0)
  // Codex: the plan's usage windows as the turn's last upstream response reported them (its
  // x-codex-* headers; empty on other backends). What the status line shows, from the newest
  // row that has them: they are the account's, whichever session read them.
  CodexRateLimits rate_limits;

  // Latency, milliseconds from the request's arrival (-1: did not happen).
  std::int64_t upstream_first_byte_ms = -1;
  std::int64_t client_first_byte_ms = -1;
  std::int64_t done_ms = -1;

  std::string stop_reason;     // end_turn, tool_use, max_tokens, … ("" when it failed)
  std::string error_type;      // Anthropic error type when it failed ("" otherwise)
  int chain_rounds = 0;        // upstream responses beyond the first (server-side tool rounds)

  // What the session is about, for `claudegpt usage --by session`: on one row per session and
  // proxy process, the first whose request names a working directory and has a prompt; "" on
  // the others (TurnRecorder::session_opening_wanted). Traces on or off.
  std::string cwd;             // Claude Code's working directory, as its request names it
  std::string first_prompt;    // the opening of the user's first prompt (first_user_prompt)
};

// Whether the upstream answered this request, making it a turn: it has no error, or the client
// went away while the answer was arriving (the user interrupted it). A request the upstream
// rejected or never answered is not a turn: Claude Code retries a failed request up to 10
// times, and each try is a row of its own, so counting them would count one question ten times.
inline bool answered(const TurnRecord& turn) {
  return turn.error_type.empty() ||
         (turn.error_type == "client_disconnected" && turn.upstream_first_byte_ms >= 0);
}

// What tells one Claude Code session from another in a report: when it started, in which
// folder, and what the user asked first (session ids are UUIDs nobody remembers). Read from
// the session's rows (UsageLedger::session_openings).
struct SessionOpening {
  std::int64_t started_ms = 0;  // the session's first turn, Unix epoch ms
  std::string cwd_tag;          // that turn's cwd tag (rows before the cwd column have only it)
  std::string cwd;              // Claude Code's working directory, "" when not recorded
  std::string first_prompt;     // the opening of the user's first prompt, "" when not recorded
};

}  // namespace claudegpt
