// Claude Code's system prompt tells the model it is a named Claude model with a given
// knowledge cutoff. Behind claudegpt that is false; those lines are replaced by one true
// statement of the upstream model. Matching is by pattern (robust to new Claude versions);
// text where nothing matches is returned unchanged.
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

// "You are running on <model> (OpenAI GPT family) via claudegpt…" (+ the cutoff when known).
std::string identity_statement(std::string_view upstream_model, std::string_view cutoff);

// `text` with the Claude identity lines (model name, model ID, knowledge cutoff) replaced by
// `statement` (once, where the first of them stood).
std::string rewrite_identity(std::string_view text, std::string_view statement);

}  // namespace claudegpt
