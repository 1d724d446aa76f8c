// The reasoning envelope in thinking signatures. (Routing by the tier word in the model name
// Claude Code asks for is pinned in model_tier_test.cc.)
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace claudegpt
