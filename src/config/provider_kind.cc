#include "config/provider_kind.h"

namespace claudegpt {

std::string_view to_string(ProviderKind provider) {
  switch (provider) {
    case ProviderKind::openai: return "openai";
    case ProviderKind::azure: return "azure";
    case ProviderKind::codex: return "codex";
  }
  return "openai";  // not reached: the switch covers every value
}

std::optional<ProviderKind> parse_provider_kind(std::string_view name) {
  for (ProviderKind provider : {ProviderKind::openai, ProviderKind::azure, ProviderKind::codex})
    if (name == to_string(provider)) return provider;
  return std::nullopt;
}

}  // namespace claudegpt
