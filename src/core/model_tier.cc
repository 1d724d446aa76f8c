#include "core/model_tier.h"

#include <algorithm>
#include <cctype>

namespace claudegpt {

namespace {

bool lower_equal(char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }

bool contains_ignoring_case(std::string_view text, std::string_view word) {
  return std::search(text.begin(), text.end(), word.begin(), word.end(), lower_equal) != text.end();
}

bool equals_ignoring_case(std::string_view text, std::string_view word) {
  return std::equal(text.begin(), text.end(), word.begin(), word.end(), lower_equal);
}

}  // namespace

ModelTier tier_of(std::string_view requested_model) {
  if (contains_ignoring_case(requested_model, "opus")) return ModelTier::opus;
  if (contains_ignoring_case(requested_model, "sonnet")) return ModelTier::sonnet;
  if (contains_ignoring_case(requested_model, "haiku")) return ModelTier::haiku;
  if (contains_ignoring_case(requested_model, "fable") || contains_ignoring_case(requested_model, "mythos"))
    return ModelTier::fable;
  // Claude Code resolves its aliases before sending, `best` to opus (the doc's alias table);
  // a client that sends the alias itself means the same.
  if (equals_ignoring_case(requested_model, "best") || equals_ignoring_case(requested_model, "best[1m]"))
    return ModelTier::opus;
  return ModelTier::other;
}

bool is_claude_model(std::string_view requested_model) {
  return requested_model.size() >= 7 && equals_ignoring_case(requested_model.substr(0, 7), "claude-");
}

ModelTier routing_tier(std::string_view requested_model, ModelTier unknown_claude) {
  ModelTier tier = tier_of(requested_model);
  if (tier == ModelTier::other && is_claude_model(requested_model)) return unknown_claude;
  return tier;
}

std::string_view to_string(ModelTier tier) {
  switch (tier) {
    case ModelTier::opus: return "opus";
    case ModelTier::sonnet: return "sonnet";
    case ModelTier::haiku: return "haiku";
    case ModelTier::fable: return "fable";
    case ModelTier::other: break;
  }
  return "other";
}

}  // namespace claudegpt
