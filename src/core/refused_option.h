// An optional request field the upstream refused, and what to send instead.
//
// Services differ in what they accept, and change: OpenAI answers 400 to reasoning.summary for
// organisations that are not verified; gpt-5-mini has no effort "xhigh", models before gpt-5.1
// no "none"; a non-reasoning model takes no `reasoning`; the Codex backend may refuse
// max_tool_calls or the web-search sources include (../shared/docs/real-services-2026.md,
// §1, §7, §8, §11). Rather than fail every turn, the proxy drops such a field (or steps an
// effort down), retries once, and remembers the refusal for the model (Provider).
//
// Only fields on an allow-list are ever changed, never the input, tools or instructions:
//   reasoning.summary, reasoning.effort (xhigh → high, none → minimal → low), reasoning (with
//   its encrypted_content include), include values (reasoning.encrypted_content,
//   web_search_call.action.sources), max_tool_calls, prompt_cache_retention, text.verbosity.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace claudegpt {

struct RefusedOption {
  std::string param;          // "reasoning.summary", "reasoning.effort", "include", …
  std::string refused_value;  // for reasoning.effort and include: the value refused
  std::string replacement;    // for reasoning.effort: the value to send instead ("" → none)

  bool operator==(const RefusedOption&) const = default;

  // "reasoning.summary", "reasoning.effort=xhigh→high", "include=web_search_call.action.sources".
  std::string describe() const;
};

// The option an upstream 400 `body` refuses, when it names one on the allow-list that `sent`
// (the request it answers) carries: OpenAI's {"error":{"param","code":unsupported_parameter |
// unsupported_value | invalid_value,…}}, the unverified-organisation message about reasoning
// summaries, or the Codex backend's {"detail":"Unsupported parameter: X"}. nullopt otherwise.
std::optional<RefusedOption> refused_option(std::string_view body, const boost::json::object& sent);

// Sends `body` without what `refusal` refused: the field dropped, the effort stepped down, the
// include value removed. Returns whether `body` changed (false: retrying is pointless).
bool apply_refusal(const RefusedOption& refusal, boost::json::object& body);

// Applies every refusal in `refusals` that concerns `body`; whether any changed it.
bool apply_refusals(const std::vector<RefusedOption>& refusals, boost::json::object& body);

}  // namespace claudegpt
