// Claude Code's system prompt tells the model it is a named Claude model with a given
// knowledge cutoff. Behind claudegpt that is false; those sentences are replaced by one true
// statement of the upstream model. Matching is by pattern, robust to new Claude versions:
//   "You are powered by …."            (any model name: "Opus 4.8 (1M context)", "Sonnet 4")
//   "The exact model ID is …."          (any id: "claude-opus-5-5", "claude-opus-4-8[1m]")
//   "<a word or two> knowledge cutoff is …." / "… cutoff date is …" / "Knowledge cutoff: …"
// whether they share one line (2.1.330, 1.0.6) or are bullets of their own (2.1.197; a bullet
// left empty is removed). Text where nothing matches is returned unchanged.
//
// The product identity ("You are Claude Code, Anthropic's official CLI for Claude.", "You are
// a Claude agent, built on Anthropic's Claude Agent SDK.") is kept: it names the harness the
// model works in, and the prompt's instructions are written for it.
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

// "You are running on <model> (OpenAI GPT family) via claudegpt, …" (+ the cutoff when known).
std::string identity_statement(std::string_view upstream_model, std::string_view cutoff);

// `text` with the Claude identity sentences (model name, model ID, knowledge cutoff) replaced
// by `statement` (once, where the first of them stood).
std::string rewrite_identity(std::string_view text, std::string_view statement);

}  // namespace claudegpt
