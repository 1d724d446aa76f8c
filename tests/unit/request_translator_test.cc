// Anthropic Messages requests (as Claude Code really sends them) → OpenAI Responses requests.
#include "core/request_translator.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "core/reasoning_signature.h"
#include "unit/fixtures.h"

namespace claudegpt {
namespace {

namespace json = boost::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRequests[] = "claude-code-requests";

RequestOptions options() {
  RequestOptions o;
  o.upstream_model = "gpt-test";
  o.cutoff = "August 2025";
  return o;
}

TranslatedRequest translate_fixture(const std::string& name, const RequestOptions& o = options()) {
  return translate_request(test::read_json_fixture(std::string(kRequests) + "/" + name), o);
}

TranslatedRequest translate_text(const std::string& body, const RequestOptions& o = options()) {
  return translate_request(json::parse(body), o);
}

const json::array& input_of(const TranslatedRequest& t) {
  return t.body.at("input").as_array();
}

std::string_view str(const json::value& v) {
  return v.as_string();
}

std::vector<std::string> item_types(const TranslatedRequest& t) {
  std::vector<std::string> types;
  for (const auto& item : input_of(t)) types.emplace_back(str(item.at("type")));
  return types;
}

std::vector<std::string> keys_of(const json::object& o) {
  std::vector<std::string> keys;
  for (const auto& entry : o) keys.emplace_back(entry.key());
  return keys;
}

// Every request body in the 1.0.6 session recording.
std::vector<json::object> session_bodies() {
  std::istringstream lines(
      test::read_fixture(std::string(kRequests) + "/cc1.0.6-session-traffic.jsonl"));
  std::vector<json::object> bodies;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    json::value body = json::parse(line).at("request").at("body");
    if (body.is_string()) body = json::parse(body.as_string());
    bodies.push_back(body.as_object());
  }
  return bodies;
}

std::vector<std::string> request_fixture_names() {
  std::vector<std::string> names;
  for (const auto& name : test::list_fixtures(kRequests, ".json"))
    if (!name.ends_with(".headers.json")) names.push_back(name);
  return names;
}

// ---- What a request holds and what its translation holds, counted.

struct ClientCounts {
  int text = 0;             // non-empty text blocks / string contents of user+assistant turns
  int system_messages = 0;  // non-empty role:system messages
  int tool_use = 0;
  int tool_result = 0;
  int image = 0;                            // anywhere, tool results included
  int our_thinking = 0;                     // thinking blocks with a claudegpt signature
  std::vector<std::string> function_tools;  // client names, placeholder/server tools excluded
};

void count_images(const json::value& content, ClientCounts& c) {
  if (!content.is_array()) return;
  for (const auto& block : content.as_array())
    if (block.at("type") == "image") ++c.image;
}

ClientCounts count_client(const json::object& request) {
  ClientCounts c;
  for (const auto& m : request.at("messages").as_array()) {
    const json::value& content = m.at("content");
    std::string_view role = str(m.at("role"));
    if (role == "system") {
      bool any = content.is_string() ? !content.as_string().empty() : false;
      if (content.is_array())
        for (const auto& b : content.as_array()) any = any || !b.at("text").as_string().empty();
      c.system_messages += any ? 1 : 0;
      continue;
    }
    if (content.is_string()) {
      c.text += content.as_string().empty() ? 0 : 1;
      continue;
    }
    for (const auto& block : content.as_array()) {
      std::string_view type = str(block.at("type"));
      if (type == "text" && !block.at("text").as_string().empty()) ++c.text;
      if (type == "tool_use") ++c.tool_use;
      if (type == "tool_result") {
        ++c.tool_result;
        if (const auto* inner = block.as_object().if_contains("content")) count_images(*inner, c);
      }
      if (type == "image") ++c.image;
      if (type == "thinking" && unwrap_reasoning_signature(str(block.at("signature"))).has_value())
        ++c.our_thinking;
    }
  }
  if (const auto* tools = request.if_contains("tools")) {
    for (const auto& tool : tools->as_array()) {
      const json::object& t = tool.as_object();
      if (t.contains("type") && t.at("type") != "custom") continue;
      if (t.at("name") == "DeferredToolPlaceholder") continue;
      c.function_tools.emplace_back(str(t.at("name")));
    }
  }
  return c;
}

ClientCounts count_upstream(const TranslatedRequest& t) {
  ClientCounts c;
  for (const auto& item : input_of(t)) {
    std::string_view type = str(item.at("type"));
    if (type == "message") {
      std::string_view role = str(item.at("role"));
      if (role == "developer") {
        ++c.system_messages;
        continue;
      }
      for (const auto& part : item.at("content").as_array()) {
        std::string_view part_type = str(part.at("type"));
        if (part_type == "input_text" || part_type == "output_text") ++c.text;
        if (part_type == "input_image") ++c.image;
      }
    }
    if (type == "function_call") ++c.tool_use;
    if (type == "function_call_output") {
      ++c.tool_result;
      if (item.at("output").is_array())
        for (const auto& part : item.at("output").as_array())
          if (part.at("type") == "input_image") ++c.image;
    }
    if (type == "reasoning") ++c.our_thinking;
  }
  if (const auto* tools = t.body.if_contains("tools"))
    for (const auto& tool : tools->as_array())
      c.function_tools.push_back(t.tools.client_name(str(tool.at("name"))));
  return c;
}

// Every function_call has exactly one output after it, every output a call before it.
void expect_calls_paired(const TranslatedRequest& t, const std::string& where) {
  std::map<std::string, int> open;
  std::set<std::string> seen;
  for (const auto& item : input_of(t)) {
    std::string_view type = str(item.at("type"));
    if (type == "function_call") {
      std::string id(str(item.at("call_id")));
      EXPECT_TRUE(seen.insert(id).second) << where << ": call id used twice " << id;
      open[id] = 1;
    } else if (type == "function_call_output") {
      std::string id(str(item.at("call_id")));
      EXPECT_EQ(open[id], 1) << where << ": output without a call " << id;
      open[id] = 2;
    }
  }
  for (const auto& [id, state] : open)
    EXPECT_EQ(state, 2) << where << ": call without output " << id;
}

void expect_no_item_ids(const TranslatedRequest& t, const std::string& where) {
  for (const auto& item : input_of(t)) EXPECT_FALSE(item.as_object().contains("id")) << where;
}

void expect_translated_without_loss(const json::object& request, const std::string& where) {
  TranslatedRequest t = translate_request(request, options());
  ClientCounts in = count_client(request);
  ClientCounts out = count_upstream(t);
  EXPECT_EQ(out.text, in.text) << where;
  EXPECT_EQ(out.system_messages, in.system_messages) << where;
  EXPECT_EQ(out.tool_use, in.tool_use) << where;
  EXPECT_EQ(out.tool_result, in.tool_result) << where;
  EXPECT_EQ(out.image, in.image) << where;
  EXPECT_EQ(out.our_thinking, in.our_thinking) << where;
  EXPECT_EQ(out.function_tools, in.function_tools) << where;
  expect_calls_paired(t, where);
  expect_no_item_ids(t, where);
  EXPECT_EQ(t.body.at("model"), "gpt-test") << where;
  EXPECT_THAT(json::serialize(t.body), Not(HasSubstr("cache_control"))) << where;
}

// ---- Whole recordings

TEST(RequestTranslator, EveryRecordedClaudeCodeRequestTranslatesWithoutLoss) {
  std::vector<std::string> names = request_fixture_names();
  ASSERT_GE(names.size(), 20u);
  for (const auto& name : names)
    expect_translated_without_loss(test::read_json_fixture(std::string(kRequests) + "/" + name),
                                   name);
}

TEST(RequestTranslator, EveryRequestOfTheRecordedOldSessionTranslatesWithoutLoss) {
  std::vector<json::object> bodies = session_bodies();
  ASSERT_EQ(bodies.size(), 64u);
  for (std::size_t i = 0; i < bodies.size(); ++i)
    expect_translated_without_loss(bodies[i], "cc1.0.6 request " + std::to_string(i));
}

TEST(RequestTranslator, OldSessionTemperatureIsDroppedAndTinyMaxTokensKeptAsTheVisibleLimit) {
  int tiny = 0;
  for (const auto& body : session_bodies()) {
    TranslatedRequest t = translate_request(body, options());
    if (body.contains("temperature")) {
      EXPECT_THAT(t.dropped, Contains("temperature"));
    }
    EXPECT_FALSE(t.body.contains("temperature"));
    if (body.at("max_tokens") == 1) {
      EXPECT_EQ(t.visible_max_tokens, 1);  // what the client reads; the upstream gets more
      EXPECT_GT(t.body.at("max_output_tokens").as_int64(), 16);
      ++tiny;
    }
  }
  EXPECT_GT(tiny, 0);
}

// ---- system → instructions

TEST(RequestTranslator, BillingLineIsNotSentUpstream) {
  for (const auto& name : request_fixture_names()) {
    TranslatedRequest t = translate_fixture(name);
    EXPECT_THAT(json::serialize(t.body), Not(HasSubstr("x-anthropic-billing-header"))) << name;
  }
  TranslatedRequest t = translate_fixture("cc2.1.330-first-turn.json");
  EXPECT_TRUE(str(t.body.at("instructions")).starts_with("You are a Claude agent, built on"));
}

TEST(RequestTranslator, SystemBlocksAreJoinedByABlankLine) {
  TranslatedRequest t = translate_text(R"({"messages":[],"system":[
      {"type":"text","text":"x-anthropic-billing-header: cc_version=1; cc_entrypoint=cli;"},
      {"type":"text","text":"First.","cache_control":{"type":"ephemeral"}},
      {"type":"text","text":""},
      {"type":"text","text":"Second."}]})");
  EXPECT_EQ(t.body.at("instructions"), "First.\n\nSecond.");
}

