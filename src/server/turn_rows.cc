#include "server/turn_rows.h"

#include "core/model_tier.h"
#include "server/safety_judge_call.h"
#include "server/web_fetch_tool.h"

namespace claudegpt {

TurnRecord turn_row(const Exchange& exchange, const Settings& settings, const TurnOutcome& outcome) {
  TurnRecord r;
  r.id = exchange.request_id;
  r.time_ms = exchange.received_ms;
  r.session_id = exchange.session_id;
  r.cwd_tag = exchange.cwd_tag;
  r.cwd = exchange.cwd;
  r.first_prompt = exchange.first_prompt;
  r.provider = std::string(to_string(settings.provider));  // the ledger keeps the text
  r.tier = std::string(to_string(settings.tier_for(exchange.client_model)));
  r.client_model = exchange.client_model;
  r.upstream_model = exchange.upstream_model;
  r.effort = exchange.effort;
  r.effort_reason = exchange.effort_reason;
  const TurnUsage& usage = outcome.usage;
  r.input_tokens = usage.input_tokens;
  r.cached_tokens = usage.cached_tokens;
  r.cache_write_tokens = usage.cache_write_tokens;
  r.rate_limits = outcome.rate_limits;
  r.output_tokens = usage.output_tokens;
  r.reasoning_tokens = usage.reasoning_tokens;
  r.web_searches = usage.web_searches;
  r.web_fetches = usage.web_fetches;
  r.upstream_first_byte_ms = outcome.upstream_first_byte_ms;
  r.client_first_byte_ms = outcome.client_first_byte_ms;
  r.done_ms = outcome.done_ms;
  r.stop_reason = usage.stop_reason;
  r.chain_rounds = outcome.chain_rounds;
  if (outcome.client_left) r.error_type = "client_disconnected";
  else if (outcome.failure) r.error_type = outcome.failure->type;
  return r;
}

std::vector<TurnRecord> side_call_rows(const TurnRecord& turn, const std::vector<WebFetchResult>& extractions,
                                       const std::vector<const JudgeOutcome*>& judgements,
                                       const std::string& judge_effort) {
  auto side_call = [&turn](std::string id, std::string model, std::string effort, const char* what, bool answered) {
    TurnRecord row;
    row.id = std::move(id);
    row.time_ms = turn.time_ms;
    row.session_id = turn.session_id;
    row.cwd_tag = turn.cwd_tag;
    row.provider = turn.provider;
    row.tier = std::string(to_string(tier_of(model)));
    row.client_model = std::string("(") + what + ")";
    row.upstream_model = std::move(model);
    row.effort = std::move(effort);
    row.effort_reason = what;
    row.stop_reason = answered ? "end_turn" : "";
    row.error_type = answered ? "" : "api_error";
    return row;
  };
  std::vector<TurnRecord> rows;
  int n = 0;
  for (const WebFetchResult& extraction : extractions) {
    TurnRecord row = side_call(turn.id + "-extract-" + std::to_string(++n), extraction.extraction_model, "low",
                               "web fetch extraction", extraction.extracted);
    row.input_tokens = extraction.extraction_input_tokens;
    row.cached_tokens = extraction.extraction_cached_tokens;
    row.output_tokens = extraction.extraction_output_tokens;
    row.reasoning_tokens = extraction.extraction_reasoning_tokens;
    rows.push_back(std::move(row));
  }
  n = 0;
  for (const JudgeOutcome* judged : judgements) {
    TurnRecord row = side_call(turn.id + "-judge-" + std::to_string(++n), judged->model, judge_effort,
                               "auto-mode judge", judged->verdict.kind != SafetyVerdict::Kind::unavailable);
    row.input_tokens = judged->input_tokens;
    row.cached_tokens = judged->cached_tokens;
    row.output_tokens = judged->output_tokens;
    row.reasoning_tokens = judged->reasoning_tokens;
    row.done_ms = judged->ms;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace claudegpt
