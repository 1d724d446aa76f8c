// What the proxy drops or steps down when an upstream refuses an optional field. The error
// bodies are the ones quoted in ../shared/docs/real-services-2026.md (§1, §7, §8).
#include "core/refused_option.h"
#include "core/known_models.h"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

namespace json = boost::json;

// A Responses request as the translator builds it, with every optional field we may drop.
json::object sent_request() {
  return json::parse(R"({"model":"gpt-5.5","input":[{"role":"user","content":"hi"}],
    "instructions":"be brief","tools":[{"type":"web_search"}],
    "reasoning":{"effort":"xhigh","summary":"auto"},
    "include":["reasoning.encrypted_content","web_search_call.action.sources"],
    "max_tool_calls":3,"prompt_cache_retention":"24h","text":{"verbosity":"low"}})").as_object();
}

std::string openai_error(std::string_view param, std::string_view code, std::string_view message) {
  return json::serialize(json::object{{"error", json::object{{"message", message},
                                                             {"type", "invalid_request_error"},
                                                             {"param", param},
                                                             {"code", code}}}});
}

TEST(RefusedOption, AnUnverifiedOrganisationLosesTheReasoningSummaryOnly) {
  // §1: continuedev/continue #9602 (2026-01-17).
  const std::string body = openai_error(
      "reasoning.summary", "unsupported_value",
      "Your organization must be verified to generate reasoning summaries. Please go to: "
      "https://platform.openai.com/settings/organization/general and click on Verify Organization.");
  json::object request = sent_request();
  auto refusal = refused_option(body, request);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->describe(), "reasoning.summary");
  EXPECT_TRUE(apply_refusal(*refusal, request));
  EXPECT_EQ(json::serialize(request.at("reasoning")), R"({"effort":"xhigh"})");
  EXPECT_TRUE(request.contains("include"));
  EXPECT_FALSE(apply_refusal(*refusal, request));  // nothing left to drop: no second retry
}

TEST(RefusedOption, AnEffortTheModelLacksStepsDownToTheNearestOne) {
  // §8: gpt-5-mini "does not support 'xhigh'" (kaitranntt/ccs #344).
  json::object request = sent_request();
  auto refusal = refused_option(
      openai_error("reasoning.effort", "unsupported_value",
                   "Unsupported value: 'xhigh' is not supported with the 'gpt-5-mini' model."),
      request);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->replacement, "high");
  EXPECT_TRUE(apply_refusal(*refusal, request));
  EXPECT_EQ(request.at("reasoning").at("effort"), "high");

  // `none` before gpt-5.1: minimal, then low if minimal is refused too.
  request.at("reasoning").as_object()["effort"] = "none";
  std::vector<RefusedOption> remembered = {{"reasoning.effort", "none", "minimal"},
                                           {"reasoning.effort", "minimal", "low"}};
  EXPECT_TRUE(apply_refusals(remembered, request));
  EXPECT_EQ(request.at("reasoning").at("effort"), "low");
}

TEST(RefusedOption, ANonReasoningModelLosesReasoningAndItsInclude) {
  json::object request = sent_request();
  auto refusal = refused_option(
      openai_error("reasoning", "unsupported_parameter",
                   "Unsupported parameter: 'reasoning' is not supported with this model."),
      request);
  ASSERT_TRUE(refusal);
  EXPECT_TRUE(apply_refusal(*refusal, request));
  EXPECT_FALSE(request.contains("reasoning"));
  EXPECT_EQ(json::serialize(request.at("include")), R"(["web_search_call.action.sources"])");
}

TEST(RefusedOption, TheCodexBackendNamesTheParameterInItsDetail) {
  json::object request = sent_request();
  auto refusal = refused_option(R"({"detail":"Unsupported parameter: max_tool_calls"})", request);
  ASSERT_TRUE(refusal);
  EXPECT_TRUE(apply_refusal(*refusal, request));
  EXPECT_FALSE(request.contains("max_tool_calls"));
}

