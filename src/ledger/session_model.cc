#include "ledger/session_model.h"

namespace claudegpt {

std::optional<std::string> session_model(const std::vector<TurnRecord>& latest,
                                         std::string_view client_model, std::string_view tier,
                                         std::string_view configured_provider) {
  const TurnRecord* newest = nullptr;
  const TurnRecord* same_model = nullptr;
  const TurnRecord* same_tier = nullptr;
  const bool named_tier = tier == "opus" || tier == "sonnet" || tier == "haiku" || tier == "fable";
  for (const TurnRecord& turn : latest) {
    if (!newest || turn.time_ms > newest->time_ms) newest = &turn;
    if (turn.client_model == client_model && (!same_model || turn.time_ms > same_model->time_ms))
      same_model = &turn;
    if (named_tier && turn.tier == tier && (!same_tier || turn.time_ms > same_tier->time_ms))
      same_tier = &turn;
  }
  if (same_model) return same_model->upstream_model;
  if (same_tier) return same_tier->upstream_model;
  if (newest && newest->provider != configured_provider) return newest->upstream_model;
  return std::nullopt;
}

}  // namespace claudegpt