TEST(RequestTranslator, StringSystemBecomesInstructions) {
  TranslatedRequest t = translate_text(R"({"messages":[],"system":"Be brief."})");
  EXPECT_EQ(t.body.at("instructions"), "Be brief.");
}

TEST(RequestTranslator, NoSystemMeansNoInstructions) {
  TranslatedRequest t = translate_fixture("cc2.1.330-count-tokens-tools.json");
  EXPECT_FALSE(t.body.contains("instructions"));
}

TEST(RequestTranslator, ClaudeIdentityIsReplacedInEachFixture) {
  for (const char* name : {"cc2.1.330-first-turn.json", "cc2.1.197-first-turn.json",
                           "cc2.1.330-subagent-first-turn.json", "cc2.1.330-haiku-first-turn.json",
                           "cc2.1.330-after-compact.json"}) {
    std::string body = json::serialize(translate_fixture(name).body);
    EXPECT_THAT(body, Not(HasSubstr("You are powered by the model"))) << name;
    EXPECT_THAT(body, Not(HasSubstr("The exact model ID is"))) << name;
    EXPECT_THAT(body, Not(HasSubstr("knowledge cutoff is June 2026"))) << name;
    EXPECT_THAT(body, Not(HasSubstr("knowledge cutoff is January 2026"))) << name;
    EXPECT_THAT(body, HasSubstr("You are running on gpt-test (OpenAI GPT family) via claudegpt"))
        << name;
    EXPECT_THAT(body, HasSubstr("Your knowledge cutoff is August 2025.")) << name;
    // The harness's own identity stays: it describes Claude Code, not the model.
    EXPECT_THAT(body, HasSubstr("Anthropic's")) << name;
  }
}

TEST(RequestTranslator, ClaudeIdentityIsReplacedInTheOldSessionToo) {
  for (const auto& request : session_bodies()) {
    std::string body = json::serialize(translate_request(request, options()).body);
    EXPECT_THAT(body, Not(HasSubstr("The exact model ID is claude")));
  }
}

TEST(RequestTranslator, IdentityIsLeftAloneWhenRewritingIsOff) {
  RequestOptions o = options();
  o.rewrite_identity = false;
  std::string body = json::serialize(translate_fixture("cc2.1.330-first-turn.json", o).body);
  EXPECT_THAT(body, HasSubstr("You are powered by the model named Opus 5.5."));
  EXPECT_THAT(body, Not(HasSubstr("claudegpt")));
}

TEST(RequestTranslator, IdentityIsRewrittenOnlyInSystemTextNotInUserTurns) {
  TranslatedRequest t = translate_text(R"({"messages":[{"role":"user",
      "content":"Is this true? You are powered by the model named Opus 9. Check."}]})");
  EXPECT_EQ(input_of(t)[0].at("content").at(0).at("text"),
            "Is this true? You are powered by the model named Opus 9. Check.");
}

// ---- messages → input

TEST(RequestTranslator, SystemMessageBecomesDeveloperMessageAtTheSamePosition) {
  TranslatedRequest t = translate_fixture("cc2.1.330-first-turn.json");
  ASSERT_EQ(input_of(t).size(), 2u);
  EXPECT_EQ(input_of(t)[0].at("role"), "user");
  EXPECT_EQ(input_of(t)[1].at("role"), "developer");
  EXPECT_EQ(input_of(t)[1].at("type"), "message");
  EXPECT_THAT(std::string(str(input_of(t)[1].at("content").at(0).at("text"))),
              HasSubstr("# Environment"));

  TranslatedRequest handback = translate_fixture("cc2.1.330-subagent-handback.json");
  EXPECT_THAT(item_types(handback),
              ElementsAre("message", "message", "function_call", "function_call_output", "message",
                          "function_call", "function_call_output"));
  EXPECT_EQ(input_of(handback)[4].at("role"), "developer");
}

TEST(RequestTranslator, EmptySystemMessageAfterCompactIsDropped) {
  TranslatedRequest t = translate_fixture("cc2.1.330-after-compact.json");
  std::vector<std::string> roles;
  for (const auto& item : input_of(t)) roles.emplace_back(str(item.at("role")));
  EXPECT_THAT(roles, ElementsAre("user", "assistant", "user", "developer"));
}

TEST(RequestTranslator, UserTextIsInputTextAndAssistantTextIsOutputText) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"hi"},
      {"role":"assistant","content":[{"type":"text","text":"hello","citations":[]}]},
      {"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"more"}]},
      {"role":"user","content":"again"}]})");
  EXPECT_EQ(
      json::serialize(t.body.at("input")),
      R"([{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]},)"
      R"({"type":"message","role":"assistant","content":[{"type":"output_text","text":"hello"}]},)"
      R"({"type":"message","role":"user","content":[{"type":"input_text","text":"more"}]},)"
      R"({"type":"message","role":"user","content":[{"type":"input_text","text":"again"}]}])");
}

TEST(RequestTranslator, EmptyMessagesAreDropped) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":""},{"role":"assistant","content":[]},
      {"role":"user","content":"x"}]})");
  EXPECT_EQ(input_of(t).size(), 1u);
}

TEST(RequestTranslator, ImagesBecomeInputImages) {
  TranslatedRequest t = translate_text(R"({"messages":[{"role":"user","content":[
      {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"AAAA"}},
      {"type":"image","source":{"type":"url","url":"https://example.com/a.png"}},
      {"type":"text","text":"what is this?"}]}]})");
  const json::array& content = input_of(t)[0].at("content").as_array();
  ASSERT_EQ(content.size(), 3u);
  EXPECT_EQ(content[0].at("type"), "input_image");
  EXPECT_EQ(content[0].at("image_url"), "data:image/jpeg;base64,AAAA");
  EXPECT_EQ(content[1].at("image_url"), "https://example.com/a.png");
  EXPECT_EQ(content[2].at("text"), "what is this?");
}

TEST(RequestTranslator, DocumentsBecomeFilesOrText) {
  TranslatedRequest t = translate_text(R"({"messages":[{"role":"user","content":[
      {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}},
      {"type":"document","title":"report",
       "source":{"type":"base64","media_type":"application/pdf","data":"JVBF"}},
      {"type":"document","source":{"type":"url","url":"https://example.com/a.pdf"}},
      {"type":"document","title":"notes",
       "source":{"type":"text","media_type":"text/plain","data":"plain words"}},
      {"type":"document",
       "source":{"type":"content","content":[{"type":"text","text":"inner"}]}}]}]})");
  const json::array& content = input_of(t)[0].at("content").as_array();
  ASSERT_EQ(content.size(), 5u);
  EXPECT_EQ(
      json::serialize(content[0]),
      R"({"type":"input_file","filename":"document.pdf",)"
      R"("file_data":"data:application/pdf;base64,JVBE"})");
  EXPECT_EQ(content[1].at("filename"), "report.pdf");
  EXPECT_EQ(json::serialize(content[2]),
            R"({"type":"input_file","file_url":"https://example.com/a.pdf"})");
  EXPECT_EQ(json::serialize(content[3]), R"({"type":"input_text","text":"notes\n\nplain words"})");
  EXPECT_EQ(content[4].at("text"), "inner");
}

TEST(RequestTranslator, ToolUseBecomesFunctionCallAtItsPosition) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"write it"},
      {"role":"assistant","content":[{"type":"text","text":"Writing."},
        {"type":"tool_use","id":"toolu_1","name":"Write","input":{"file_path":"/a","content":"hi"}},
        {"type":"text","text":"And reading."},
        {"type":"tool_use","id":"toolu_2","name":"Read","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"},
        {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"a"},
          {"type":"text","text":"b"}]},
        {"type":"text","text":"thanks"}]}]})");
  EXPECT_THAT(item_types(t),
              ElementsAre("message", "message", "function_call", "message", "function_call",
                          "function_call_output", "function_call_output", "message"));
  EXPECT_EQ(json::serialize(input_of(t)[2]),
            R"({"type":"function_call","call_id":"toolu_1","name":"Write",)"
            R"("arguments":"{\"file_path\":\"/a\",\"content\":\"hi\"}"})");
  EXPECT_EQ(json::serialize(input_of(t)[5]),
            R"({"type":"function_call_output","call_id":"toolu_1","output":"ok"})");
  EXPECT_EQ(input_of(t)[6].at("output"), "a\nb");
  EXPECT_EQ(input_of(t)[7].at("role"), "user");
}

TEST(RequestTranslator, ImageToolResultBecomesAnInputImageDataUrl) {
  TranslatedRequest t = translate_fixture("cc2.1.330-image-tool-result.json");
  const json::value& output = input_of(t)[3].at("output");
  ASSERT_TRUE(output.is_array());
  ASSERT_EQ(output.as_array().size(), 1u);
  EXPECT_EQ(output.at(0).at("type"), "input_image");
  EXPECT_TRUE(str(output.at(0).at("image_url")).starts_with("data:image/png;base64,iVBORw0KGgo"));
}

