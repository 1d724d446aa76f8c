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

std::string lowest_effort(std::string_view model) {
  std::string effort = "none";
  const std::vector<RefusedOption> refusals = known_refusals(model);
  for (bool stepped = true; stepped;) {
    stepped = false;
    for (const RefusedOption& refusal : refusals)
      if (refusal.param == "reasoning.effort" && refusal.refused_value == effort &&
          !refusal.replacement.empty()) {
        effort = refusal.replacement;
        stepped = true;
      }
  }
  return effort;
}

bool known_not_to_reason(std::string_view model) {
  for (const RefusedOption& refusal : known_refusals(model))
    if (refusal.param == "reasoning") return true;
  return false;
}

std::int64_t output_token_limit(std::string_view model) {
  if (model.starts_with("gpt-5")) return 128'000;
  if (model.size() > 1 && model[0] == 'o' && std::isdigit(static_cast<unsigned char>(model[1])))
    return 100'000;
  if (model.starts_with("gpt-4.1")) return 32'768;
  if (model.starts_with("gpt-4o")) return 16'384;
  return 0;
}

}  // namespace claudegpt
