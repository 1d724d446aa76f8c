// Claude Code's auto-mode safety check, as the server's side of it: the request's
// `safeguards` field in, the response's `safeguard_results` out. Pure.
//
// In auto mode every main-loop and subagent request carries
//   "safeguards": [{"type": "dangerous_tool_use", "classifier_context": {...}}]
// (the user's permission rules, settings.autoMode lists, trusted dirs, git state, and the ids
// of calls the check refused before). Every response to such a request must end with one
// verdict per tool_use it contains, in the message_delta's `delta` (top-level in a
// non-streamed Message), before message_stop:
//   "safeguard_results": [{"type": "dangerous_tool_use",
//                          "status": {"type": "available", "tool_uses": {"<id>": verdict}}}]
// and `"tool_uses": {}` for a response without calls. A response without results, or with
// status "unsupported", makes the client stop sending the field for the whole session and ask
// the user about every action. Source: the client's own code, as measured in
// shared/docs/claude-code-auto-mode.md §2 (Claude Code 2.1.332, read 2026-12-06).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace claudegpt {

// The dangerous_tool_use entry of a request's `safeguards`.
struct SafeguardRequest {
  boost::json::object classifier_context;  // versioned ("v": 1), read leniently
};

// Removes `safeguards` (and the 2.1.337 `classifier_tool_calls` that goes with it) from a
// Messages request; returns the dangerous_tool_use entry when there was one. A field of the
// wrong shape is removed and counts as absent.
std::optional<SafeguardRequest> take_safeguards(boost::json::object& anthropic_request);

// One call's verdict.
struct SafetyVerdict {
  enum class Kind { allowed, flagged, unavailable };
  Kind kind = Kind::unavailable;
  // flagged: "[Rule Name] one sentence", shown to the model and the user.
  std::string explanation;
  // The user's settings.autoMode entry that decided it: "auto_mode.allow.N" (allowed) or
  // "auto_mode.soft_deny.N" (flagged); "" when none did.
  std::string cited_rule;
  // unavailable: "timeout" | "error". Claude Code 2.1.332 through a gateway then does not run
  // the call ("auto mode's check had no usable answer"), and judges the next calls again.
  std::string reason = "error";

  static SafetyVerdict allowed(std::string cited_rule = {});
  static SafetyVerdict flagged(std::string explanation, std::string cited_rule = {});
  static SafetyVerdict unavailable(std::string reason);
};

// The `safeguard_results` value for the verdicts of one response, by tool_use id (in the
// order the calls were made).
boost::json::array safeguard_results(const std::vector<std::pair<std::string, SafetyVerdict>>& verdicts);

// The message Claude Code recognises as "this server does not run the check" (a 400
// invalid_request_error): it then drops the field for the session.
// Matches the client's /^(?:body\.)?safeguards(?:\.\w+)*:/ (auto-mode doc §2.4).
inline constexpr const char* kSafeguardsDeclined = "safeguards: Extra inputs are not permitted";

}  // namespace claudegpt