TEST(RequestTranslator, DeniedToolResultTellsTheModelItFailed) {
  TranslatedRequest t = translate_fixture("cc2.1.330-denied-tool-result.json");
  const json::value& output = input_of(t)[3];
  EXPECT_EQ(output.at("type"), "function_call_output");
  EXPECT_EQ(output.at("output"),
            "Error: Claude requested permissions to write to "
            "/tmp/envcheck/work/hello.txt, but you haven't granted it yet.");
}

TEST(RequestTranslator, ErrorResultWithOnlyAnImageStillSaysItFailed) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Read","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,
        "content":[{"type":"image",
                    "source":{"type":"base64","media_type":"image/png","data":"AA"}}]}]}]})");
  const json::array& output = input_of(t)[1].at("output").as_array();
  ASSERT_EQ(output.size(), 2u);
  EXPECT_EQ(output[0].at("type"), "input_text");
  EXPECT_TRUE(str(output[0].at("text")).starts_with("Error"));
  EXPECT_EQ(output[1].at("type"), "input_image");
}

TEST(RequestTranslator, ToolReferencesBecomeTextNamingTheLoadedTools) {
  TranslatedRequest t = translate_fixture("cc2.1.330-toolsearch-result-tool-reference.json");
  EXPECT_EQ(input_of(t)[3].at("type"), "function_call_output");
  EXPECT_EQ(input_of(t)[3].at("output"), "Tool loaded: WebFetch\nTool loaded: WebSearch");
  EXPECT_EQ(input_of(t)[4].at("content").at(0).at("text"), "Tool loaded.");
}

TEST(RequestTranslator, ToolUseWithoutResultGetsASyntheticErrorOutput) {
  // Modelled on cc2.1.330-write-tool-turn2-tool-result.json, cut before the result arrived.
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"write"},
      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_x","name":"Write","input":{}}]},
      {"role":"user","content":"never mind"}]})");
  EXPECT_THAT(item_types(t),
              ElementsAre("message", "function_call", "function_call_output", "message"));
  EXPECT_EQ(input_of(t)[2].at("call_id"), "toolu_x");
  EXPECT_THAT(std::string(str(input_of(t)[2].at("output"))), HasSubstr("interrupted"));
  expect_calls_paired(t, "interrupted");
}

TEST(RequestTranslator, ToolResultWithoutItsCallBecomesUserText) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_gone","content":"42"},
        {"type":"text","text":"go on"}]}]})");
  EXPECT_THAT(item_types(t), ElementsAre("message"));
  EXPECT_EQ(json::serialize(input_of(t)[0].at("content")),
            R"([{"type":"input_text","text":"Tool result for call toolu_gone:"},)"
            R"({"type":"input_text","text":"42"},{"type":"input_text","text":"go on"}])");
}

TEST(RequestTranslator, ResultBeforeItsCallAndDuplicateResultsStayValid) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"early"}]},
      {"role":"assistant","content":[{"type":"tool_use","id":"a","name":"Bash","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"one"},
        {"type":"tool_result","tool_use_id":"a","content":"two"}]}]})");
  expect_calls_paired(t, "duplicates");
  EXPECT_THAT(item_types(t),
              ElementsAre("message", "function_call", "function_call_output", "message"));
  EXPECT_EQ(input_of(t)[2].at("output"), "one");
}

TEST(RequestTranslator, ThinkingWithOurSignatureBecomesAReasoningItemWithoutId) {
  json::object request = json::parse(R"({"messages":[
      {"role":"user","content":"plan"},
      {"role":"assistant","content":[
        {"type":"thinking","thinking":"First read the file.","signature":"SIG1"},
        {"type":"text","text":"Reading."},
        {"type":"thinking","thinking":"","signature":"SIG2"},
        {"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/a"}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"x"}]}]})")
                             .as_object();
  json::array& blocks = request.at("messages").at(1).at("content").as_array();
  blocks[0].as_object()["signature"] = wrap_reasoning_signature("gpt-test", "gAAAAB-enc-1");
  blocks[2].as_object()["signature"] = wrap_reasoning_signature("gpt-test", "gAAAAB-enc-2");
  TranslatedRequest t = translate_request(request, options());
  EXPECT_THAT(item_types(t), ElementsAre("message", "reasoning", "message", "reasoning",
                                         "function_call", "function_call_output"));
  EXPECT_EQ(
      json::serialize(input_of(t)[1]),
      R"({"type":"reasoning","summary":[{"type":"summary_text","text":"First read the file."}],)"
      R"("encrypted_content":"gAAAAB-enc-1"})");
  EXPECT_EQ(json::serialize(input_of(t)[3]),
            R"({"type":"reasoning","summary":[],"encrypted_content":"gAAAAB-enc-2"})");
  expect_no_item_ids(t, "reasoning");
}

TEST(RequestTranslator, ForeignThinkingAndRedactedThinkingAreDropped) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"hi"},
      {"role":"assistant","content":[
        {"type":"thinking","thinking":"Claude thought","signature":"EqQBCkYIBxgCKkDv0123"},
        {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"},
        {"type":"text","text":"hello"}]}]})");
  EXPECT_THAT(item_types(t), ElementsAre("message", "message"));
  EXPECT_THAT(json::serialize(t.body), Not(HasSubstr("Claude thought")));
  EXPECT_THAT(t.dropped, Contains(HasSubstr("content.thinking")));
  EXPECT_THAT(t.dropped, Contains(HasSubstr("content.redacted_thinking")));
}

// After a tier switch mid-session (opus → sonnet), the other model cannot read the reasoning.
TEST(RequestTranslator, ReasoningOfAnotherUpstreamModelIsDropped) {
  json::object request = json::parse(R"({"messages":[
      {"role":"user","content":"hi"},
      {"role":"assistant","content":[
        {"type":"thinking","thinking":"GPT thought","signature":""},
        {"type":"text","text":"hello"}]}]})").as_object();
  request.at("messages").at(1).at("content").at(0).as_object()["signature"] =
      wrap_reasoning_signature("gpt-other", "gAAAAB-enc");
  TranslatedRequest t = translate_request(request, options());
  EXPECT_THAT(item_types(t), ElementsAre("message", "message"));
  EXPECT_THAT(t.dropped, Contains("content.thinking (reasoning of another model)"));
}

TEST(RequestTranslator, AnthropicServerToolHistoryBecomesPlainText) {
  // A session that began on Claude: code execution ran at Anthropic, nothing upstream can
  // replay it. Shapes as in fixtures/anthropic-sse/anthropic-web-search-tool.1.chunks.txt.
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"compute"},
      {"role":"assistant","content":[
        {"type":"server_tool_use","id":"srvtoolu_1","name":"code_execution","input":{"code":"2+2"}},
        {"type":"code_execution_tool_result","tool_use_id":"srvtoolu_1",
         "content":{"type":"code_execution_result","stdout":"4","stderr":"","return_code":0}},
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_9","content":[
          {"type":"web_search_result","title":"A page","url":"https://a.example",
           "encrypted_content":"xyz"}]},
        {"type":"text","text":"found"}]}]})");
  EXPECT_THAT(item_types(t), ElementsAre("message", "message"));
  const json::array& content = input_of(t)[1].at("content").as_array();
  ASSERT_EQ(content.size(), 4u);
  EXPECT_EQ(content[0].at("text"), R"([Used the tool code_execution with {"code":"2+2"}])");
  EXPECT_EQ(content[1].at("text"), "[Result of code_execution]");
  // A search result without its call stays text too.
  EXPECT_EQ(content[2].at("text"), "[Result of web_search]\n- A page https://a.example");
  EXPECT_EQ(content[2].at("type"), "output_text");
}

// ---- the proxy's own server tools in the history (claudegpt wrote these blocks)

// Modelled on fixtures/anthropic-sse/anthropic-web-fetch-tool.1.chunks.txt's blocks.
constexpr char kWebFetchHistory[] = R"json({"messages":[
    {"role":"user","content":"what is the Maglemosian culture?"},
    {"role":"assistant","content":[
      {"type":"text","text":"Let me fetch the article."},
      {"type":"server_tool_use","id":"srvtoolu_01VNMRfQny2LCrLKEdYaVcCe","name":"web_fetch",
       "input":{"url":"https://en.wikipedia.org/wiki/Maglemosian_culture"}},
      {"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_01VNMRfQny2LCrLKEdYaVcCe",
       "content":{"type":"web_fetch_result",
         "url":"https://en.wikipedia.org/wiki/Maglemosian_culture",
         "retrieved_at":"2025-07-17T21:38:38.606000+00:00",
         "content":{"type":"document","title":"Maglemosian culture",
           "source":{"type":"text","media_type":"text/plain",
                     "data":"Maglemosian (c. 9000 BC)"}}}},
      {"type":"text","text":"It is a Mesolithic culture."}]},
    {"role":"user","content":"thanks"}]})json";

