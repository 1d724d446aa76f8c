// Auto mode's safety check on the wire: the request's `safeguards` taken out, the verdicts
// shaped as Claude Code's parser reads them (shared/docs/claude-code-auto-mode.md §2).
#include "core/safeguards.h"

#include <gtest/gtest.h>

#include <regex>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

TEST(TakeSafeguards, TheRecordedAutoModeTurnCarriesTheCheckAndLosesIt) {
  json::object request = test::read_json_fixture("claude-code-requests/cc2.1.332-auto-mode-main-turn.json");
  std::optional<SafeguardRequest> check = take_safeguards(request);
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->classifier_context.at("permission_mode").as_string(), "auto");
  EXPECT_EQ(check->classifier_context.at("live_cwd").as_string(), "/home/user/tmux");
  EXPECT_FALSE(request.contains("safeguards"));  // never sent upstream
  EXPECT_TRUE(request.contains("messages"));
}

TEST(TakeSafeguards, TheSubagentTurnCarriesItToo) {
  json::object request = test::read_json_fixture("claude-code-requests/cc2.1.332-auto-mode-subagent-turn.json");
  EXPECT_TRUE(take_safeguards(request).has_value());
}

TEST(TakeSafeguards, ARequestWithoutItHasNone) {
  json::object request = test::read_json_fixture("claude-code-requests/cc2.1.330-first-turn.json");
  EXPECT_FALSE(take_safeguards(request).has_value());
}

TEST(TakeSafeguards, AFieldOfAnotherShapeIsRemovedAndCountsAsAbsent) {
  for (const char* field : {R"("yes")", R"([1, {"type": "other"}])", R"({"type": "dangerous_tool_use"})"}) {
    json::object request = json::parse(std::string(R"({"messages": [], "safeguards": )") + field +
                                       R"(, "classifier_tool_calls": ["Bash"]})").as_object();
    EXPECT_FALSE(take_safeguards(request).has_value()) << field;
    EXPECT_FALSE(request.contains("safeguards"));
    EXPECT_FALSE(request.contains("classifier_tool_calls"));
  }
}

TEST(TakeSafeguards, AnEntryWithoutContextStillAsksForTheCheck) {
  json::object request = json::parse(R"({"safeguards": [{"type": "dangerous_tool_use"}]})").as_object();
  std::optional<SafeguardRequest> check = take_safeguards(request);
  ASSERT_TRUE(check.has_value());
  EXPECT_TRUE(check->classifier_context.empty());
}

TEST(SafeguardResults, AResponseWithoutCallsStillAnswers) {
  EXPECT_EQ(json::serialize(safeguard_results({})),
            R"([{"type":"dangerous_tool_use","status":{"type":"available","tool_uses":{}}}])");
}

TEST(SafeguardResults, EachCallHasItsVerdictUnderItsId) {
  json::array results = safeguard_results({
      {"toolu_01A", SafetyVerdict::allowed()},
      {"toolu_01B", SafetyVerdict::flagged("[Irreversible Local Destruction] Deletes the home directory.",
                                           "auto_mode.soft_deny.3")},
      {"toolu_01C", SafetyVerdict::unavailable("timeout")},
      {"toolu_01D", SafetyVerdict::allowed("auto_mode.allow.0")},
  });
  ASSERT_EQ(results.size(), 1u);
  const json::object& uses = results[0].at("status").at("tool_uses").as_object();
  EXPECT_EQ(json::serialize(uses.at("toolu_01A")), R"({"type":"evaluated","outcome":"not_flagged"})");
  EXPECT_EQ(json::serialize(uses.at("toolu_01B")),
            R"({"type":"evaluated","outcome":"flagged","explanation":"[Irreversible Local Destruction] )"
            R"(Deletes the home directory.","cited_rule":{"type":"classifier_context","path":"auto_mode.soft_deny.3"}})");
  EXPECT_EQ(json::serialize(uses.at("toolu_01C")), R"({"type":"unavailable","reason":"timeout"})");
  EXPECT_EQ(uses.at("toolu_01D").at("cited_rule").at("path").as_string(), "auto_mode.allow.0");
}

TEST(SafeguardResults, TheDeclineMessageIsTheOneTheClientRecognises) {
  // The client's own test on an invalid_request_error (auto-mode doc §2.4).
  EXPECT_TRUE(std::regex_search(kSafeguardsDeclined, std::regex(R"(^(?:body\.)?safeguards(?:\.\w+)*:)")));
  EXPECT_TRUE(std::regex_search(kSafeguardsDeclined, std::regex(R"(\bsafeguards\b)")));
}

}  // namespace
}  // namespace claudegpt
