#include "core/reasoning_signature.h"

namespace claudegpt {

namespace {
constexpr std::string_view kPrefix = "claudegpt.v1.";
}  // namespace

std::string wrap_reasoning_signature(std::string_view encrypted_content) {
  std::string signature;
  signature.reserve(kPrefix.size() + encrypted_content.size());
  signature.append(kPrefix);
  signature.append(encrypted_content);
  return signature;
}

std::optional<std::string_view> unwrap_reasoning_signature(std::string_view signature) {
  if (signature.size() <= kPrefix.size() || !signature.starts_with(kPrefix)) return std::nullopt;
  return signature.substr(kPrefix.size());
}

}  // namespace claudegpt
