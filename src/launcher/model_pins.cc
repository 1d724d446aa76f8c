#include "launcher/model_pins.h"

#include <cctype>

#include "core/model_tier.h"

namespace claudegpt {
namespace {

// The upstream model as part of an id: lower case, letters, digits, '.' and '-' only.
std::string id_part(const std::string& model) {
  std::string out;
  for (char c : model) {
    unsigned char u = static_cast<unsigned char>(c);
    out += std::isalnum(u) || c == '.' ? static_cast<char>(std::tolower(u)) : '-';
  }
  return out;
}

// "gpt-5.5" → "GPT-5.5"; other names (Azure deployments) as they are.
std::string display_name(const std::string& model) {
  if (model.size() > 3 && model.compare(0, 4, "gpt-") == 0) return "GPT-" + model.substr(4);
  return model;
}

std::string provider_name(const Settings& settings) {
  if (settings.provider == ProviderKind::azure) return "Azure OpenAI";
  if (settings.provider == ProviderKind::codex) return "your ChatGPT plan";
  return "OpenAI";
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Whether the fable tier answers otherwise than opus (its own model, effort, cutoff or window):
// only then does it get a picker row of its own, beside the three of Claude's pickers before.
bool fable_differs(const Settings& settings) {
  return settings.models.fable != settings.models.opus || settings.efforts.fable != settings.efforts.opus ||
         settings.cutoffs.fable != settings.cutoffs.opus ||
         settings.backend_context.fable != settings.backend_context.opus;
}

}  // namespace

std::vector<TierModel> tier_models(const Settings& settings) {
  std::vector<TierModel> models;
  std::vector<const char*> tiers{"opus", "sonnet", "haiku"};
  if (fable_differs(settings)) tiers.push_back("fable");
  for (const char* tier : tiers) {
    const std::string upstream = settings.upstream_model(tier);
    TierModel model;
    model.tier = tier;
    std::string part = id_part(upstream);
    // Another tier's word in the upstream name would route the id to that tier.
    bool routes_right = tier_of("claude-" + model.tier + "-" + part) == tier_of(model.tier);
    model.id = "claude-" + model.tier + "-" + (routes_right && !part.empty() ? part : "claudegpt");
    model.label = display_name(upstream) + " (" + model.tier + " tier)";
    // No effort here: Claude Code asks one per request, which the proxy follows.
    model.description = upstream + " on " + provider_name(settings) + ", through claudegpt" +
                        (settings.forced_effort.empty() ? "" : " (effort " + settings.forced_effort + ")");
    // Fable's own handling in Claude Code 2.1.33x carries Anthropic-only parts (usage-credit
    // consent on plans, its own prompt bundle): the tier below's is what a GPT model needs.
    model.behaves_as = claude_model_id(model.tier == "fable" ? "opus" : model.tier);
    models.push_back(std::move(model));
  }
  return models;
}

std::string claude_model_id(std::string_view tier) {
  if (tier == "fable") return "claude-fable-5-2";  // the alias table of 2.1.332 (auto-mode doc §6)
  return "claude-" + std::string(tier) + "-5-5";
}

const TierModel& tier_row(const std::vector<TierModel>& models, ModelTier tier) {
  for (const TierModel& model : models)
    if (tier_of(model.tier) == tier) return model;
  return models.front();  // fable without a row of its own: opus's, which answers the same
}

std::vector<std::pair<std::string, std::string>> model_pin_environment(const Settings& settings) {
  std::vector<std::pair<std::string, std::string>> env;
  const std::vector<TierModel> models = tier_models(settings);
  for (const TierModel& model : models) {
    const std::string prefix = "ANTHROPIC_DEFAULT_" + upper(model.tier) + "_MODEL";
    env.emplace_back(prefix, model.id);
    env.emplace_back(prefix + "_NAME", model.label);
    env.emplace_back(prefix + "_DESCRIPTION", model.description);
  }
  // Claude Code's fable (its /model alias, the Agent tool's `model` enum): pinned by the loop
  // above when the tier has a row of its own, else to opus's row, which answers the same.
  if (!fable_differs(settings)) {
    const TierModel& fable = tier_row(models, ModelTier::fable);
    env.emplace_back("ANTHROPIC_DEFAULT_FABLE_MODEL", fable.id);
    env.emplace_back("ANTHROPIC_DEFAULT_FABLE_MODEL_NAME", fable.label);
    env.emplace_back("ANTHROPIC_DEFAULT_FABLE_MODEL_DESCRIPTION", fable.description);
  }
  const TierModel& chosen =
      settings.default_model.empty() ? models.front() : tier_row(models, tier_of(settings.default_model));
  env.emplace_back("ANTHROPIC_DEFAULT_MODEL", chosen.id);
  return env;
}

}  // namespace claudegpt
