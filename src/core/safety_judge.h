// The proxy's judge for Claude Code's auto mode: for each tool call a response makes, a small
// upstream model is asked whether it may run without the user (safeguards.h carries the
// verdict back). Pure: the request to ask it with, and the reading of its answer.
//
// The prompt is claudegpt's own. The judge sees what Claude Code's own classifier sees: the
// user's messages and the agent's earlier tool calls (never tool results or the agent's
// prose, which a page or a file could have written), the call, and the classifier_context:
// working and trusted directories, git state, the user's permission rules and settings.autoMode
// lists (their allow and soft_deny entries override the defaults, and a verdict they decide
// cites them), and the calls refused earlier in the session.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/safeguards.h"

namespace claudegpt {

// What the judge needs of a turn, taken from the request when it arrives (the request itself
// is let go before the response streams). Bounded: about 40 KB whatever the conversation.
struct JudgeBrief {
  std::string transcript;        // JSONL: {"user": "…"} and {"<Tool>": input} lines, oldest
                                 // first; the first user line is kept when older ones are cut
  std::string setting;           // the classifier_context as the judge reads it
  std::size_t allow_rules = 0;   // entries of auto_mode.allow and auto_mode.soft_deny, to
  std::size_t block_rules = 0;   // check the rule a verdict cites
};

JudgeBrief judge_brief(const boost::json::object& anthropic_request, const SafeguardRequest& safeguards);

// A tool call of the response being judged.
struct JudgedCall {
  std::string id;
  std::string name;
  boost::json::object input;
};

// The first line of the judge's instructions: how the judge's requests are told apart from
// the turn's own (the tests' fake upstream answers them from a script).
inline constexpr std::string_view kJudgeFirstLine = "You are claudegpt's safety judge.";

// A streaming Responses request asking `model` about `call`; `before` are the calls the same
// response made before it (context: a download, then running it).
boost::json::object judge_request(const JudgeBrief& brief, const JudgedCall& call,
                                  const std::vector<JudgedCall>& before, std::string_view model,
                                  std::string_view effort);

// The verdict in the judge's answer text; unavailable("error") when it gives none.
SafetyVerdict read_judge_answer(std::string_view answer, const JudgeBrief& brief);

}  // namespace claudegpt
