// Routing by the tier word in the model name Claude Code asks for, and what a Claude name
// without one becomes (issue 16 §2; the names are those of ../shared/docs/claude-code-auto-mode.md §6).
#include <gtest/gtest.h>

#include "core/model_tier.h"

namespace claudegpt {
namespace {

TEST(ModelTier, FindsTheTierWordInAnyClaudeModelName) {
  EXPECT_EQ(tier_of("claude-opus-5-5"), ModelTier::opus);
  EXPECT_EQ(tier_of("claude-opus-4-8[1m]"), ModelTier::opus);
  EXPECT_EQ(tier_of("claude-sonnet-4-20250514"), ModelTier::sonnet);
  EXPECT_EQ(tier_of("claude-haiku-5-5"), ModelTier::haiku);
  EXPECT_EQ(tier_of("Claude-3-5-HAIKU-latest"), ModelTier::haiku);
  EXPECT_EQ(tier_of("opus"), ModelTier::opus);
}

// Claude Code 2.1.33x offers fable (the Agent tool's model enum too) as claude-fable-5-2, and
// knows mythos, of the same rank above opus: one tier.
TEST(ModelTier, FableAndMythosAreTheFableTier) {
  EXPECT_EQ(tier_of("claude-fable-5-2"), ModelTier::fable);
  EXPECT_EQ(tier_of("claude-fable-5"), ModelTier::fable);
  EXPECT_EQ(tier_of("claude-mythos-5-2"), ModelTier::fable);
  EXPECT_EQ(tier_of("claude-mythos-preview"), ModelTier::fable);
  EXPECT_EQ(tier_of("fable[1m]"), ModelTier::fable);
  EXPECT_EQ(tier_of("Claude-Fable-5-2"), ModelTier::fable);
  EXPECT_EQ(tier_of("fable"), ModelTier::fable);
}

// Claude Code resolves its aliases before it sends; were one sent as it is, it would mean
// what it means there: opusplan and best are opus.
TEST(ModelTier, ClaudeCodesAliasesAreTheirTiers) {
  EXPECT_EQ(tier_of("opusplan"), ModelTier::opus);
  EXPECT_EQ(tier_of("best"), ModelTier::opus);
  EXPECT_EQ(tier_of("BEST"), ModelTier::opus);
  EXPECT_EQ(tier_of("sonnet[1m]"), ModelTier::sonnet);
  EXPECT_EQ(tier_of("gpt-best"), ModelTier::other);  // a word inside another name is not the alias
}

TEST(ModelTier, NamesWithoutATierWordAreOther) {
  EXPECT_EQ(tier_of("gpt-5.5"), ModelTier::other);
  EXPECT_EQ(tier_of(""), ModelTier::other);
  EXPECT_EQ(tier_of("claude-unknown-9"), ModelTier::other);
}

TEST(ModelTier, ClaudeNamesStartWithClaude) {
  EXPECT_TRUE(is_claude_model("claude-unknown-9"));
  EXPECT_TRUE(is_claude_model("CLAUDE-next"));
  EXPECT_FALSE(is_claude_model("gpt-5.5"));
  EXPECT_FALSE(is_claude_model("claude"));
  EXPECT_FALSE(is_claude_model("my-claude-model"));
}

// The upstream would refuse a Claude name it does not know: such a name is answered on the
// configured tier. A name that is not Claude's (a GPT model picked with /model) passes through.
TEST(ModelTier, UnknownClaudeNamesGoToTheGivenTierOthersPassThrough) {
  EXPECT_EQ(routing_tier("claude-unknown-9", ModelTier::sonnet), ModelTier::sonnet);
  EXPECT_EQ(routing_tier("claude-unknown-9", ModelTier::haiku), ModelTier::haiku);
  EXPECT_EQ(routing_tier("claude-3-7-nova[1m]", ModelTier::opus), ModelTier::opus);
  EXPECT_EQ(routing_tier("claude-fable-5-2", ModelTier::haiku), ModelTier::fable);
  EXPECT_EQ(routing_tier("claude-opus-5-5", ModelTier::haiku), ModelTier::opus);
  EXPECT_EQ(routing_tier("gpt-5.5", ModelTier::sonnet), ModelTier::other);
  EXPECT_EQ(routing_tier("", ModelTier::sonnet), ModelTier::other);
}

TEST(ModelTier, PrintsAsItsWord) {
  EXPECT_EQ(to_string(ModelTier::opus), "opus");
  EXPECT_EQ(to_string(ModelTier::sonnet), "sonnet");
  EXPECT_EQ(to_string(ModelTier::haiku), "haiku");
  EXPECT_EQ(to_string(ModelTier::fable), "fable");
  EXPECT_EQ(to_string(ModelTier::other), "other");
}

}  // namespace
}  // namespace claudegpt