TEST(RequestTranslator, AWebFetchInTheHistoryBecomesAWebFetchCallAndItsOutput) {
  TranslatedRequest t = translate_text(kWebFetchHistory);
  EXPECT_THAT(item_types(t), ElementsAre("message", "message", "function_call",
                                         "function_call_output", "message", "message"));
  const json::array& input = input_of(t);
  EXPECT_EQ(input[1].at("role"), "assistant");
  EXPECT_EQ(input[1].at("content").at(0).at("text"), "Let me fetch the article.");
  EXPECT_EQ(input[2].at("name"), "WebFetch");
  EXPECT_EQ(input[2].at("call_id"), "srvtoolu_01VNMRfQny2LCrLKEdYaVcCe");
  EXPECT_EQ(input[2].at("arguments"),
            R"({"url":"https://en.wikipedia.org/wiki/Maglemosian_culture"})");
  EXPECT_EQ(input[3].at("call_id"), "srvtoolu_01VNMRfQny2LCrLKEdYaVcCe");
  EXPECT_EQ(input[3].at("output"), "Maglemosian (c. 9000 BC)");
  EXPECT_EQ(input[4].at("role"), "assistant");
  EXPECT_EQ(input[4].at("content").at(0).at("text"), "It is a Mesolithic culture.");
  expect_calls_paired(t, "web fetch history");
}

TEST(RequestTranslator, AWebFetchCallNamesTheOfferedWebFetchTool) {
  json::object request = json::parse(kWebFetchHistory).as_object();
  request["tools"] = json::parse(R"([{"name":"WebFetch",
      "input_schema":{"type":"object","properties":{"url":{"type":"string"}}}}])");
  TranslatedRequest t = translate_request(request, options());
  EXPECT_EQ(input_of(t)[2].at("name"), t.body.at("tools").at(0).at("name"));
  EXPECT_EQ(t.tools.client_name(str(input_of(t)[2].at("name"))), "WebFetch");
}

TEST(RequestTranslator, AFailedWebFetchTellsTheModelItFailed) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"fetch it"},
      {"role":"assistant","content":[
        {"type":"server_tool_use","id":"srvtoolu_2","name":"web_fetch",
         "input":{"url":"https://down.example","prompt":"summarise"}},
        {"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_2",
         "content":{"type":"web_fetch_tool_result_error","error_code":"url_not_accessible"}}]}]})");
  EXPECT_THAT(item_types(t), ElementsAre("message", "function_call", "function_call_output"));
  EXPECT_EQ(input_of(t)[1].at("arguments"),
            R"({"url":"https://down.example","prompt":"summarise"})");
  EXPECT_EQ(input_of(t)[2].at("output"), "Error: the fetch failed (url_not_accessible)");
}

TEST(RequestTranslator, WebSearchesInTheHistoryBecomeWebSearchCallsWithOneLinePerResult) {
  // Shapes from fixtures/anthropic-sse/anthropic-web-search-tool.1.chunks.txt.
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"tech news?"},
      {"role":"assistant","content":[
        {"type":"server_tool_use","id":"srvtoolu_s1","name":"web_search",
         "input":{"query":"tech news today"}},
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_s1","content":[
          {"type":"web_search_result","title":"Apple Ginza","url":"https://apple.example/ginza",
           "encrypted_content":"Erke","page_age":"1 day"},
          {"type":"web_search_result","title":"AI news","url":"https://ai.example/news",
           "encrypted_content":"Erkf"}]},
        {"type":"server_tool_use","id":"srvtoolu_s2","name":"web_search",
         "input":{"query":"more"}},
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_s2",
         "content":{"type":"web_search_tool_result_error","error_code":"max_uses_exceeded"}},
        {"type":"text","text":"Here is the news."}]}]})");
  EXPECT_THAT(item_types(t),
              ElementsAre("message", "function_call", "function_call_output", "function_call",
                          "function_call_output", "message"));
  const json::array& input = input_of(t);
  EXPECT_EQ(input[1].at("name"), "web_search");
  EXPECT_EQ(input[1].at("call_id"), "srvtoolu_s1");
  EXPECT_EQ(input[1].at("arguments"), R"({"query":"tech news today"})");
  EXPECT_EQ(input[2].at("output"),
            "Apple Ginza — https://apple.example/ginza\nAI news — https://ai.example/news");
  EXPECT_EQ(input[4].at("call_id"), "srvtoolu_s2");
  EXPECT_EQ(input[4].at("output"), "Error: the search failed (max_uses_exceeded)");
  expect_calls_paired(t, "web search history");
}

TEST(RequestTranslator, AServerToolCallWithoutItsResultGetsASyntheticErrorOutput) {
  // The result must follow its call in the same assistant message; a later user message
  // does not answer it, and a result before the call stays text.
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"search"},
      {"role":"assistant","content":[
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_b","content":[]},
        {"type":"server_tool_use","id":"srvtoolu_b","name":"web_search","input":{"query":"b"}},
        {"type":"server_tool_use","id":"srvtoolu_a","name":"web_fetch","input":{"url":"u"}}]},
      {"role":"user","content":[
        {"type":"tool_result","tool_use_id":"srvtoolu_a","content":"late"}]}]})");
  EXPECT_THAT(item_types(t),
              ElementsAre("message", "message", "function_call", "function_call_output",
                          "function_call", "function_call_output", "message"));
  const json::array& input = input_of(t);
  EXPECT_EQ(input[1].at("content").at(0).at("text"), "[Result of web_search]");
  EXPECT_EQ(input[3].at("output"), "Error: this tool call was interrupted; it has no result.");
  EXPECT_EQ(input[5].at("output"), "Error: this tool call was interrupted; it has no result.");
  EXPECT_THAT(std::string(str(input[6].at("content").at(0).at("text"))),
              HasSubstr("Tool result for call srvtoolu_a"));
  expect_calls_paired(t, "unanswered server calls");
}

TEST(RequestTranslator, ClientToolCallsAndServerToolCallsPairUpSideBySide) {
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"user","content":"go"},
      {"role":"assistant","content":[
        {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},
        {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[
          {"type":"web_search_result","title":"T","url":"https://t.example"}]},
        {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}}]},
      {"role":"user","content":[
        {"type":"tool_result","tool_use_id":"toolu_1","content":"a.txt"}]}]})");
  EXPECT_THAT(item_types(t), ElementsAre("message", "function_call", "function_call_output",
                                         "function_call", "function_call_output"));
  EXPECT_EQ(input_of(t)[2].at("output"), "T — https://t.example");
  EXPECT_EQ(input_of(t)[4].at("output"), "a.txt");
  expect_calls_paired(t, "mixed calls");
}

TEST(RequestTranslator, LinksTheProxyMovedIntoCitationsGoBackIntoTheText) {
  TranslatedRequest t = translate_text(R"json({"messages":[
      {"role":"user","content":"news?"},
      {"role":"assistant","content":[
        {"type":"text","text":"Apple Ginza reopens on Friday "},
        {"type":"text","text":"in Tokyo.","citations":[
          {"type":"web_search_result_location","url":"https://apple.example/ginza",
           "title":"Apple Ginza","cited_text":"Apple today announced",
           "encrypted_index":"([Apple Ginza](https://apple.example/ginza))"},
          {"type":"web_search_result_location","url":"https://anthropic.example",
           "title":"Real","cited_text":"x","encrypted_index":"Eo8BCioICBgCIiRiY2Jj"},
          {"type":"web_search_result_location","url":"https://b.example","title":"B",
           "cited_text":"y","encrypted_index":"([B](https://b.example))"}]},
        {"type":"text","text":"Anthropic's own.","citations":[
          {"type":"web_search_result_location","url":"https://c.example","title":"C",
           "cited_text":"z","encrypted_index":"EpABCioICBgCIiRi"}]}]}]})json");
  const json::array& content = input_of(t)[1].at("content").as_array();
  // Adjacent text blocks stay separate parts.
  ASSERT_EQ(content.size(), 3u);
  EXPECT_EQ(content[0].at("text"), "Apple Ginza reopens on Friday ");
  EXPECT_EQ(content[1].at("text"),
            "in Tokyo.([Apple Ginza](https://apple.example/ginza))([B](https://b.example))");
  EXPECT_EQ(content[2].at("text"), "Anthropic's own.");
}

TEST(RequestTranslator, UnknownBlockTypesAreDroppedAndListed) {
  TranslatedRequest t = translate_text(R"({"messages":[{"role":"user","content":[
      {"type":"hologram","data":1},{"type":"text","text":"hi"}]}]})");
  EXPECT_EQ(input_of(t).size(), 1u);
  EXPECT_THAT(t.dropped, Contains("content.hologram"));
}

// ---- tools

TEST(RequestTranslator, ToolsBecomeFunctionsInClientOrder) {
  TranslatedRequest t = translate_fixture("cc2.1.330-first-turn.json");
  const json::array& tools = t.body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 11u);
  EXPECT_EQ(tools[0].at("name"), "Agent");
  EXPECT_EQ(tools[10].at("name"), "Write");
  const json::object& bash = tools[1].as_object();
  EXPECT_THAT(keys_of(bash), ElementsAre("type", "name", "description", "parameters", "strict"));
  EXPECT_EQ(bash.at("type"), "function");
  EXPECT_EQ(bash.at("strict"), false);
  EXPECT_EQ(bash.at("parameters").at("type"), "object");
  EXPECT_TRUE(bash.at("parameters").at("properties").as_object().contains("command"));
}

