// What each environment variable does to the settings (the launcher issue adds .env files
// on top of this).
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "config/settings.h"

namespace claudegpt {
namespace {

Settings from(const std::map<std::string, std::string>& env) {
  return Settings::from_environment([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(Settings, OpenAiIsTheDefaultWithGpt5ModelsPerTier) {
  Settings s = from({});
  EXPECT_EQ(s.provider, "openai");
  EXPECT_EQ(s.upstream_model("claude-opus-5-5"), "gpt-5.5");
  EXPECT_EQ(s.upstream_model("claude-sonnet-5-5"), "gpt-5.4-mini");
  EXPECT_EQ(s.upstream_model("claude-haiku-5-5"), "gpt-5.4-mini");
  EXPECT_EQ(s.upstream_model("gpt-4.1"), "gpt-4.1");  // no tier word: passed through
}

TEST(Settings, AzureUsesItsDeploymentsAndNeedsAnEndpoint) {
  EXPECT_THROW(from({{"CLAUDEGPT_PROVIDER", "azure"}}), std::invalid_argument);
  Settings s = from({{"CLAUDEGPT_PROVIDER", "azure"}, {"AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com/"},
                     {"AZURE_OPENAI_CHAT_DEPLOYMENT", "my-mini"}, {"CLAUDEGPT_TOOLS_DEPLOYMENT", "tools-dep"}});
  EXPECT_EQ(s.azure_endpoint, "https://r.openai.azure.com");
  EXPECT_EQ(s.upstream_model("claude-opus-5-5"), "gpt-5-5");
  EXPECT_EQ(s.upstream_model("claude-sonnet-5-5"), "my-mini");
  EXPECT_EQ(s.upstream_model("claude-haiku-5-5"), "gpt-54-nano");
  EXPECT_EQ(s.upstream_model("claude-sonnet-5-5", /*carries_tools=*/true), "tools-dep");
  EXPECT_EQ(s.azure_responses_api_version, "preview");
  EXPECT_EQ(from({{"CLAUDEGPT_PROVIDER", "azure"}, {"AZURE_OPENAI_ENDPOINT", "https://r"},
                  {"AZURE_OPENAI_RESPONSES_API_VERSION", ""}}).azure_responses_api_version, "");
}

TEST(Settings, CodexFindsItsLoginAndModels) {
  Settings s = from({{"CLAUDEGPT_PROVIDER", "codex"}, {"HOME", "/home/u"}, {"CLAUDEGPT_CODEX_OPUS", "gpt-5.5-codex"}});
  EXPECT_EQ(s.codex_auth_file, "/home/u/.codex/auth.json");
  EXPECT_EQ(s.upstream_model("claude-opus-5-5"), "gpt-5.5-codex");
  EXPECT_EQ(from({{"CLAUDEGPT_PROVIDER", "codex"}, {"HOME", "/home/u"}, {"CODEX_HOME", "/c"}}).codex_auth_file,
            "/c/auth.json");
  EXPECT_EQ(from({{"CLAUDEGPT_PROVIDER", "codex"}, {"CODEX_HOME", "/c"}, {"CLAUDEGPT_CODEX_AUTH", "/x.json"}})
                .codex_auth_file,
            "/x.json");
  EXPECT_EQ(from({{"CLAUDEGPT_PROVIDER", "codex"}, {"CLAUDEGPT_CODEX_BASE_URL", "http://h/codex/"}}).codex_endpoint,
            "http://h/codex/responses");
}

TEST(Settings, UnknownProvidersAndBadNumbersAreRefusedByName) {
  try {
    from({{"CLAUDEGPT_PROVIDER", "anthropic"}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("CLAUDEGPT_PROVIDER"), std::string::npos);
  }
  EXPECT_THROW(from({{"CLAUDEGPT_PORT", "80a"}}), std::invalid_argument);
  EXPECT_THROW(from({{"CLAUDEGPT_REASONING_OPUS", "extreme"}}), std::invalid_argument);
}

TEST(Settings, EffortsPerTierWithMaxMeaningXhigh) {
  Settings s = from({{"CLAUDEGPT_REASONING_OPUS", "max"}, {"CLAUDEGPT_TOOLS_REASONING", ""},
                     {"CLAUDEGPT_EFFORT", "high"}});
  EXPECT_EQ(s.effort_for("claude-opus-5-5"), "xhigh");
  EXPECT_EQ(s.effort_for("claude-haiku-5-5"), "medium");
  EXPECT_EQ(s.tools_effort, "");  // set but empty: no tools-turn rule
  EXPECT_EQ(s.forced_effort, "high");
  EXPECT_EQ(from({}).tools_effort, "low");
}

TEST(Settings, InputFiguresAreScaledToTheBackendWindow) {
  EXPECT_DOUBLE_EQ(from({}).token_scale_for("claude-opus-5-5"), 2.5);  // 1,000,000 / 400,000
  EXPECT_DOUBLE_EQ(from({{"CLAUDEGPT_BACKEND_CONTEXT_OPUS", "272000"}, {"CLAUDEGPT_CLIENT_CONTEXT", "200000"}})
                       .token_scale_for("claude-opus-5-5"),
                   200000.0 / 272000.0);
  EXPECT_DOUBLE_EQ(from({{"CLAUDEGPT_CLIENT_CONTEXT", "0"}}).token_scale_for("claude-opus-5-5"), 1.0);
  EXPECT_DOUBLE_EQ(from({}).token_scale_for("gpt-4.1"), 1.0);  // unknown window
}

TEST(Settings, SmallModelsGetNoHostedWebSearch) {
  Settings s = from({});
  EXPECT_FALSE(s.web_search_allowed("gpt-54-nano"));
  EXPECT_TRUE(s.web_search_allowed("gpt-5.5"));
  EXPECT_FALSE(from({{"CLAUDEGPT_NO_WEB_SEARCH", "nano, mini"}}).web_search_allowed("gpt-5.4-mini"));
}

TEST(Settings, TheCaBundleComesFromClaudegptOrSslCertFile) {
  EXPECT_EQ(from({{"SSL_CERT_FILE", "/a.pem"}}).ca_bundle, "/a.pem");
  EXPECT_EQ(from({{"SSL_CERT_FILE", "/a.pem"}, {"CLAUDEGPT_CA_BUNDLE", "/b.pem"}}).ca_bundle, "/b.pem");
}

}  // namespace
}  // namespace claudegpt
