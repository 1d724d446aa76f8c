#include "ledger/session_model.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

TEST(SessionModel, IsTheModelThatAnsweredTheSessionsLatestTurnOnClaudeCodesModel) {
  auto row = [](std::int64_t time_ms, std::string provider, std::string tier, std::string client,
                std::string upstream) {
    TurnRecord t;
    t.time_ms = time_ms;
    t.provider = std::move(provider);
    t.tier = std::move(tier);
    t.client_model = std::move(client);
    t.upstream_model = std::move(upstream);
    return t;
  };
  // An OpenAI session, whose opus turns went to gpt-5.5 and whose side calls to the mini.
  std::vector<TurnRecord> latest = {
      row(30, "openai", "haiku", "claude-haiku-4-5", "gpt-5.4-mini"),
      row(20, "openai", "opus", "claude-opus-5-5", "gpt-5.5"),
      row(10, "openai", "other", "(web fetch extraction)", "gpt-5.4-mini")};
  // After `setup` switched the configuration to Azure: still what answered the session.
  EXPECT_EQ(session_model(latest, "claude-opus-5-5", "opus", "azure"), "gpt-5.5");
  EXPECT_EQ(session_model(latest, "claude-opus-5-5", "opus", "openai"), "gpt-5.5");
  // A newer opus model name: the same tier answered by the same model.
  EXPECT_EQ(session_model(latest, "claude-opus-6", "opus", "openai"), "gpt-5.5");
  // A tier the session has not used: on the configured backend the configuration knows...
  EXPECT_EQ(session_model(latest, "claude-sonnet-4-5", "sonnet", "openai"), std::nullopt);
  // ...but not on another one: the latest answer is the better guess.
  EXPECT_EQ(session_model(latest, "claude-sonnet-4-5", "sonnet", "azure"), "gpt-5.4-mini");
  // "other" matches the exact name only, never another untiered row.
  EXPECT_EQ(session_model(latest, "my-model", "other", "openai"), std::nullopt);
  // No turn yet: the configuration decides.
  EXPECT_EQ(session_model({}, "claude-opus-5-5", "opus", "azure"), std::nullopt);
}

// Fable (and mythos, its rank) is a tier like the others: a newer name on it finds its turns.
TEST(SessionModel, TheFableTierIsOneOfTheNamedTiers) {
  TurnRecord fable;
  fable.time_ms = 10;
  fable.provider = "openai";
  fable.tier = "fable";
  fable.client_model = "claude-fable-5-2";
  fable.upstream_model = "gpt-5.5-pro";
  EXPECT_EQ(session_model({fable}, "claude-mythos-5-2", "fable", "openai"), "gpt-5.5-pro");
  EXPECT_EQ(session_model({fable}, "claude-opus-5-5", "opus", "openai"), std::nullopt);
}

}  // namespace
}  // namespace claudegpt
