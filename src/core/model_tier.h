// Claude Code asks for a Claude model; claudegpt routes by the tier word in its name so
// new Claude versions keep working ("claude-opus-5-5", "claude-sonnet-4-…", "haiku").
#pragma once

#include <string_view>

namespace claudegpt {

// fable is the family Claude Code 2.1.33x ranks above opus; mythos has the same rank
// (../shared/docs/claude-code-auto-mode.md §6), so both are one tier.
enum class ModelTier { opus, sonnet, haiku, fable, other };

// The tier named in `requested_model` (case-insensitive substring: opus, sonnet, haiku, then
// fable or mythos; Claude Code's alias `best` is opus), else `other`.
ModelTier tier_of(std::string_view requested_model);

// Whether `requested_model` is Claude's: "claude-…" in any case. A Claude name without a tier
// word is one the upstream does not know either, so it is never sent there as it is.
bool is_claude_model(std::string_view requested_model);

// The tier a request is answered on: its tier word; else, for a Claude name, `unknown_claude`;
// else `other` (a name that is not Claude's, e.g. "gpt-5.5" chosen with /model, passes through).
ModelTier routing_tier(std::string_view requested_model, ModelTier unknown_claude);

std::string_view to_string(ModelTier tier);

}  // namespace claudegpt
