#include "core/reasoning_signature.h"

namespace claudegpt {

namespace {
constexpr std::string_view kPrefix = "claudegpt.v1.";
}  // namespace

std::string wrap_reasoning_signature(std::string_view model, std::string_view encrypted_content) {
  std::string signature;
  signature.reserve(kPrefix.size() + model.size() + 1 + encrypted_content.size());
  signature.append(kPrefix).append(model).append(":").append(encrypted_content);
  return signature;
}

std::optional<ReasoningSignature> unwrap_reasoning_signature(std::string_view signature) {
  if (!signature.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = signature.substr(kPrefix.size());
  // Model names may hold ':' (fine-tunes); the encrypted content never does.
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return std::nullopt;
  return ReasoningSignature{rest.substr(0, colon), rest.substr(colon + 1)};
}

}  // namespace claudegpt