TEST(RequestTranslator, DeferredToolsWithASchemaAreSentAndThePlaceholderIsNot) {
  TranslatedRequest t = translate_fixture("cc2.1.330-toolsearch-result-tool-reference.json");
  std::vector<std::string> names;
  for (const auto& tool : t.body.at("tools").as_array()) {
    names.emplace_back(str(tool.at("name")));
    EXPECT_FALSE(tool.as_object().contains("defer_loading"));
  }
  EXPECT_THAT(names, Contains("WebFetch"));
  EXPECT_THAT(names, Contains("WebSearch"));
  EXPECT_THAT(names, Not(Contains("DeferredToolPlaceholder")));
  EXPECT_THAT(t.dropped, Contains("tools.DeferredToolPlaceholder"));
}

// Loaded deferred tools without parameters (TaskList, CronList in the 2.1.197 tool set) are
// real tools: only the placeholder itself is left out.
TEST(RequestTranslator, DeferredToolsWithoutParametersAreStillSent) {
  TranslatedRequest t = translate_text(R"({"messages":[],"tools":[
      {"name":"DeferredToolPlaceholder","input_schema":{"type":"object","properties":{}},"defer_loading":true},
      {"name":"TaskList","input_schema":{"type":"object","properties":{}},"defer_loading":true}]})");
  ASSERT_EQ(t.body.at("tools").as_array().size(), 1u);
  EXPECT_EQ(t.body.at("tools").at(0).at("name"), "TaskList");
}

TEST(RequestTranslator, ServerToolsAreLeftOutAndListed) {
  TranslatedRequest t = translate_fixture("cc2.1.330-websearch-side-request.json");
  EXPECT_FALSE(t.body.contains("tools"));
  EXPECT_FALSE(t.body.contains("tool_choice"));
  EXPECT_THAT(t.dropped, Contains("tools.web_search_20250305"));
}

TEST(RequestTranslator, WebSearchBecomesTheHostedToolWhenTheBackendHasIt) {
  RequestOptions o = options();
  o.web_search = true;
  TranslatedRequest t = translate_fixture("cc2.1.330-websearch-side-request.json", o);
  EXPECT_EQ(json::serialize(t.body.at("tools")), R"([{"type":"web_search"}])");
  EXPECT_EQ(json::serialize(t.body.at("include")),
            R"(["reasoning.encrypted_content","web_search_call.action.sources"])");
  EXPECT_EQ(t.body.at("max_tool_calls"), 8);  // the tool's max_uses
  EXPECT_EQ(t.body.at("tool_choice"), "auto");
  EXPECT_THAT(t.dropped, Not(Contains("tools.web_search_20250305")));
  EXPECT_THAT(std::string(str(t.body.at("instructions"))), Not(HasSubstr("not available")));
  EXPECT_THAT(keys_of(t.body),
              ElementsAre("model", "instructions", "tools", "input", "tool_choice",
                          "max_tool_calls", "reasoning", "max_output_tokens", "include", "store",
                          "stream", "prompt_cache_key"));
}

TEST(RequestTranslator, WithoutHostedSearchTheModelIsToldWebSearchIsUnavailable) {
  TranslatedRequest t = translate_fixture("cc2.1.330-websearch-side-request.json");
  EXPECT_FALSE(t.body.contains("tools"));
  EXPECT_FALSE(t.body.contains("max_tool_calls"));
  EXPECT_THAT(t.dropped, Contains("tools.web_search_20250305"));
  EXPECT_EQ(json::serialize(t.body.at("include")), R"(["reasoning.encrypted_content"])");
  std::string instructions(str(t.body.at("instructions")));
  EXPECT_TRUE(instructions.ends_with(
      "Search once, then reply with a brief summary of the results.\n\n"
      "Web search is not available in this session: when a task needs it, say that you cannot "
      "search the web rather than answering as if you had searched."))
      << instructions;
  // Without a system prompt the sentence is the instructions.
  TranslatedRequest bare = translate_text(R"({"messages":[],
      "tools":[{"type":"web_search_20260209","name":"web_search"}]})");
  EXPECT_THAT(std::string(str(bare.body.at("instructions"))),
              testing::StartsWith("Web search is not available"));
}

TEST(RequestTranslator, WebSearchDomainsAndLocationAreCarriedAndToolsKeepTheirOrder) {
  RequestOptions o = options();
  o.web_search = true;
  TranslatedRequest t = translate_text(R"({"messages":[],"tools":[
      {"name":"Bash","input_schema":{"type":"object"}},
      {"type":"web_search_20250305","name":"web_search","max_uses":3,
       "allowed_domains":["docs.example.com","example.org"],"blocked_domains":["spam.example"],
       "user_location":{"type":"approximate","city":"Paris","region":"Île-de-France",
                        "country":"FR","timezone":"Europe/Paris"}},
      {"type":"web_fetch_20250910","name":"web_fetch"},
      {"type":"code_execution_20250825","name":"code_execution"},
      {"name":"Read","input_schema":{"type":"object"}}],
      "tool_choice":{"type":"tool","name":"web_search"}})",
                                       o);
  const json::array& tools = t.body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0].at("name"), "Bash");
  EXPECT_EQ(json::serialize(tools[1]),
            R"({"type":"web_search","filters":{)"
            R"("allowed_domains":["docs.example.com","example.org"],)"
            R"("blocked_domains":["spam.example"]},"user_location":{"type":"approximate",)"
            R"("city":"Paris","region":"Île-de-France","country":"FR",)"
            R"("timezone":"Europe/Paris"}})");
  EXPECT_EQ(tools[2].at("name"), "Read");
  EXPECT_EQ(t.body.at("max_tool_calls"), 3);
  // Other server tools stay out.
  EXPECT_THAT(t.dropped, Contains("tools.web_fetch_20250910"));
  EXPECT_THAT(t.dropped, Contains("tools.code_execution_20250825"));
  // A forced search: "required" (the hosted tool has no function name to force).
  EXPECT_EQ(t.body.at("tool_choice"), "required");
  // Only the lists given; no max_uses, no limit.
  TranslatedRequest allowed = translate_text(R"({"messages":[],"tools":[
      {"type":"web_search_20250305","name":"web_search","allowed_domains":["a.example"]}]})",
                                             o);
  EXPECT_EQ(json::serialize(allowed.body.at("tools")),
            R"([{"type":"web_search","filters":{"allowed_domains":["a.example"]}}])");
  EXPECT_FALSE(allowed.body.contains("max_tool_calls"));
}

TEST(RequestTranslator, AForcedWebSearchWithoutHostedSearchIsDropped) {
  TranslatedRequest t = translate_text(R"({"messages":[],"tools":[
      {"type":"web_search_20250305","name":"web_search"}],
      "tool_choice":{"type":"tool","name":"web_search"}})");
  EXPECT_FALSE(t.body.contains("tool_choice"));
  EXPECT_THAT(t.dropped, Contains("tool_choice"));
}

// The text of the developer message (Claude Code's role:system message) of a translation.
std::string developer_text(const TranslatedRequest& t) {
  for (const auto& item : input_of(t))
    if (item.at("type") == "message" && item.at("role") == "developer")
      return std::string(str(item.at("content").at(0).at("text")));
  return {};
}

TEST(RequestTranslator, ADroppedToolLeavesTheDeferredToolsListAndNothingElseChanges) {
  RequestOptions o = options();
  o.drop_tools = {"NotebookEdit"};
  TranslatedRequest base = translate_fixture("cc2.1.330-first-turn.json");
  TranslatedRequest t = translate_fixture("cc2.1.330-first-turn.json", o);
  std::string before = developer_text(base);
  std::string after = developer_text(t);
  // The list line goes; "NotebookEdit" in the agent descriptions stays.
  std::string expected = before;
  std::size_t line = expected.find("\nNotebookEdit\n");
  ASSERT_NE(line, std::string::npos);
  ASSERT_EQ(expected.find("\nNotebookEdit\n", line + 1), std::string::npos);
  expected.erase(line, std::string("\nNotebookEdit").size());
  EXPECT_EQ(after, expected);
  EXPECT_THAT(after, HasSubstr("Monitor\nSendMessage\nTaskStop\n"));
  EXPECT_THAT(after, HasSubstr("Write, NotebookEdit)"));
  EXPECT_GT(t.filtered_tool_tokens, 0);
  EXPECT_EQ(base.filtered_tool_tokens, 0);
  // Everything else is as before.
  std::string whole = json::serialize(base.body);
  std::string needle = json::serialize(json::value(before));
  whole.replace(whole.find(needle), needle.size(), json::serialize(json::value(expected)));
  EXPECT_EQ(json::serialize(t.body), whole);
}

TEST(RequestTranslator, AnOfferedToolInTheDropListIsNotSentAndItsTokensAreCounted) {
  RequestOptions o = options();
  o.drop_tools = {"WebFetch"};
  TranslatedRequest t = translate_fixture("cc2.1.330-toolsearch-result-tool-reference.json", o);
  std::vector<std::string> names;
  for (const auto& tool : t.body.at("tools").as_array()) names.emplace_back(str(tool.at("name")));
  EXPECT_THAT(names, Not(Contains("WebFetch")));
  EXPECT_THAT(names, Contains("WebSearch"));
  EXPECT_THAT(t.dropped, Contains("tools.WebFetch"));
  EXPECT_THAT(developer_text(t), Not(HasSubstr("\nWebFetch\n")));
  EXPECT_THAT(developer_text(t), HasSubstr("TaskStop\nWebSearch\n"));
  // Its definition is hundreds of tokens; the list line only a few.
  EXPECT_GT(t.filtered_tool_tokens, 100);
}

