#include "core/known_models.h"

#include <cctype>

namespace claudegpt {
namespace {

// `model` is `name` or `name` followed by a snapshot date, "-YYYY-MM-DD".
bool is_model(std::string_view model, std::string_view name) {
  if (!model.starts_with(name)) return false;
  std::string_view rest = model.substr(name.size());
  if (rest.empty()) return true;
  if (rest.size() != 11 || rest[0] != '-' || rest[5] != '-' || rest[8] != '-') return false;
  for (std::size_t i : {1, 2, 3, 4, 6, 7, 9, 10})
    if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
  return true;
}

}  // namespace

std::vector<RefusedOption> known_refusals(std::string_view model) {
  const RefusedOption no_xhigh{"reasoning.effort", "xhigh", "high"};
  for (std::string_view name : {"gpt-5", "gpt-5-mini", "gpt-5-nano"})
    if (is_model(model, name)) return {no_xhigh, {"reasoning.effort", "none", "minimal"}};
  if (is_model(model, "gpt-5.1")) return {no_xhigh, {"reasoning.effort", "minimal", "low"}};
  if (is_model(model, "gpt-5.3-codex-spark")) return {{"reasoning.summary", "", ""}};
  for (std::string_view name : {"gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini"})
    if (is_model(model, name)) return {{"reasoning", "", ""}};
  return {};
}

}  // namespace claudegpt
