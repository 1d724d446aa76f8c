// One /v1/messages exchange as the endpoint hands it to the relay: what the client asked, the
// translated request, and what the ledger row and the trace need to say about it. Internal to
// src/server/.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/request_translator.h"
#include "core/safety_judge.h"
#include "core/tool_catalog.h"

namespace claudegpt {

struct Exchange {
  std::string request_id;        // "req_…", also sent as the `request-id` header
  std::int64_t received_ms = 0;  // when the request arrived (Unix epoch ms), for the ledger
  std::chrono::steady_clock::time_point received;  // the same, for latency figures
  std::string client_model;      // as the client asked for it, echoed in the answer
  std::string upstream_model;
  std::string session_id;        // Claude Code's session (X-Claude-Code-Session-Id), may be ""
  bool client_wants_stream = false;
  ToolCatalog tools;             // maps function calls back, cleans their arguments
  RequestOptions options;        // the translation's, to continue the turn after web fetches
  std::int64_t max_tokens = 0;   // the client's, when the upstream may write past it: visible
                                 // output is cut there (0: no cut)
  int max_web_searches = 0;      // the client's web_search max_uses (0: no limit)
  int web_fetches = 0;           // WebFetch calls the proxy may perform in this turn

  // For the ledger row and the trace (turn_recorder.h).
  std::string cwd_tag;
  // What the session is about (TurnRecord::cwd, first_prompt), on the one request per session
  // and process that tells it (TurnRecorder::session_opening_wanted); "" on the others. The
  // prompt whole (bounded): the recorder masks secrets in it, then keeps its opening.
  std::string cwd, first_prompt;
  std::string effort, effort_reason;
  std::vector<std::string> not_forwarded;  // request fields the upstream did not get
  // Set when the proxy answers auto mode's safety check for this turn: every tool call the
  // response makes is judged (server/safety_judge_call.h), and the verdicts end the message.
  std::shared_ptr<const JudgeBrief> judge;
  std::int64_t filtered_tool_tokens = 0;
};

}  // namespace claudegpt