TEST(RefusedOption, AnIncludeValueIsFoundByItsIndexOrItsName) {
  json::object request = sent_request();
  auto by_index = refused_option(openai_error("include[1]", "invalid_value", "Invalid value."), request);
  ASSERT_TRUE(by_index);
  EXPECT_EQ(by_index->refused_value, "web_search_call.action.sources");
  auto by_name = refused_option(
      openai_error("include", "invalid_value", "'web_search_call.action.sources' is not supported."), request);
  ASSERT_TRUE(by_name);
  EXPECT_EQ(*by_name, *by_index);
  EXPECT_TRUE(apply_refusal(*by_name, request));
  EXPECT_EQ(json::serialize(request.at("include")), R"(["reasoning.encrypted_content"])");
}

// A non-reasoning model (gpt-4.1) refuses the encrypted-reasoning include with no code.
TEST(RefusedOption, EncryptedReasoningRefusedWithoutACodeIsStillFound) {
  json::object request = sent_request();
  const std::string body =
      R"({"error":{"message":"Encrypted content is not supported with this model.",)"
      R"("type":"invalid_request_error","param":"include","code":null}})";
  auto refusal = refused_option(body, request);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->refused_value, "reasoning.encrypted_content");
}

TEST(RefusedOption, CachingAndVerbosityAreDroppable) {
  json::object request = sent_request();
  for (const char* param : {"prompt_cache_retention", "text.verbosity"}) {
    auto refusal = refused_option(openai_error(param, "unsupported_parameter", "no"), request);
    ASSERT_TRUE(refusal) << param;
    EXPECT_TRUE(apply_refusal(*refusal, request)) << param;
  }
  EXPECT_FALSE(request.contains("prompt_cache_retention"));
  EXPECT_EQ(json::serialize(request.at("text")), "{}");
}

// Never the conversation, the tools, the instructions or the model; nor a field not sent, nor
// an error that is not a refusal of a field.
TEST(RefusedOption, NothingElseIsEverDropped) {
  json::object request = sent_request();
  for (const char* param : {"input", "tools", "instructions", "model", "input[0].content"})
    EXPECT_FALSE(refused_option(openai_error(param, "invalid_value", "no"), request)) << param;
  EXPECT_FALSE(refused_option(openai_error("reasoning.summary", "rate_limit_exceeded", "slow down"), request));
  EXPECT_FALSE(refused_option("<html>Bad Request</html>", request));
  EXPECT_FALSE(refused_option(R"({"detail":"Unsupported parameter: input"})", request));
  request.erase("max_tool_calls");
  EXPECT_FALSE(refused_option(R"({"detail":"Unsupported parameter: max_tool_calls"})", request));
}

// Known models cost no failed request for what they are known to refuse.
TEST(KnownModels, TheirLimitsApplyFromTheFirstRequest) {
  json::object request = sent_request();
  request["model"] = "gpt-5-mini-2025-08-07";
  EXPECT_TRUE(apply_refusals(known_refusals("gpt-5-mini-2025-08-07"), request));
  EXPECT_EQ(request.at("reasoning").at("effort"), "high");
  EXPECT_EQ(request.at("reasoning").at("summary"), "auto");

  json::object old_model = sent_request();
  EXPECT_TRUE(apply_refusals(known_refusals("gpt-4.1"), old_model));
  EXPECT_FALSE(old_model.contains("reasoning"));
  EXPECT_EQ(json::serialize(old_model.at("include")), R"(["web_search_call.action.sources"])");

  json::object spark = sent_request();
  EXPECT_TRUE(apply_refusals(known_refusals("gpt-5.3-codex-spark"), spark));
  EXPECT_FALSE(spark.at("reasoning").as_object().contains("summary"));

  for (const char* model : {"gpt-5.5", "gpt-5.4-mini", "gpt-5.1-codex-max", "gpt-5-mini-beta", "my-deployment"})
    EXPECT_TRUE(known_refusals(model).empty()) << model;
}

}  // namespace
}  // namespace claudegpt
