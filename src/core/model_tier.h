// Claude Code asks for a Claude model; claudegpt routes by the tier word in its name so
// new Claude versions keep working ("claude-opus-5-5", "claude-sonnet-4-…", "haiku").
#pragma once

#include <string_view>

namespace claudegpt {

enum class ModelTier { opus, sonnet, haiku, other };

// The tier named in `requested_model` (case-insensitive substring), else `other`: a name
// without a tier word is passed upstream as it is.
ModelTier tier_of(std::string_view requested_model);

std::string_view to_string(ModelTier tier);

}  // namespace claudegpt