TEST(RequestTranslator, BlockingMcpDropsMcpToolsButTheirCallsInTheHistoryStillTranslate) {
  RequestOptions o = options();
  o.block_mcp = true;
  const std::string body =
      R"({"system":[{"type":"text","text":"The following deferred tools are now available )"
      R"(via ToolSearch:\nmcp__srv__later\nRead\n\nmcp__srv__tool is mentioned here."}],
      "messages":[
      {"role":"user","content":"go"},
      {"role":"system","content":"The following deferred tools are now available via )"
      R"(ToolSearch. Use ToolSearch:\nCronList\nmcp__srv__later\n  mcp__srv__other  \n)"
      R"(mcp__srv__last"},
      {"role":"assistant","content":[
        {"type":"tool_use","id":"t1","name":"mcp__srv__tool","input":{"q":""}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"done"}]}],
      "tools":[{"name":"Bash","input_schema":{"type":"object"}},
               {"name":"mcp__srv__tool","description":"An MCP tool",
                "input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}]})";
  TranslatedRequest t = translate_text(body, o);
  ASSERT_EQ(t.body.at("tools").as_array().size(), 1u);
  EXPECT_EQ(t.body.at("tools").at(0).at("name"), "Bash");
  EXPECT_THAT(t.dropped, Contains("tools.mcp__srv__tool"));
  EXPECT_GT(t.filtered_tool_tokens, 0);
  EXPECT_EQ(t.body.at("instructions"),
            "The following deferred tools are now available via ToolSearch:\nRead\n\n"
            "mcp__srv__tool is mentioned here.");
  EXPECT_EQ(developer_text(t),
            "The following deferred tools are now available via ToolSearch. Use ToolSearch:\n"
            "CronList");
  EXPECT_EQ(input_of(t)[2].at("type"), "function_call");
  EXPECT_EQ(input_of(t)[2].at("name"), "mcp__srv__tool");
  EXPECT_EQ(input_of(t)[2].at("arguments"), R"({"q":""})");
  EXPECT_EQ(t.tools.client_name("mcp__srv__tool"), "mcp__srv__tool");
  // Without the filter the same request sends both tools and counts nothing.
  TranslatedRequest open = translate_text(body);
  EXPECT_EQ(open.body.at("tools").as_array().size(), 2u);
  EXPECT_EQ(open.filtered_tool_tokens, 0);
}

TEST(RequestTranslator, FiltersThatMatchNothingChangeNothing) {
  RequestOptions o = options();
  o.block_mcp = true;
  o.drop_tools = {"NoSuchTool"};
  for (const auto& name : request_fixture_names()) {
    TranslatedRequest filtered = translate_fixture(name, o);
    EXPECT_EQ(json::serialize(filtered.body), json::serialize(translate_fixture(name).body))
        << name;
    EXPECT_EQ(filtered.filtered_tool_tokens, 0) << name;
  }
}

TEST(RequestTranslator, EmptyToolListSendsNoTools) {
  TranslatedRequest t = translate_fixture("cc2.1.330-title-structured-output.json");
  EXPECT_FALSE(t.body.contains("tools"));
}

TEST(RequestTranslator, LongMcpToolNamesAreShortenedAndMapBack) {
  const std::string long_name =
      "mcp__claude_ai_Some_Very_Long_Server_Name__search_every_document_in_the_workspace_now";
  const std::string dotted = "mcp__files__read.file";
  json::object request = json::parse(R"({"messages":[
      {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"N","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}],
      "tools":[{"name":"N","input_schema":{"type":"object","properties":{}}},
               {"name":"D","input_schema":{"type":"object","properties":{}}}],
      "tool_choice":{"type":"tool","name":"N"}})")
                             .as_object();
  request.at("messages").at(0).at("content").at(0).as_object()["name"] = long_name;
  request.at("tools").at(0).as_object()["name"] = long_name;
  request.at("tools").at(1).as_object()["name"] = dotted;
  request.at("tool_choice").as_object()["name"] = long_name;

  TranslatedRequest t = translate_request(request, options());
  std::string upstream(str(t.body.at("tools").at(0).at("name")));
  std::string upstream_dotted(str(t.body.at("tools").at(1).at("name")));
  std::regex valid("^[a-zA-Z0-9_-]{1,64}$");
  EXPECT_TRUE(std::regex_match(upstream, valid)) << upstream;
  EXPECT_TRUE(std::regex_match(upstream_dotted, valid)) << upstream_dotted;
  EXPECT_EQ(str(input_of(t)[0].at("name")), upstream);
  EXPECT_EQ(str(t.body.at("tool_choice").at("name")), upstream);
  EXPECT_EQ(t.tools.client_name(upstream), long_name);
  EXPECT_EQ(t.tools.client_name(upstream_dotted), dotted);
  // The same name gives the same upstream name in the next request (cacheable prefix).
  EXPECT_EQ(str(translate_request(request, options()).body.at("tools").at(0).at("name")), upstream);
}

TEST(RequestTranslator, ToolChoiceMapsToResponsesForms) {
  auto choice_of = [](const std::string& choice) {
    return translate_text(
        R"({"messages":[],"tools":[{"name":"Bash","input_schema":{"type":"object"}}],
        "tool_choice":)" +
        choice + "}");
  };
  EXPECT_EQ(choice_of(R"({"type":"auto"})").body.at("tool_choice"), "auto");
  EXPECT_EQ(choice_of(R"({"type":"any"})").body.at("tool_choice"), "required");
  EXPECT_EQ(choice_of(R"({"type":"none"})").body.at("tool_choice"), "none");
  EXPECT_EQ(json::serialize(choice_of(R"({"type":"tool","name":"Bash"})").body.at("tool_choice")),
            R"({"type":"function","name":"Bash"})");
  TranslatedRequest serial = choice_of(R"({"type":"auto","disable_parallel_tool_use":true})");
  EXPECT_EQ(serial.body.at("parallel_tool_calls"), false);
  EXPECT_FALSE(choice_of(R"({"type":"auto"})").body.contains("parallel_tool_calls"));
  TranslatedRequest unknown_tool = choice_of(R"({"type":"tool","name":"Nope"})");
  EXPECT_FALSE(unknown_tool.body.contains("tool_choice"));
  EXPECT_THAT(unknown_tool.dropped, Contains("tool_choice"));
}

TEST(RequestTranslator, SchemaWithoutTypeGetsObjectType) {
  TranslatedRequest t = translate_text(R"({"messages":[],"tools":[{"name":"X",
      "input_schema":{"properties":{"a":{"type":"string"}}}},{"name":"Y"}]})");
  EXPECT_EQ(json::serialize(t.body.at("tools").at(0).at("parameters")),
            R"({"type":"object","properties":{"a":{"type":"string"}}})");
  EXPECT_EQ(json::serialize(t.body.at("tools").at(1).at("parameters")),
            R"({"type":"object","properties":{}})");
}

// ---- the other fields

TEST(RequestTranslator, ThePromptCacheKeyIsTheClaudeCodeSession) {
  // From metadata.user_id (a JSON string) when no session id is passed in...
  TranslatedRequest t = translate_fixture("cc2.1.330-first-turn.json");
  const json::object& first = test::read_json_fixture("claude-code-requests/cc2.1.330-first-turn.json");
  const json::object user = json::parse(first.at("metadata").at("user_id").as_string()).as_object();
  EXPECT_EQ(t.body.at("prompt_cache_key"), user.at("session_id"));
  // ...and the X-Claude-Code-Session-Id header's value when it is.
  RequestOptions o = options();
  o.prompt_cache_key = "header-session";
  EXPECT_EQ(translate_request(first, o).body.at("prompt_cache_key"), "header-session");
}

TEST(RequestTranslator, EffortFollowsItsPrecedence) {
  const json::object tool_turn = test::read_json_fixture("claude-code-requests/cc2.1.330-write-tool-turn2-tool-result.json");
  const json::object first_turn = test::read_json_fixture("claude-code-requests/cc2.1.330-first-turn.json");
  auto effort = [](const TranslatedRequest& t) { return std::string(t.body.at("reasoning").at("effort").as_string()); };
  RequestOptions o = options();
  o.default_effort = "high";
  o.tools_turn_effort = "low";
  // Claude Code asks for medium: that beats the tier default...
  TranslatedRequest t = translate_request(first_turn, o);
  EXPECT_EQ(effort(t), "medium");
  EXPECT_EQ(t.effort_reason, "asked for by the client");
  // ...a turn that continues a tool loop gets the tools effort...
  t = translate_request(tool_turn, o);
  EXPECT_EQ(effort(t), "low");
  EXPECT_EQ(t.effort_reason, "the turn continues a tool loop");
  // ...also when text follows the tool results in the same message (a ToolSearch result)...
  t = translate_request(test::read_json_fixture(
                            "claude-code-requests/cc2.1.330-toolsearch-result-tool-reference.json"), o);
  EXPECT_EQ(effort(t), "low");
  // ...and CLAUDEGPT_EFFORT beats everything.
  o.forced_effort = "xhigh";
  EXPECT_EQ(effort(translate_request(tool_turn, o)), "xhigh");
  EXPECT_EQ(effort(translate_request(first_turn, o)), "xhigh");
  // Without a client effort, the tier's default.
  RequestOptions plain = options();
  plain.default_effort = "high";
  t = translate_text(R"({"messages":[{"role":"user","content":"hi"}]})", plain);
  EXPECT_EQ(effort(t), "high");
  EXPECT_EQ(t.effort_reason, "the tier's default");
}

