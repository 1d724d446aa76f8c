// The model names Claude Code shows and sends, pinned per tier to the upstream model.
//
// Claude Code 2.1.330 (read in its binary and measured in tmux, 2026-12-07) resolves each
// tier alias through ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU,FABLE}_MODEL and sends that id
// verbatim; `_NAME` and `_DESCRIPTION` label the tier's /model row; the welcome header takes
// its label from settings.json's modelPicker row whose `model` equals the id. /status prints
// ids only. So each tier gets an id that carries both the tier word (the proxy routes by it)
// and the upstream model ("claude-opus-gpt-5.5"), and a label ("GPT-5.5 (opus tier)").
// ANTHROPIC_DEFAULT_MODEL is a default that a /model choice (saved in settings.json) beats,
// unlike ANTHROPIC_MODEL, which overrides the choice in every new session.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/settings.h"

namespace claudegpt {

struct TierModel {
  std::string tier;         // opus | sonnet | haiku | fable
  std::string id;           // what Claude Code sends: "claude-opus-gpt-5.5"
  std::string label;        // "GPT-5.5 (opus tier)"
  std::string description;  // "gpt-5.5 on OpenAI, through claudegpt"
  // The Claude model whose client handling the id borrows (modelPicker's behavesAs): for an id
  // it does not know, Claude Code 2.1.330 asks effort "high" and max_tokens 32000 and prints
  // "[claude-code:unrecognized_model]" on stderr in print mode; with behavesAs set to the
  // tier's own Claude id it asks what it asks that model for (effort "medium", max_tokens
  // 128000), as before the pins (measured in print mode, 2026-12-07).
  std::string behaves_as;   // "claude-opus-5-5"
};

// One per tier, opus first, for `settings`' provider and models: opus, sonnet, haiku, and
// fable (the tier above opus) only when it answers otherwise than opus (its own model,
// effort, cutoff or window); by default it is opus's, and /model keeps three rows.
std::vector<TierModel> tier_models(const Settings& settings);

// The row of `tier` in `models`; opus's (the first) when the tier has none (fable).
const TierModel& tier_row(const std::vector<TierModel>& models, ModelTier tier);

// The variables that pin them: ANTHROPIC_DEFAULT_<TIER>_MODEL (+ _NAME, _DESCRIPTION) for each
// tier, FABLE to the fable tier's row (opus's when it has none), and ANTHROPIC_DEFAULT_MODEL:
// the configured default tier's id, else opus's (Claude Code's own default for API users,
// named so that the header can label it).
std::vector<std::pair<std::string, std::string>> model_pin_environment(const Settings& settings);

// The id Claude Code sends for `tier` ("opus", …) when nothing pins it: "claude-opus-5-5"
// (2.1.330, measured), "claude-fable-5-2" (2.1.332's alias table).
std::string claude_model_id(std::string_view tier);

}  // namespace claudegpt
