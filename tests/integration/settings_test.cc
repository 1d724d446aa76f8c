// What each environment variable does to the settings (the launcher issue adds .env files
// on top of this).
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "config/codex_auth_path.h"
#include "config/settings.h"

namespace claudegpt {
namespace {

Settings from(const std::map<std::string, std::string>& env, const Settings::SourceOf& source_of = {}) {
  return Settings::from_environment(
      [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      source_of);
}

// Why `env` is refused, or "<accepted>".
std::string error_of(const std::map<std::string, std::string>& env, const Settings::SourceOf& source_of = {}) {
  try {
    from(env, source_of);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<accepted>";
}

TEST(Settings, OpenAiIsTheDefaultWithGpt5ModelsPerTier) {
  Settings s = from({});
  EXPECT_EQ(s.provider, ProviderKind::openai);
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

// Claude Code 2.1.33x offers fable (claude-fable-5-2), above opus; mythos ranks with it.
TEST(FableTier, EachSettingDefaultsToTheOpusTiers) {
  Settings s = from({{"CLAUDEGPT_OPENAI_OPUS", "gpt-big"}, {"CLAUDEGPT_REASONING_OPUS", "high"},
                     {"CLAUDEGPT_CUTOFF_OPUS", "June 2026"}, {"CLAUDEGPT_BACKEND_CONTEXT_OPUS", "272000"}});
  for (const char* fable : {"claude-fable-5-2", "claude-mythos-5-2"}) {
    EXPECT_EQ(s.upstream_model(fable), "gpt-big") << fable;
    EXPECT_EQ(s.effort_for(fable), "high") << fable;
    EXPECT_EQ(s.cutoff_for(fable), "June 2026") << fable;
    EXPECT_EQ(s.context_window_for(fable), 272000) << fable;
  }
  EXPECT_EQ(from({}).upstream_model("claude-fable-5-2"), "gpt-5.5");
  EXPECT_EQ(from({{"CLAUDEGPT_REASONING_EFFORT", "low"}}).effort_for("claude-fable-5-2"), "low");
}

TEST(FableTier, ItsOwnVariablesBeatOpuss) {
  Settings s = from({{"CLAUDEGPT_OPENAI_FABLE", "gpt-huge"}, {"CLAUDEGPT_REASONING_FABLE", "max"},
                     {"CLAUDEGPT_CUTOFF_FABLE", "2027"}, {"CLAUDEGPT_BACKEND_CONTEXT_FABLE", "1050000"}});
  EXPECT_EQ(s.upstream_model("claude-fable-5-2"), "gpt-huge");
  EXPECT_EQ(s.effort_for("claude-fable-5-2"), "xhigh");
  EXPECT_EQ(s.cutoff_for("claude-fable-5-2"), "2027");
  EXPECT_EQ(s.context_window_for("claude-fable-5-2"), 1050000);
  EXPECT_EQ(s.upstream_model("claude-opus-5-5"), "gpt-5.5");  // opus keeps its own
  EXPECT_EQ(from({{"CLAUDEGPT_PROVIDER", "codex"}, {"CLAUDEGPT_CODEX_FABLE", "gpt-5.5-codex-max"}})
                .upstream_model("claude-fable-5-2"),
            "gpt-5.5-codex-max");
  Settings azure = from({{"CLAUDEGPT_PROVIDER", "azure"}, {"AZURE_OPENAI_ENDPOINT", "https://r"}});
  EXPECT_EQ(azure.upstream_model("claude-fable-5-2"), "gpt-5-5");  // the FULL deployment
  EXPECT_EQ(from({{"CLAUDEGPT_PROVIDER", "azure"}, {"AZURE_OPENAI_ENDPOINT", "https://r"},
                  {"AZURE_OPENAI_CHAT_DEPLOYMENT_FABLE", "fable-dep"}})
                .upstream_model("claude-fable-5-2"),
            "fable-dep");
  EXPECT_EQ(error_of({{"CLAUDEGPT_REASONING_FABLE", "extreme"}}),
            "CLAUDEGPT_REASONING_FABLE=extreme: expected none|minimal|low|medium|high|xhigh");
}

// The upstream would refuse a Claude name it does not know; a GPT model chosen with /model
// is the user's and goes as it is.
TEST(UnknownClaudeTier, OtherClaudeNamesGoToSonnetUnlessSetAndOthersPassThrough) {
  Settings s = from({{"CLAUDEGPT_OPENAI_SONNET", "gpt-mid"}, {"CLAUDEGPT_REASONING_SONNET", "low"}});
  EXPECT_EQ(s.upstream_model("claude-unknown-9"), "gpt-mid");
  EXPECT_EQ(s.effort_for("claude-unknown-9"), "low");
  EXPECT_EQ(s.context_window_for("claude-unknown-9"), 400000);
  EXPECT_EQ(s.tier_for("claude-unknown-9"), ModelTier::sonnet);
  EXPECT_EQ(s.upstream_model("gpt-5.5"), "gpt-5.5");
  EXPECT_EQ(s.tier_for("gpt-5.5"), ModelTier::other);
  Settings haiku = from({{"CLAUDEGPT_UNKNOWN_CLAUDE_TIER", "Haiku"}, {"CLAUDEGPT_OPENAI_HAIKU", "gpt-small"}});
  EXPECT_EQ(haiku.unknown_claude_tier, ModelTier::haiku);
  EXPECT_EQ(haiku.upstream_model("claude-unknown-9"), "gpt-small");
  EXPECT_EQ(from({{"CLAUDEGPT_UNKNOWN_CLAUDE_TIER", "fable"}}).tier_for("claude-unknown-9"), ModelTier::fable);
}

TEST(UnknownClaudeTier, OnlyATiersWordIsAccepted) {
  EXPECT_EQ(error_of({{"CLAUDEGPT_UNKNOWN_CLAUDE_TIER", "gpt-5.5"}}),
            "CLAUDEGPT_UNKNOWN_CLAUDE_TIER=gpt-5.5: expected opus, sonnet, haiku or fable");
  EXPECT_EQ(error_of({{"CLAUDEGPT_UNKNOWN_CLAUDE_TIER", "other"}}),
            "CLAUDEGPT_UNKNOWN_CLAUDE_TIER=other: expected opus, sonnet, haiku or fable");
  EXPECT_EQ(from({{"CLAUDEGPT_UNKNOWN_CLAUDE_TIER", ""}}).unknown_claude_tier, ModelTier::sonnet);
}

TEST(Settings, TheDefaultModelIsATiersWord) {
  EXPECT_EQ(from({{"CLAUDEGPT_DEFAULT_MODEL", "Fable"}}).default_model, "fable");
  EXPECT_EQ(from({{"CLAUDEGPT_DEFAULT_MODEL", "mythos"}}).default_model, "fable");
  EXPECT_EQ(from({{"CLAUDEGPT_DEFAULT_MODEL", "claude-haiku-5-5"}}).default_model, "haiku");
  EXPECT_EQ(error_of({{"CLAUDEGPT_DEFAULT_MODEL", "gpt-5.5"}}),
            "CLAUDEGPT_DEFAULT_MODEL=gpt-5.5: expected opus, sonnet, haiku or fable (or empty: Claude Code's own default)");
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

// CLAUDEGPT_PING_INTERVAL_MS=0 used to send 120,581 pings in 6 s to one client.
TEST(SettingRanges, APingIntervalOfZeroIsRefusedNotAFlood) {
  EXPECT_EQ(error_of({{"CLAUDEGPT_PING_INTERVAL_MS", "0"}}),
            "CLAUDEGPT_PING_INTERVAL_MS=0: must be between 100 and 600000 ms");
  EXPECT_EQ(from({{"CLAUDEGPT_PING_INTERVAL_MS", "200"}}).ping_interval, std::chrono::milliseconds(200));
}

// 9223372036854775807 seconds × 1000 had wrapped around to a timeout of -1 s.
TEST(SettingRanges, AHugeTimeoutIsRefusedInsteadOfWrappingAround) {
  EXPECT_EQ(error_of({{"CLAUDEGPT_WEB_FETCH_TIMEOUT", "9223372036854775807"}}),
            "CLAUDEGPT_WEB_FETCH_TIMEOUT=9223372036854775807: must be between 1 and 600 seconds");
  // Too many digits for 64 bits is out of range as well, not "not a number".
  EXPECT_EQ(error_of({{"CLAUDEGPT_STREAM_IDLE_TIMEOUT", "99999999999999999999999"}}),
            "CLAUDEGPT_STREAM_IDLE_TIMEOUT=99999999999999999999999: must be between 1 and 3600 seconds");
  EXPECT_EQ(from({{"CLAUDEGPT_WEB_FETCH_TIMEOUT", "600"}}).web_fetch_timeout, std::chrono::seconds(600));
}

TEST(SettingRanges, ARefusedValueSaysWhereItCameFromWhenTheCallerKnows) {
  auto from_file = [](std::string_view) { return std::string("~/.config/claudegpt/.env:4"); };
  EXPECT_EQ(error_of({{"CLAUDEGPT_PING_INTERVAL_MS", "0"}}, from_file),
            "CLAUDEGPT_PING_INTERVAL_MS=0 (~/.config/claudegpt/.env:4): must be between 100 and 600000 ms");
  EXPECT_EQ(error_of({{"CLAUDEGPT_PORT", "80a"}}, from_file),
            "CLAUDEGPT_PORT=80a (~/.config/claudegpt/.env:4): not a whole number");
  EXPECT_EQ(error_of({{"CLAUDEGPT_TRACE", "maybe"}}, from_file),
            "CLAUDEGPT_TRACE=maybe (~/.config/claudegpt/.env:4): expected 1 or 0");
}

// Each number's ends are accepted and one past each end is refused, naming the variable.
TEST(SettingRanges, EveryNumberHasARange) {
  struct Case {
    const char* name;
    const char* below;
    const char* lowest;
    const char* highest;
    const char* above;
  };
  const Case cases[] = {
      {"CLAUDEGPT_PORT", "-1", "0", "65535", "65536"},
      {"CLAUDEGPT_BACKEND_CONTEXT_OPUS", "999", "1000", "100000000", "100000001"},
      {"CLAUDEGPT_BACKEND_CONTEXT_SONNET", "999", "1000", "100000000", "100000001"},
      {"CLAUDEGPT_BACKEND_CONTEXT_HAIKU", "999", "1000", "100000000", "100000001"},
      {"CLAUDEGPT_BACKEND_CONTEXT_FABLE", "999", "1000", "100000000", "100000001"},
      {"CLAUDEGPT_CLIENT_CONTEXT", "999", "1000", "100000000", "100000001"},
      {"CLAUDEGPT_WEB_FETCH_TIMEOUT", "0", "1", "600", "601"},
      {"CLAUDEGPT_WEB_FETCH_MAX_CHARS", "99", "100", "1000000", "1000001"},
      {"CLAUDEGPT_WEB_FETCH_SUMMARY_MAX_CHARS", "99", "100", "100000", "100001"},
      {"CLAUDEGPT_WEB_FETCH_MAX_CHAIN", "-1", "0", "32", "33"},
      {"CLAUDEGPT_TRACE_MAX_MB", "0", "1", "1000000", "1000001"},
      {"CLAUDEGPT_UPSTREAM_RETRIES", "-1", "0", "10", "11"},
      {"CLAUDEGPT_MAX_BODY_BYTES", "1023", "1024", "1073741824", "1073741825"},
      {"CLAUDEGPT_MAX_CONNECTIONS", "15", "16", "1000000", "1000001"},
      {"CLAUDEGPT_REQUEST_MEMORY_MB", "15", "16", "65536", "65537"},
      {"CLAUDEGPT_HEADER_TIMEOUT", "0", "1", "3600", "3601"},
      {"CLAUDEGPT_CONNECT_TIMEOUT", "0", "1", "300", "301"},
      {"CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT", "0", "1", "3600", "3601"},
      {"CLAUDEGPT_STREAM_IDLE_TIMEOUT", "0", "1", "3600", "3601"},
      {"CLAUDEGPT_PING_INTERVAL_MS", "99", "100", "600000", "600001"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(error_of({{c.name, c.lowest}}), "<accepted>") << c.name;
    EXPECT_EQ(error_of({{c.name, c.highest}}), "<accepted>") << c.name;
    for (const char* refused : {c.below, c.above}) {
      std::string error = error_of({{c.name, refused}});
      EXPECT_TRUE(error.starts_with(std::string(c.name) + "=" + refused + ": must be ")) << error;
      EXPECT_NE(error.find(std::string(" and ") + c.highest), std::string::npos) << error;
    }
  }
}

TEST(SettingRanges, ZeroKeepsItsMeaningWhereItHasOne) {
  EXPECT_EQ(from({{"CLAUDEGPT_CLIENT_CONTEXT", "0"}}).client_context, 0);  // no scaling
  EXPECT_EQ(from({{"CLAUDEGPT_MAX_CONNECTIONS", "0"}}).max_connections, 0u);  // from the file limit
  EXPECT_EQ(from({{"CLAUDEGPT_PORT", "0"}}).port, 0);  // any free port
  EXPECT_EQ(error_of({{"CLAUDEGPT_MAX_CONNECTIONS", "1"}}),
            "CLAUDEGPT_MAX_CONNECTIONS=1: must be 0 or between 16 and 1000000");
}

TEST(SettingRanges, TheValuesInTheirUnits) {
  Settings s = from({{"CLAUDEGPT_REQUEST_MEMORY_MB", "16"}, {"CLAUDEGPT_HEADER_TIMEOUT", "3600"},
                     {"CLAUDEGPT_STREAM_FIRST_EVENT_TIMEOUT", "1"}});
  EXPECT_EQ(s.request_memory_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(s.header_timeout, std::chrono::hours(1));
  EXPECT_EQ(s.first_event_timeout, std::chrono::seconds(1));
}

}  // namespace
}  // namespace claudegpt

namespace claudegpt {
namespace {

TEST(Settings, AutoModeIsJudgedByTheProxyWithTheHaikuTiersModelByDefault) {
  Settings s = from({{"CLAUDEGPT_OPENAI_HAIKU", "gpt-5.4-nano"}});
  EXPECT_EQ(s.auto_mode, Settings::AutoMode::proxy);
  EXPECT_EQ(s.judge_model(), "gpt-5.4-nano");
  EXPECT_EQ(s.judge_effort, "low");
  EXPECT_EQ(s.judge_timeout, std::chrono::seconds(20));
}

TEST(Settings, AutoModeAndItsJudgeCanBeSet) {
  Settings s = from({{"CLAUDEGPT_AUTO_MODE", "client"}, {"CLAUDEGPT_JUDGE_MODEL", "gpt-5.5"},
                     {"CLAUDEGPT_JUDGE_EFFORT", "minimal"}, {"CLAUDEGPT_JUDGE_TIMEOUT", "5"}});
  EXPECT_EQ(s.auto_mode, Settings::AutoMode::client);
  EXPECT_EQ(s.judge_model(), "gpt-5.5");
  EXPECT_EQ(s.judge_effort, "minimal");
  EXPECT_EQ(s.judge_timeout, std::chrono::seconds(5));
  EXPECT_EQ(from({{"CLAUDEGPT_AUTO_MODE", "off"}}).auto_mode, Settings::AutoMode::off);
}

TEST(Settings, AutoModeValuesOutsideTheirRangeAreRefusedByName) {
  EXPECT_EQ(error_of({{"CLAUDEGPT_AUTO_MODE", "on"}}), "CLAUDEGPT_AUTO_MODE=on: expected proxy, client, off");
  // Like every other value, a refused one says where it came from.
  EXPECT_EQ(error_of({{"CLAUDEGPT_AUTO_MODE", "on"}}, [](std::string_view) { return std::string(".env:3"); }),
            "CLAUDEGPT_AUTO_MODE=on (.env:3): expected proxy, client, off");
  EXPECT_NE(error_of({{"CLAUDEGPT_JUDGE_EFFORT", "fast"}}).find("CLAUDEGPT_JUDGE_EFFORT=fast"), std::string::npos);
  EXPECT_NE(error_of({{"CLAUDEGPT_JUDGE_TIMEOUT", "0"}}).find("CLAUDEGPT_JUDGE_TIMEOUT=0"), std::string::npos);
}

TEST(DefaultCodexAuthFile, IsTheExplicitPathElseCodexHomeElseTheHomeDirectory) {
  auto env = [](std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  };
  EXPECT_EQ(default_codex_auth_file(env({{"CLAUDEGPT_CODEX_AUTH", "/etc/a.json"},
                                         {"CODEX_HOME", "/ch"}, {"HOME", "/home/u"}})),
            "/etc/a.json");
  EXPECT_EQ(default_codex_auth_file(env({{"CODEX_HOME", "/ch"}, {"HOME", "/home/u"}})),
            "/ch/auth.json");
  EXPECT_EQ(default_codex_auth_file(env({{"HOME", "/home/u"}})), "/home/u/.codex/auth.json");
  EXPECT_EQ(default_codex_auth_file(env({{"CLAUDEGPT_CODEX_AUTH", ""}, {"CODEX_HOME", ""},
                                         {"HOME", "/home/u"}})),
            "/home/u/.codex/auth.json");
  EXPECT_EQ(default_codex_auth_file(env({{"CLAUDEGPT_CODEX_AUTH", "~/x/auth.json"},
                                         {"HOME", "/home/u"}})),
            "/home/u/x/auth.json");
}

}  // namespace
}  // namespace claudegpt
