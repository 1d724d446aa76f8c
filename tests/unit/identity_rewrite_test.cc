// The Claude identity sentences of Claude Code's prompts → one true statement of the model.
#include "core/identity_rewrite.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kStatement[] = "STATEMENT.";

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

// All system text of a recorded request: the system blocks and role:system messages.
std::string system_text(const std::string& fixture) {
  json::object request = test::read_json_fixture("claude-code-requests/" + fixture);
  std::string text;
  if (const auto* system = request.if_contains("system"))
    for (const auto& block : system->as_array())
      text += std::string(block.at("text").as_string()) + "\n\n";
  for (const auto& message : request.at("messages").as_array()) {
    if (message.at("role") != "system") continue;
    const json::value& content = message.at("content");
    if (content.is_string())
      text += std::string(content.as_string()) + "\n\n";
    else
      for (const auto& block : content.as_array())
        text += std::string(block.at("text").as_string());
  }
  return text;
}

TEST(IdentityStatement, NamesTheUpstreamModelAndItsCutoff) {
  EXPECT_EQ(identity_statement("gpt-5.5", "August 2025"),
            "You are running on gpt-5.5 (OpenAI GPT family) via claudegpt, which connects Claude "
            "Code to OpenAI models; you are not a Claude model. Your knowledge cutoff is August "
            "2025.");
}

TEST(IdentityStatement, LeavesTheCutoffOutWhenUnknown) {
  std::string statement = identity_statement("gpt-5.5", "");
  EXPECT_THAT(statement, HasSubstr("You are running on gpt-5.5 (OpenAI GPT family) via claudegpt"));
  EXPECT_THAT(statement, Not(HasSubstr("cutoff")));
}

TEST(RewriteIdentity, ReplacesTheThreeSentencesOfClaudeCode2_1_330WithOneStatement) {
  std::string text =
      " - In `curl`, send untrusted values with `--form-string`, not `-F`.\n\n"
      "You are powered by the model named Opus 5.5. The exact model ID is claude-opus-5-5. "
      "Assistant knowledge cutoff is June 2026.\n\n"
      "The following deferred tools are now available via ToolSearch.";
  EXPECT_EQ(rewrite_identity(text, kStatement),
            " - In `curl`, send untrusted values with `--form-string`, not `-F`.\n\n"
            "STATEMENT.\n\n"
            "The following deferred tools are now available via ToolSearch.");
}

TEST(RewriteIdentity, ReplacesTheBulletsOfClaudeCode2_1_197AndRemovesTheEmptiedBullet) {
  std::string text =
      " - OS Version: Linux 6.18.44-fc-v769\n"
      " - You are powered by the model named Opus 4.8 (1M context). The exact model ID is "
      "claude-opus-4-8[1m].\n"
      " - Assistant knowledge cutoff is January 2026.\n"
      " - The most recent Claude models are the Claude 5 family, Opus 4.8, and Haiku 4.5.\n";
  EXPECT_EQ(rewrite_identity(text, kStatement),
            " - OS Version: Linux 6.18.44-fc-v769\n"
            " - STATEMENT.\n"
            " - The most recent Claude models are the Claude 5 family, Opus 4.8, and Haiku 4.5.\n");
}

TEST(RewriteIdentity, ReplacesTheLineOfClaudeCode1_0_6) {
  std::string text =
      "</env>\nYou are powered by the model named Sonnet 4. The exact model ID is "
      "claude-sonnet-4-20250514.\n\n\nIMPORTANT: Refuse to write code";
  EXPECT_EQ(rewrite_identity(text, kStatement),
            "</env>\nSTATEMENT.\n\n\nIMPORTANT: Refuse to write code");
}

TEST(RewriteIdentity, FollowsFutureModelNamesAndVersions) {
  std::string text =
      "Intro.\nYou are powered by the model named Fable 7.1 (2M context). The exact model ID is "
      "claude-fable-7-1[2m]. Assistant knowledge cutoff is March 2028.\nOutro.";
  EXPECT_EQ(rewrite_identity(text, kStatement), "Intro.\nSTATEMENT.\nOutro.");
}

TEST(RewriteIdentity, RecognisesOtherWaysOfStatingTheCutoff) {
  EXPECT_EQ(rewrite_identity("Knowledge cutoff: June 2026.\nRest.", kStatement),
            "STATEMENT.\nRest.");
  EXPECT_EQ(
      rewrite_identity("The assistant's knowledge cutoff date is June 2026. Rest.", kStatement),
      "STATEMENT. Rest.");
}

TEST(RewriteIdentity, KeepsTheSentencesAroundAnIdentitySentenceInAParagraph) {
  EXPECT_EQ(rewrite_identity("Be kind. You are powered by the model named Sonnet 4. Be brief.",
                             kStatement),
            "Be kind. STATEMENT. Be brief.");
  EXPECT_EQ(rewrite_identity("Your knowledge cutoff is May 2025. Be brief.", kStatement),
            "STATEMENT. Be brief.");
}

TEST(RewriteIdentity, ReturnsTextWithoutIdentitySentencesUnchanged) {
  std::string text =
      "You are Claude Code, Anthropic's official CLI for Claude.\n"
      " - The most recent Claude models are the Claude 5 family. Model IDs — Opus 5.5: "
      "'claude-opus-5-5'.\n"
      "Mention the knowledge cutoff of other tools when it matters to the user's question, "
      "as documented.\n";
  EXPECT_EQ(rewrite_identity(text, kStatement), text);
  EXPECT_EQ(rewrite_identity("", kStatement), "");
}

TEST(RewriteIdentity, RewritesTheIdentityOfEveryRecordedPromptOnce) {
  for (const char* fixture :
       {"cc2.1.330-first-turn.json", "cc2.1.197-first-turn.json",
        "cc2.1.330-subagent-first-turn.json", "cc2.1.330-haiku-first-turn.json",
        "cc2.1.330-compact-request.json"}) {
    std::string text = system_text(fixture);
    ASSERT_THAT(text, HasSubstr("You are powered by the model named")) << fixture;
    std::string rewritten = rewrite_identity(text, kStatement);
    EXPECT_EQ(occurrences(rewritten, kStatement), 1u) << fixture;
    EXPECT_THAT(rewritten, Not(HasSubstr("You are powered by"))) << fixture;
    EXPECT_THAT(rewritten, Not(HasSubstr("model ID is claude"))) << fixture;
    EXPECT_THAT(rewritten, Not(HasSubstr("knowledge cutoff is"))) << fixture;
    // The product identity describes the harness and stays.
    EXPECT_THAT(rewritten, HasSubstr("Anthropic's")) << fixture;
    // Nothing else changed: only the identity sentences are gone.
    EXPECT_LT(text.size() - rewritten.size(), 200u) << fixture;
  }
}

TEST(RewriteIdentity, LeavesPromptsWithoutIdentityAlone) {
  for (const char* fixture :
       {"cc2.1.330-title-structured-output.json", "cc2.1.330-websearch-side-request.json"}) {
    std::string text = system_text(fixture);
    EXPECT_EQ(rewrite_identity(text, kStatement), text) << fixture;
  }
}

}  // namespace
}  // namespace claudegpt
