#include "core/model_tier.h"

#include <algorithm>
#include <cctype>

namespace claudegpt {

namespace {

bool contains_ignoring_case(std::string_view text, std::string_view word) {
  auto lower_equal = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  };
  return std::search(text.begin(), text.end(), word.begin(), word.end(), lower_equal) != text.end();
}

}  // namespace

ModelTier tier_of(std::string_view requested_model) {
  if (contains_ignoring_case(requested_model, "opus")) return ModelTier::opus;
  if (contains_ignoring_case(requested_model, "sonnet")) return ModelTier::sonnet;
  if (contains_ignoring_case(requested_model, "haiku")) return ModelTier::haiku;
  return ModelTier::other;
}

std::string_view to_string(ModelTier tier) {
  switch (tier) {
    case ModelTier::opus: return "opus";
    case ModelTier::sonnet: return "sonnet";
    case ModelTier::haiku: return "haiku";
    case ModelTier::other: break;
  }
  return "other";
}

}  // namespace claudegpt