TEST(RequestTranslator, BodyFieldsComeInAStableOrderWithThePrefixFirst) {
  TranslatedRequest t = translate_fixture("cc2.1.330-first-turn.json");
  EXPECT_THAT(keys_of(t.body), ElementsAre("model", "instructions", "tools", "input", "reasoning",
                                           "max_output_tokens", "include", "store", "stream",
                                           "prompt_cache_key"));
  TranslatedRequest all = translate_text(R"({"model":"claude-opus-5-5","stream":true,
      "tool_choice":{"type":"any","disable_parallel_tool_use":true},"max_tokens":100,
      "output_config":{"effort":"low","format":{"type":"json_schema","schema":{"type":"object"}}},
      "tools":[{"name":"A","input_schema":{"type":"object"}}],"system":"s","messages":[]})");
  EXPECT_THAT(
      keys_of(all.body),
      ElementsAre("model", "instructions", "tools", "input", "tool_choice", "parallel_tool_calls",
                  "reasoning", "text", "max_output_tokens", "include", "store", "stream"));
  EXPECT_TRUE(json::serialize(all.body).starts_with(R"({"model":"gpt-test","instructions":"s",)"));
}

TEST(RequestTranslator, UpstreamAlwaysStreamsWithoutStorageAndReturnsEncryptedReasoning) {
  TranslatedRequest t = translate_fixture("cc2.1.330-nonstream-fallback.json");
  EXPECT_FALSE(t.client_wants_stream);
  EXPECT_EQ(t.body.at("stream"), true);
  EXPECT_EQ(t.body.at("store"), false);
  EXPECT_EQ(json::serialize(t.body.at("include")), R"(["reasoning.encrypted_content"])");
  EXPECT_TRUE(translate_fixture("cc2.1.330-first-turn.json").client_wants_stream);
}

RequestOptions for_model(const std::string& model) {
  RequestOptions o = options();
  o.upstream_model = model;
  return o;
}

std::int64_t max_output_tokens(const std::string& fields, const RequestOptions& o = options()) {
  return translate_text(R"({"messages":[])" + fields + "}", o).body.at("max_output_tokens").as_int64();
}

TEST(RequestTranslator, MaxTokensBecomesMaxOutputTokensNeverBelow16) {
  // A model that does not reason gets the client's figure as it is.
  const RequestOptions plain = for_model("gpt-4.1");
  EXPECT_EQ(max_output_tokens(R"(,"max_tokens":1)", plain), 16);
  EXPECT_EQ(max_output_tokens(R"(,"max_tokens":16)", plain), 16);
  EXPECT_EQ(max_output_tokens(R"(,"max_tokens":17)", plain), 17);
  // With no room above the client's figure the upstream's limit is the client's: no cut.
  EXPECT_EQ(translate_text(R"({"messages":[],"max_tokens":17})", plain).visible_max_tokens, 0);
  // Claude Code's 128000 is already GPT-5's whole output limit.
  EXPECT_EQ(translate_fixture("cc2.1.330-first-turn.json", for_model("gpt-5.5"))
                .body.at("max_output_tokens"),
            128000);
}

TEST(RequestTranslator, ReasoningModelsGetRoomToReasonAboveMaxTokensByEffort) {
  // GPT-5.x counts reasoning in max_output_tokens: the upstream gets a floor per effort plus
  // a share of max_tokens on top of what the client wants to read.
  const RequestOptions gpt = for_model("gpt-5.5");
  auto at_effort = [&](const std::string& effort, int max_tokens) {
    RequestOptions o = gpt;
    o.forced_effort = effort;
    return max_output_tokens(R"(,"max_tokens":)" + std::to_string(max_tokens), o);
  };
  EXPECT_EQ(at_effort("none", 1000), 1000 + 1024);  // in case the model steps down to minimal
  EXPECT_EQ(at_effort("minimal", 1000), 1000 + 2048);
  EXPECT_EQ(at_effort("low", 1000), 1000 + 8192 + 250);
  EXPECT_EQ(at_effort("medium", 1000), 1000 + 25000 + 250);
  EXPECT_EQ(at_effort("high", 1000), 1000 + 32768 + 500);
  EXPECT_EQ(at_effort("xhigh", 1000), 1000 + 65536 + 500);
  EXPECT_EQ(max_output_tokens(R"(,"max_tokens":1000)", gpt), 1000 + 25000 + 250);  // tier default
  // Never past the model's output limit (a 400), never below the client's own figure.
  EXPECT_EQ(at_effort("high", 100000), 128000);
  EXPECT_EQ(at_effort("high", 128000), 128000);
  EXPECT_EQ(max_output_tokens(R"(,"max_tokens":8192)", for_model("o3")), 8192 + 25000 + 2048);
  // A model the proxy does not know (an Azure deployment name): within 32,768.
  EXPECT_EQ(max_output_tokens(R"(,"max_tokens":8192)", for_model("my-deployment")), 32768);
  EXPECT_EQ(max_output_tokens(R"(,"max_tokens":64000)", for_model("my-deployment")), 64000);
  EXPECT_EQ(translate_text(R"({"messages":[],"max_tokens":8192})", gpt).visible_max_tokens, 8192);
  EXPECT_EQ(translate_text(R"({"messages":[],"max_tokens":128000})", gpt).visible_max_tokens, 0);
}

TEST(RequestTranslator, ClaudeCodesClassifierRequestsReasonAtTheLowestEffortWithRoomForTheAnswer) {
  // Claude Code's own safety classifier: no tools, not streamed, thinking disabled, max_tokens
  // 64 then 8192, and it expects exactly <severity>N</severity> with end_turn.
  for (auto [name, max_tokens] : {std::pair{"cc2.1.332-auto-mode-classifier-stage1.json", 64},
                                  std::pair{"cc2.1.332-auto-mode-classifier-stage2.json", 8192}}) {
    SCOPED_TRACE(name);
    TranslatedRequest t = translate_fixture(name, for_model("gpt-5.4-mini"));
    EXPECT_EQ(t.body.at("reasoning").at("effort"), "none");
    EXPECT_EQ(t.effort_reason, "the client disabled thinking: the lowest effort of gpt-5.4-mini");
    EXPECT_EQ(t.visible_max_tokens, max_tokens);
    EXPECT_EQ(t.body.at("max_output_tokens"), max_tokens + 1024);
    EXPECT_FALSE(t.body.contains("tools"));
    EXPECT_FALSE(t.client_wants_stream);
  }
}

TEST(RequestTranslator, MaxTokensZeroIsRefusedAsAReviewThisServerDoesNotServe) {
  // Claude Code's review requests (max_tokens 0) read a 400 naming their beta as unknown as
  // "not served here" and stop asking; nothing is generated.
  for (const char* zero : {"0", "0.0"}) {
    try {
      translate_text(std::string(R"({"messages":[],"max_tokens":)") + zero + "}");
      ADD_FAILURE() << "max_tokens " << zero << " was translated";
    } catch (const InvalidRequest& e) {
      EXPECT_THAT(e.what(), HasSubstr("Unexpected value(s) `subagent-review-2026-11-17`"));
      EXPECT_THAT(e.what(), HasSubstr("evaluate-safeguards-2026-11-21-grffcm"));
      EXPECT_THAT(e.what(), HasSubstr("anthropic-beta"));
    }
  }
  // Only zero: a count_tokens body has no max_tokens at all.
  EXPECT_FALSE(translate_text(R"({"messages":[]})").body.contains("max_output_tokens"));
}

TEST(RequestTranslator, ThinkingDisplayUpdatesOf2_1_332IsShownAsSummarized) {
  // 2.1.332 sends thinking {type: adaptive, display: "updates"}: the summary is asked for as
  // always (and streams as it comes), the effort is the client's, display goes nowhere.
  TranslatedRequest t = translate_fixture("cc2.1.332-auto-mode-main-turn.json", for_model("gpt-5.5"));
  EXPECT_EQ(t.body.at("reasoning").at("summary"), "auto");
  EXPECT_EQ(t.body.at("reasoning").at("effort"), "medium");
  EXPECT_EQ(t.effort_reason, "asked for by the client");
  EXPECT_THAT(t.dropped, Contains("thinking.display"));
  EXPECT_EQ(t.body.at("max_output_tokens"), 128000);
}

TEST(RequestTranslator, CountTokensBodiesTranslateWithoutMaxOutputTokens) {
  for (const char* name :
       {"cc2.1.330-count-tokens-section.json", "cc2.1.330-count-tokens-tools.json"}) {
    TranslatedRequest t = translate_fixture(name);
    EXPECT_FALSE(t.body.contains("max_output_tokens")) << name;
    EXPECT_FALSE(t.client_wants_stream) << name;
    EXPECT_FALSE(input_of(t).empty()) << name;
  }
}

