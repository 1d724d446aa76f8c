// The usage ledger's rows for one turn: the turn's own, from what the exchange asked and how
// the answer went, and one for each paid call the proxy made for it (a page extraction, an
// auto-mode judgement). Plain data in, rows out. Internal to src/server/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "core/api_error.h"
#include "core/codex_rate_limits.h"
#include "core/stream_translator.h"
#include "ledger/turn_record.h"
#include "server/exchange.h"

namespace claudegpt {

struct WebFetchResult;
struct JudgeOutcome;

// How a turn went, as the relay knows it at the end.
struct TurnOutcome {
  TurnUsage usage;
  CodexRateLimits rate_limits;   // the newest the Codex backend reported
  std::int64_t upstream_first_byte_ms = -1, client_first_byte_ms = -1, done_ms = 0;
  int chain_rounds = 0;          // upstream requests that continued it after web fetches
  bool client_left = false;
  std::optional<ApiError> failure;
};

TurnRecord turn_row(const Exchange& exchange, const Settings& settings, const TurnOutcome& outcome);

// The side calls' rows, ids `<turn>-extract-N` and `<turn>-judge-N`.
std::vector<TurnRecord> side_call_rows(const TurnRecord& turn, const std::vector<WebFetchResult>& extractions,
                                       const std::vector<const JudgeOutcome*>& judgements,
                                       const std::string& judge_effort);

}  // namespace claudegpt
