// Upstream prompt caching keys on the leading bytes of a request. Each turn of a session must
// therefore begin, byte for byte, with the previous turn's body up to the end of its input:
// stable field order, stable tool serialisation, nothing per-request before the conversation.
// Checked on real recorded sessions, for every provider's body rules.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "config/settings.h"
#include "core/request_translator.h"
#include "upstream/provider.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

const std::string kRequests = std::string(CLAUDEGPT_FIXTURES_DIR) + "/claude-code-requests/";

json::object read_object(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

// The main loop of the recorded 1.0.6 session: the longest run of its Sonnet requests with
// the full tool set whose conversation grows turn by turn (13 turns; the Haiku side requests
// in between are other conversations).
std::vector<json::object> recorded_main_loop() {
  std::ifstream in(kRequests + "cc1.0.6-session-traffic.jsonl");
  std::vector<json::object> longest, run;
  for (std::string line; std::getline(in, line);) {
    json::object row = json::parse(line).as_object();
    json::object body = row.at("request").as_object().at("body").as_object();
    if (body.at("model").as_string().find("sonnet") == json::string::npos) continue;
    if (body.at("tools").as_array().size() < 10) continue;
    if (!run.empty() && body.at("messages").as_array().size() <= run.back().at("messages").as_array().size())
      run.clear();  // a new conversation starts
    run.push_back(std::move(body));
    if (run.size() > longest.size()) longest = run;
  }
  return longest;
}

Settings settings_for(ProviderKind provider) {
  Settings s;
  s.provider = provider;
  s.azure_endpoint = "https://example.openai.azure.com";
  s.codex_auth_file = "/nonexistent/auth.json";  // never read: only body rules are used here
  return s;
}

// What the upstream receives for one turn, on `provider`.
std::string upstream_body(const json::object& anthropic, const Settings& settings, Provider& provider) {
  RequestOptions options;
  options.upstream_model = settings.upstream_model(std::string(anthropic.at("model").as_string()));
  options.prompt_cache_key = "session-1";
  TranslatedRequest translated = translate_request(anthropic, options);
  provider.adapt_body(translated.body);
  return json::serialize(translated.body);
}

// The body up to the end of its input array (everything a later turn must repeat).
std::string prefix_through_input(const std::string& body) {
  json::object parsed = json::parse(body).as_object();
  json::object head;
  for (const auto& entry : parsed) {
    head.emplace(entry.key(), entry.value());
    if (entry.key() == "input") break;
  }
  std::string text = json::serialize(head);
  return text.substr(0, text.size() - 2);  // without the closing "]}"
}

void expect_each_turn_extends_the_last(const std::vector<json::object>& turns) {
  for (ProviderKind kind : {ProviderKind::openai, ProviderKind::azure, ProviderKind::codex}) {
    std::string_view name = to_string(kind);
    Settings settings = settings_for(kind);
    Provider provider(settings);
    std::string previous;
    for (std::size_t i = 0; i < turns.size(); ++i) {
      std::string body = upstream_body(turns[i], settings, provider);
      if (!previous.empty()) {
        std::string prefix = prefix_through_input(previous);
        ASSERT_EQ(body.compare(0, prefix.size(), prefix), 0)
            << name << ": turn " << i << " does not begin with turn " << i - 1 << "'s body";
      }
      previous = std::move(body);
    }
  }
}

TEST(PromptPrefix, EveryTurnOfARecordedSessionBeginsWithThePreviousTurn) {
  std::vector<json::object> turns = recorded_main_loop();
  ASSERT_GE(turns.size(), 10u);
  expect_each_turn_extends_the_last(turns);
}

TEST(PromptPrefix, AToolRoundTripOfClaudeCode2_1_330BeginsWithThePreviousTurn) {
  expect_each_turn_extends_the_last({read_object(kRequests + "cc2.1.330-write-tool-turn1.json"),
                                     read_object(kRequests + "cc2.1.330-write-tool-turn2-tool-result.json")});
}

}  // namespace
}  // namespace claudegpt
