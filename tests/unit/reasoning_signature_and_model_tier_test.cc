// Two small pieces of the core: the reasoning envelope in thinking signatures, and routing by
// the tier word in the model name Claude Code asks for.
#include <gtest/gtest.h>

#include "core/model_tier.h"
#include "core/reasoning_signature.h"

namespace claudegpt {
namespace {

TEST(ReasoningSignature, WrapsAndUnwrapsEncryptedContentWithItsModel) {
  std::string signature = wrap_reasoning_signature("gpt-5.5", "gAAAAABo-encrypted==");
  EXPECT_EQ(signature, "claudegpt.v1.gpt-5.5:gAAAAABo-encrypted==");
  auto unwrapped = unwrap_reasoning_signature(signature);
  ASSERT_TRUE(unwrapped.has_value());
  EXPECT_EQ(unwrapped->model, "gpt-5.5");
  EXPECT_EQ(unwrapped->encrypted_content, "gAAAAABo-encrypted==");
}

TEST(ReasoningSignature, ModelNamesMayContainColons) {
  const std::string signature = wrap_reasoning_signature("ft:gpt-5:acme:x1", "gAAAA_b-c=");
  auto unwrapped = unwrap_reasoning_signature(signature);  // views into `signature`
  ASSERT_TRUE(unwrapped.has_value());
  EXPECT_EQ(unwrapped->model, "ft:gpt-5:acme:x1");
  EXPECT_EQ(unwrapped->encrypted_content, "gAAAA_b-c=");
}

TEST(ReasoningSignature, RejectsAnthropicSignaturesAndGarbage) {
  EXPECT_FALSE(unwrap_reasoning_signature("EqQBCkYIBxgCKkDvAnthropicSignature").has_value());
  EXPECT_FALSE(unwrap_reasoning_signature("").has_value());
  EXPECT_FALSE(unwrap_reasoning_signature("claudegpt.v1.").has_value());
  EXPECT_FALSE(unwrap_reasoning_signature("claudegpt.v2.gpt-5:abc").has_value());
  EXPECT_FALSE(unwrap_reasoning_signature("claudegpt.v1.abc").has_value());  // no model
  EXPECT_FALSE(unwrap_reasoning_signature("claudegpt.v1.gpt-5:").has_value());
}

TEST(ModelTier, FindsTheTierWordInAnyClaudeModelName) {
  EXPECT_EQ(tier_of("claude-opus-5-5"), ModelTier::opus);
  EXPECT_EQ(tier_of("claude-opus-4-8[1m]"), ModelTier::opus);
  EXPECT_EQ(tier_of("claude-sonnet-4-20250514"), ModelTier::sonnet);
  EXPECT_EQ(tier_of("claude-haiku-5-5"), ModelTier::haiku);
  EXPECT_EQ(tier_of("Claude-3-5-HAIKU-latest"), ModelTier::haiku);
  EXPECT_EQ(tier_of("opus"), ModelTier::opus);
}

TEST(ModelTier, NamesWithoutATierWordAreOther) {
  EXPECT_EQ(tier_of("gpt-5.5"), ModelTier::other);
  EXPECT_EQ(tier_of(""), ModelTier::other);
  EXPECT_EQ(tier_of("claude-fable-5-2"), ModelTier::other);
}

TEST(ModelTier, PrintsAsItsWord) {
  EXPECT_EQ(to_string(ModelTier::opus), "opus");
  EXPECT_EQ(to_string(ModelTier::sonnet), "sonnet");
  EXPECT_EQ(to_string(ModelTier::haiku), "haiku");
  EXPECT_EQ(to_string(ModelTier::other), "other");
}

}  // namespace
}  // namespace claudegpt
