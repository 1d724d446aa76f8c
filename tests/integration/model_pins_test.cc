// The ids, names and picker rows the launcher pins per tier (launcher/model_pins.h), for the
// fable tier above opus: Claude Code 2.1.33x offers fable (/model, the Agent tool's `model`
// enum) and asks for it through ANTHROPIC_DEFAULT_FABLE_MODEL.
#include "launcher/model_pins.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

std::map<std::string, std::string> pins(const Settings& s) {
  std::map<std::string, std::string> out;
  for (auto& [name, value] : model_pin_environment(s)) out[name] = value;
  return out;
}

// The fable tier answers as opus does until it is configured apart: the three rows stay, and
// Fable is opus's row.
TEST(FablePins, ByDefaultFableIsTheOpusRow) {
  Settings s;
  EXPECT_EQ(tier_models(s).size(), 3u);
  auto env = pins(s);
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_FABLE_MODEL"], "claude-opus-gpt-5.5");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_FABLE_MODEL_NAME"], "GPT-5.5 (opus tier)");
}

TEST(FablePins, AFableTierOfItsOwnGetsItsOwnRowAndId) {
  Settings s;
  s.models.fable = "gpt-5.5-pro";  // CLAUDEGPT_OPENAI_FABLE
  std::vector<TierModel> models = tier_models(s);
  ASSERT_EQ(models.size(), 4u);
  const TierModel& fable = models.back();
  EXPECT_EQ(fable.tier, "fable");
  EXPECT_EQ(fable.id, "claude-fable-gpt-5.5-pro");
  EXPECT_EQ(fable.label, "GPT-5.5-pro (fable tier)");
  EXPECT_EQ(fable.description, "gpt-5.5-pro on OpenAI, through claudegpt");
  // Claude Code handles it as opus (fable's own handling is Anthropic's: consent, prompts).
  EXPECT_EQ(fable.behaves_as, "claude-opus-5-5");
  auto env = pins(s);
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_FABLE_MODEL"], "claude-fable-gpt-5.5-pro");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_FABLE_MODEL_NAME"], "GPT-5.5-pro (fable tier)");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_OPUS_MODEL"], "claude-opus-gpt-5.5");
}

TEST(FablePins, AnEffortOrWindowOfItsOwnIsEnoughForARow) {
  Settings s;
  s.efforts.fable = "xhigh";
  EXPECT_EQ(tier_models(s).size(), 4u);
  EXPECT_EQ(pins(s)["ANTHROPIC_DEFAULT_FABLE_MODEL"], "claude-fable-gpt-5.5");
}

TEST(FablePins, TheDefaultTierMayBeFable) {
  Settings s;
  s.default_model = "fable";  // CLAUDEGPT_DEFAULT_MODEL
  EXPECT_EQ(pins(s)["ANTHROPIC_DEFAULT_MODEL"], "claude-opus-gpt-5.5");  // no row: opus's
  s.models.fable = "gpt-5.5-pro";
  EXPECT_EQ(pins(s)["ANTHROPIC_DEFAULT_MODEL"], "claude-fable-gpt-5.5-pro");
  EXPECT_EQ(claude_model_id("fable"), "claude-fable-5-2");  // without pins, Claude Code's id
}

TEST(FablePins, TheRowOfATierWithoutOneIsOpuss) {
  Settings s;
  std::vector<TierModel> models = tier_models(s);
  EXPECT_EQ(tier_row(models, ModelTier::haiku).id, "claude-haiku-gpt-5.4-mini");
  EXPECT_EQ(tier_row(models, ModelTier::fable).id, "claude-opus-gpt-5.5");
}

// An upstream name with another tier's word would route the id there.
TEST(FablePins, AnUpstreamNameWithAnotherTiersWordKeepsTheIdOnFable) {
  Settings s;
  s.provider = ProviderKind::azure;
  s.models.fable = "opus-class";
  EXPECT_EQ(tier_models(s).back().id, "claude-fable-claudegpt");
}

}  // namespace
}  // namespace claudegpt
