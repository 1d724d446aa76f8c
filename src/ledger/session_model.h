// Which upstream model answers a Claude Code session: what `claudegpt statusline` names.
// Pure: the session's rows come from the ledger (UsageLedger::latest_turn_per_model).
//
// The configuration alone cannot say: `claudegpt setup` in another terminal may have mapped a
// tier elsewhere, or switched backends, since the session's proxy started, and that proxy goes
// on with what it read then. The ledger says what actually answered.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/turn_record.h"

namespace claudegpt {

// `latest` is the session's latest turn per client model, `client_model` Claude Code's current
// model (the status line's model.id) and `tier` its tier (opus, sonnet, haiku, fable or other).
// The model that answered the latest turn on that client model, else on that tier (the four
// named ones only); failing both, when the session ran on another provider than
// `configured_provider`, the model of its latest turn, since the configuration no longer says
// what its proxy uses. nullopt otherwise (no turn yet, or a model the session has not used on
// the configured backend): the caller names the model the configuration maps `client_model` to.
std::optional<std::string> session_model(const std::vector<TurnRecord>& latest,
                                         std::string_view client_model, std::string_view tier,
                                         std::string_view configured_provider);

}  // namespace claudegpt
