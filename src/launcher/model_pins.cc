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
  if (settings.provider == "azure") return "Azure OpenAI";
  if (settings.provider == "codex") return "your ChatGPT plan";
  return "OpenAI";
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::vector<TierModel> tier_models(const Settings& settings) {
  std::vector<TierModel> models;
  for (const char* tier : {"opus", "sonnet", "haiku"}) {
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
    model.behaves_as = claude_model_id(model.tier);
    models.push_back(std::move(model));
  }
  return models;
}

std::string claude_model_id(std::string_view tier) { return "claude-" + std::string(tier) + "-5-5"; }

std::vector<std::pair<std::string, std::string>> model_pin_environment(const Settings& settings) {
  std::vector<std::pair<std::string, std::string>> env;
  const std::vector<TierModel> models = tier_models(settings);
  for (const TierModel& model : models) {
    const std::string prefix = "ANTHROPIC_DEFAULT_" + upper(model.tier) + "_MODEL";
    env.emplace_back(prefix, model.id);
    env.emplace_back(prefix + "_NAME", model.label);
    env.emplace_back(prefix + "_DESCRIPTION", model.description);
  }
  env.emplace_back("ANTHROPIC_DEFAULT_FABLE_MODEL", models.front().id);
  env.emplace_back("ANTHROPIC_DEFAULT_FABLE_MODEL_NAME", models.front().label);
  env.emplace_back("ANTHROPIC_DEFAULT_FABLE_MODEL_DESCRIPTION", models.front().description);
  const TierModel* chosen = &models.front();
  for (const TierModel& model : models)
    if (!settings.default_model.empty() && tier_of(settings.default_model) == tier_of(model.tier)) chosen = &model;
  env.emplace_back("ANTHROPIC_DEFAULT_MODEL", chosen->id);
  return env;
}

}  // namespace claudegpt