TEST(RequestTranslator, SamplingAndAnthropicOnlyFieldsAreDroppedAndListed) {
  TranslatedRequest t = translate_text(R"({"messages":[],"temperature":0.2,"top_p":0.9,"top_k":5,
      "stop_sequences":["END"],"metadata":{"user_id":"u"},"context_management":{"edits":[]},
      "service_tier":"auto","container":"c","mcp_servers":[],"frobnicate":true,
      "thinking":{"type":"adaptive","display":"omitted"}})");
  for (const char* field :
       {"temperature", "top_p", "top_k", "stop_sequences", "metadata", "context_management",
        "service_tier", "container", "mcp_servers", "frobnicate", "thinking.display"}) {
    EXPECT_THAT(t.dropped, Contains(field));
    EXPECT_FALSE(t.body.contains(field)) << field;
  }
  EXPECT_FALSE(t.body.contains("thinking"));
  EXPECT_FALSE(t.body.contains("metadata"));
}

TEST(RequestTranslator, FixtureAnthropicFieldsAreListedAsDropped) {
  TranslatedRequest t = translate_fixture("cc2.1.330-first-turn.json");
  EXPECT_THAT(t.dropped, Contains("metadata"));
  EXPECT_THAT(t.dropped, Contains("context_management"));
  EXPECT_THAT(t.dropped, Contains("thinking.display"));
  EXPECT_THAT(t.dropped, Not(Contains("model")));
  EXPECT_THAT(t.dropped, Not(Contains("stream")));
}

std::string effort_of(const std::string& fields, const RequestOptions& o = options()) {
  TranslatedRequest t = translate_text(R"({"messages":[)" + fields + "}", o);
  EXPECT_EQ(t.body.at("reasoning").at("summary"), "auto");
  const json::value* effort = t.body.at("reasoning").as_object().if_contains("effort");
  return effort ? std::string(str(*effort)) : "";
}

TEST(RequestTranslator, EffortComesFromOutputConfigThenThinkingBudgetThenTheDefault) {
  EXPECT_EQ(effort_of(R"(],"output_config":{"effort":"low"})"), "low");
  EXPECT_EQ(effort_of(R"(],"output_config":{"effort":"medium"})"), "medium");
  EXPECT_EQ(effort_of(R"(],"output_config":{"effort":"high"})"), "high");
  EXPECT_EQ(effort_of(R"(],"output_config":{"effort":"xhigh"})"), "xhigh");
  EXPECT_EQ(effort_of(R"(],"output_config":{"effort":"max"})"), "xhigh");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"enabled","budget_tokens":1024})"), "low");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"enabled","budget_tokens":4096})"), "low");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"enabled","budget_tokens":4097})"), "medium");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"enabled","budget_tokens":12288})"), "medium");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"enabled","budget_tokens":31999})"), "high");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"enabled","budget_tokens":31999},
                          "output_config":{"effort":"low"})"),
            "low");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"disabled"})"), "none");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"adaptive"})"), "medium");
  EXPECT_EQ(effort_of("]"), "medium");
  RequestOptions high = options();
  high.default_effort = "high";
  EXPECT_EQ(effort_of("]", high), "high");
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"disabled"})", high), "none");
  EXPECT_EQ(translate_fixture("cc2.1.197-first-turn.json").body.at("reasoning").at("effort"),
            "high");
}

TEST(RequestTranslator, DisabledThinkingTakesTheLowestEffortTheModelHas) {
  const std::string disabled = R"(],"thinking":{"type":"disabled"})";
  EXPECT_EQ(effort_of(disabled, for_model("gpt-5.5")), "none");
  EXPECT_EQ(effort_of(disabled, for_model("gpt-5.1")), "none");  // it lacks minimal, not none
  EXPECT_EQ(effort_of(disabled, for_model("gpt-5-mini")), "minimal");
  EXPECT_EQ(effort_of(disabled, for_model("gpt-5-2025-08-07")), "minimal");
  EXPECT_EQ(effort_of(disabled, for_model("my-deployment")), "none");  // stepped down if refused
  // It beats the client's own effort, the tier's default and the tool-loop effort.
  RequestOptions busy = for_model("gpt-5.5");
  busy.default_effort = "high";
  busy.tools_turn_effort = "low";
  EXPECT_EQ(effort_of(R"(],"thinking":{"type":"disabled"},"output_config":{"effort":"high"})", busy),
            "none");
  TranslatedRequest t = translate_text(
      R"({"messages":[{"role":"user","content":"x"}],"thinking":{"type":"disabled"}})", busy);
  EXPECT_EQ(t.effort_reason, "the client disabled thinking: the lowest effort of gpt-5.5");
}

TEST(RequestTranslator, AForcedEffortWinsOverDisabledThinkingAndSaysSo) {
  // CLAUDEGPT_EFFORT is the user's one effort for every request; the headroom keeps a
  // classifier's 64 visible tokens whole even at high.
  RequestOptions forced = for_model("gpt-5.5");
  forced.forced_effort = "high";
  TranslatedRequest t = translate_text(
      R"({"messages":[],"thinking":{"type":"disabled"},"max_tokens":64})", forced);
  EXPECT_EQ(t.body.at("reasoning").at("effort"), "high");
  EXPECT_EQ(t.effort_reason, "CLAUDEGPT_EFFORT (over the client's disabled thinking)");
  EXPECT_EQ(t.body.at("max_output_tokens"), 64 + 32768 + 32);
  EXPECT_EQ(translate_text(R"({"messages":[]})", forced).effort_reason, "CLAUDEGPT_EFFORT");
}

TEST(RequestTranslator, StructuredOutputBecomesTextFormat) {
  TranslatedRequest t = translate_fixture("cc2.1.330-title-structured-output.json");
  EXPECT_EQ(json::serialize(t.body.at("text")),
            R"({"format":{"type":"json_schema","name":"output","schema":{"type":"object",)"
            R"("properties":{"title":{"type":"string"}},"required":["title"],)"
            R"("additionalProperties":false},"strict":false}})");
}

// ---- malformed requests

void expect_invalid(const std::string& body, const std::string& message_part) {
  try {
    translate_request(json::parse(body), options());
    ADD_FAILURE() << "accepted: " << body;
  } catch (const InvalidRequest& e) {
    EXPECT_THAT(e.what(), HasSubstr(message_part)) << body;
  }
}

TEST(RequestTranslator, MalformedRequestsAreRejectedWithAClearMessage) {
  expect_invalid(R"([1,2])", "JSON object");
  expect_invalid(R"({"model":"x"})", "messages");
  expect_invalid(R"({"messages":{}})", "messages");
  expect_invalid(R"({"messages":[3]})", "messages.0");
  expect_invalid(R"({"messages":[{"role":"user"}]})", "messages.0.content");
  expect_invalid(R"({"messages":[{"role":"user","content":7}]})", "messages.0.content");
  expect_invalid(R"({"messages":[{"content":"x"}]})", "messages.0.role");
  expect_invalid(R"({"messages":[{"role":"robot","content":"x"}]})", "role");
  expect_invalid(R"({"messages":[{"role":"user","content":["text"]}]})", "objects");
  expect_invalid(R"({"messages":[{"role":"user","content":[{"text":"x"}]}]})", "type");
  expect_invalid(R"({"messages":[{"role":"user","content":[{"type":"text","text":5}]}]})", "text");
  expect_invalid(
      R"({"messages":[{"role":"assistant","content":[{"type":"tool_use","name":"A"}]}]})",
      "tool_use without an id");
  expect_invalid(R"({"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t"}]}]})",
                 "tool_use without a name");
  expect_invalid(R"({"messages":[{"role":"user","content":[{"type":"tool_result"}]}]})",
                 "tool_use_id");
  expect_invalid(R"({"messages":[{"role":"user","content":[{"type":"tool_result",
                 "tool_use_id":"t","content":5}]}]})",
                 "content");
  expect_invalid(R"({"messages":[],"tools":{}})", "tools");
  expect_invalid(R"({"messages":[],"tools":[{"description":"no name"}]})", "tools.0.name");
  expect_invalid(R"({"messages":[],"system":5})", "system");
  expect_invalid(R"({"messages":[],"max_tokens":"many"})", "max_tokens");
}

TEST(RequestTranslator, UnusualButLegitimateRequestsAreAccepted) {
  // An empty conversation, null fields, a non-bool stream, a tool_use without input.
  TranslatedRequest t = translate_text(R"({"messages":[
      {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"A"}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t"}]}],
      "system":null,"tools":null,"stream":"yes","tool_choice":null,"max_tokens":null})");
  EXPECT_EQ(input_of(t)[0].at("arguments"), "{}");
  EXPECT_EQ(input_of(t)[1].at("output"), "");
  EXPECT_FALSE(t.client_wants_stream);
  EXPECT_NO_THROW(translate_text(R"({"messages":[]})"));
}

TEST(RequestTranslator, AssigningATranslationKeepsItsBodyIntact) {
  TranslatedRequest kept;
  kept = translate_fixture("cc2.1.330-write-tool-turn2-tool-result.json");
  TranslatedRequest fresh = translate_fixture("cc2.1.330-write-tool-turn2-tool-result.json");
  EXPECT_EQ(json::serialize(kept.body), json::serialize(fresh.body));
  EXPECT_EQ(kept.dropped, fresh.dropped);
  EXPECT_TRUE(kept.client_wants_stream);
  TranslatedRequest copy = kept;
  kept = TranslatedRequest();
  EXPECT_EQ(json::serialize(copy.body), json::serialize(fresh.body));
  EXPECT_TRUE(kept.body.empty());
}

}  // namespace
}  // namespace claudegpt
