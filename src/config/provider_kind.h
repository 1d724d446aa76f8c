// Which upstream service claudegpt talks to (CLAUDEGPT_PROVIDER). An enum rather than the
// setting's text, so that a misspelt name fails to compile instead of never matching.
#pragma once

#include <optional>
#include <string_view>

namespace claudegpt {

enum class ProviderKind { openai, azure, codex };

// "openai", "azure" or "codex": the value of CLAUDEGPT_PROVIDER, and what the ledger, the
// traces, /health and the messages show.
std::string_view to_string(ProviderKind provider);

// The provider `name` spells (exactly as to_string does), else nullopt.
std::optional<ProviderKind> parse_provider_kind(std::string_view name);

}  // namespace claudegpt
