// Which source a setting comes from (flags, environment, the config .env, ~/.claude/.env,
// defaults), and what `claudegpt config` shows of it, secrets masked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "config/config_sources.h"
#include "config/dotenv.h"
#include "config/settings.h"

namespace claudegpt {
namespace {

namespace fs = std::filesystem;

class ConfigSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/config_sources_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
    home_ = root_ / "home";
    fs::create_directories(home_);
    env_["HOME"] = home_.string();
  }
  void TearDown() override { fs::remove_all(root_); }

  static void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  fs::path config_env() const { return home_ / ".config" / "claudegpt" / ".env"; }
  fs::path claude_env() const { return home_ / ".claude" / ".env"; }

  ConfigSources load(const std::map<std::string, std::string>& overrides = {},
                     const std::map<std::string, std::string>& flags = {}) {
    return ConfigSources::load(
        overrides,
        [this](const char* name) -> const char* {
          auto it = env_.find(name);
          return it == env_.end() ? nullptr : it->second.c_str();
        },
        flags);
  }

  fs::path root_, home_;
  std::map<std::string, std::string> env_;
};

std::string value(const ConfigSources& s, const char* name) {
  const char* v = s.get(name);
  return v ? v : "<unset>";
}

TEST_F(ConfigSourcesTest, FlagsBeatTheEnvironmentWhichBeatsTheConfigFileWhichBeatsClaudesFile) {
  write(claude_env(), "CLAUDEGPT_EFFORT=low\nCLAUDEGPT_HOST=h4\nCLAUDEGPT_PORT=4\nCLAUDEGPT_CUTOFF_OPUS=c4\n");
  write(config_env(), "CLAUDEGPT_EFFORT=medium\nCLAUDEGPT_HOST=h3\nCLAUDEGPT_PORT=3\n");
  env_["CLAUDEGPT_EFFORT"] = "high";
  env_["CLAUDEGPT_HOST"] = "h2";
  ConfigSources s = load({{"CLAUDEGPT_EFFORT", "xhigh"}}, {{"CLAUDEGPT_EFFORT", "--effort"}});

  EXPECT_EQ(value(s, "CLAUDEGPT_EFFORT"), "xhigh");
  EXPECT_EQ(s.source_of("CLAUDEGPT_EFFORT"), "--effort");
  EXPECT_EQ(value(s, "CLAUDEGPT_HOST"), "h2");
  EXPECT_EQ(s.source_of("CLAUDEGPT_HOST"), "environment");
  EXPECT_EQ(value(s, "CLAUDEGPT_PORT"), "3");
  EXPECT_EQ(s.source_of("CLAUDEGPT_PORT"), "~/.config/claudegpt/.env:3");
  EXPECT_EQ(value(s, "CLAUDEGPT_CUTOFF_OPUS"), "c4");
  EXPECT_EQ(s.source_of("CLAUDEGPT_CUTOFF_OPUS"), "~/.claude/.env:4");
  EXPECT_EQ(value(s, "CLAUDEGPT_PING_INTERVAL_MS"), "<unset>");
  EXPECT_EQ(s.source_of("CLAUDEGPT_PING_INTERVAL_MS"), "default");

  // The layering feeds Settings, which keeps its own parsing and defaults.
  Settings settings = Settings::from_environment(s.getenv());
  EXPECT_EQ(settings.forced_effort, "xhigh");
  EXPECT_EQ(settings.host, "h2");
  EXPECT_EQ(settings.port, 3);
  EXPECT_EQ(settings.cutoffs.opus, "c4");
  EXPECT_EQ(settings.ping_interval, std::chrono::milliseconds(15'000));
}

TEST_F(ConfigSourcesTest, AnOverrideWithoutAFlagNameIsFromTheCommandLine) {
  EXPECT_EQ(load({{"CLAUDEGPT_PORT", "1"}}).source_of("CLAUDEGPT_PORT"), "command line");
}

TEST_F(ConfigSourcesTest, AnEmptyEnvironmentVariableStillHidesTheFiles) {
  write(config_env(), "CLAUDEGPT_TOOLS_REASONING=high\n");
  env_["CLAUDEGPT_TOOLS_REASONING"] = "";
  ConfigSources s = load();
  EXPECT_EQ(value(s, "CLAUDEGPT_TOOLS_REASONING"), "");
  EXPECT_EQ(Settings::from_environment(s.getenv()).tools_effort, "");
}

TEST_F(ConfigSourcesTest, ClaudesEnvFileGivesOnlyOurPrefixes) {
  write(claude_env(),
        "ANTHROPIC_API_KEY=sk-ant-xyz\nCLAUDE_CODE_USE_BEDROCK=1\nHOME=/elsewhere\n"
        "CLAUDEGPT_PROVIDER=openai\nAZURE_OPENAI_ENDPOINT=https://a\nOPENAI_API_KEY=sk-1\n");
  ConfigSources s = load();
  EXPECT_EQ(value(s, "ANTHROPIC_API_KEY"), "<unset>");
  EXPECT_EQ(value(s, "CLAUDE_CODE_USE_BEDROCK"), "<unset>");
  EXPECT_EQ(value(s, "HOME"), home_.string());
  EXPECT_EQ(value(s, "CLAUDEGPT_PROVIDER"), "openai");
  EXPECT_EQ(value(s, "AZURE_OPENAI_ENDPOINT"), "https://a");
  EXPECT_EQ(value(s, "OPENAI_API_KEY"), "sk-1");
  for (const ConfigEntry& e : s.entries()) EXPECT_NE(e.name, "ANTHROPIC_API_KEY");
}

TEST_F(ConfigSourcesTest, TheConfigFileMaySetAnyKey) {
  write(config_env(), "SSL_CERT_FILE=/etc/ca.pem\n");
  ConfigSources s = load();
  EXPECT_EQ(Settings::from_environment(s.getenv()).ca_bundle, "/etc/ca.pem");
}

TEST_F(ConfigSourcesTest, TheConfigDirHonoursXdgAndCanBeOverridden) {
  EXPECT_EQ(load().dotenv_path(), config_env());
  EXPECT_TRUE(load().claude_file_found() == false);

  env_["XDG_CONFIG_HOME"] = (root_ / "xdg").string();
  write(root_ / "xdg" / "claudegpt" / ".env", "CLAUDEGPT_PORT=11\n");
  write(config_env(), "CLAUDEGPT_PORT=22\n");
  ConfigSources xdg = load();
  EXPECT_EQ(xdg.config_dir(), root_ / "xdg" / "claudegpt");
  EXPECT_EQ(value(xdg, "CLAUDEGPT_PORT"), "11");
  EXPECT_TRUE(xdg.config_file_found());

  env_["XDG_CONFIG_HOME"] = "relative/dir";  // ignored, as the XDG spec says
  EXPECT_EQ(load().config_dir(), home_ / ".config" / "claudegpt");

  write(root_ / "custom" / ".env", "CLAUDEGPT_PORT=33\n");
  env_["CLAUDEGPT_CONFIG_DIR"] = (root_ / "custom").string();
  EXPECT_EQ(value(load(), "CLAUDEGPT_PORT"), "33");
  write(home_ / "flagdir" / ".env", "CLAUDEGPT_PORT=44\n");
  ConfigSources flagged = load({{"CLAUDEGPT_CONFIG_DIR", "~/flagdir"}});
  EXPECT_EQ(flagged.config_dir(), home_ / "flagdir");
  EXPECT_EQ(value(flagged, "CLAUDEGPT_PORT"), "44");
  EXPECT_EQ(flagged.source_of("CLAUDEGPT_PORT"), "~/flagdir/.env:1");
}

TEST_F(ConfigSourcesTest, MissingFilesAreFineAndAMalformedOneIsReportedByName) {
  EXPECT_NO_THROW(load());
  write(config_env(), "CLAUDEGPT_PORT=1\nnot a setting\n");
  try {
    load();
    FAIL();
  } catch (const DotenvError& e) {
    EXPECT_STREQ(e.what(), "~/.config/claudegpt/.env:2: expected KEY=value");
  }
}

// ~/.claude/.env is Claude Code's file: what python-dotenv would accept there (a bare KEY,
// MY-KEY=x) must not stop claudegpt; a malformed line of ours still does.
TEST_F(ConfigSourcesTest, ALineClaudegptCannotReadInClaudesFileIsSkippedUnlessItIsOurs) {
  write(claude_env(), "SOME_FLAG\nMY-KEY=x\nCLAUDEGPT_PROVIDER=openai\n");
  ConfigSources s = load();
  EXPECT_EQ(value(s, "CLAUDEGPT_PROVIDER"), "openai");
  EXPECT_EQ(s.warnings().size(), 2u);
  write(claude_env(), "CLAUDEGPT_PROVIDER\n");
  EXPECT_THROW(load(), DotenvError);
}

TEST_F(ConfigSourcesTest, ALaterLineInTheSameFileWins) {
  write(config_env(), "CLAUDEGPT_PORT=1\nCLAUDEGPT_PORT=2\n");
  ConfigSources s = load();
  EXPECT_EQ(value(s, "CLAUDEGPT_PORT"), "2");
  EXPECT_EQ(s.source_of("CLAUDEGPT_PORT"), "~/.config/claudegpt/.env:2");
}

TEST_F(ConfigSourcesTest, EntriesListWhatIsSetWithItsWinningSource) {
  write(config_env(), "CLAUDEGPT_PORT=1\nCLAUDEGPT_FUTURE_THING=x\n");
  env_["CLAUDEGPT_HOST"] = "h";
  ConfigSources s = load({{"CLAUDEGPT_EFFORT", "low"}});
  std::map<std::string, std::string> sources;
  for (const ConfigEntry& e : s.entries()) sources[e.name] = e.source;
  EXPECT_EQ(sources, (std::map<std::string, std::string>{
                         {"CLAUDEGPT_EFFORT", "command line"},
                         {"CLAUDEGPT_FUTURE_THING", "~/.config/claudegpt/.env:2"},
                         {"CLAUDEGPT_HOST", "environment"},
                         {"CLAUDEGPT_PORT", "~/.config/claudegpt/.env:1"}}));
}

TEST_F(ConfigSourcesTest, UnknownSettingsWithOurPrefixesAreWarnedAbout) {
  write(config_env(), "CLAUDEGPT_PROVDER=azure\nSOMETHING_ELSE=1\n");
  write(claude_env(), "OPENAI_ORGANISATION=x\nOTHER=1\n");
  ConfigSources s = load();
  EXPECT_EQ(s.warnings(), (std::vector<std::string>{
                              "unknown setting CLAUDEGPT_PROVDER in ~/.config/claudegpt/.env:1",
                              "unknown setting OPENAI_ORGANISATION in ~/.claude/.env:1"}));
  EXPECT_NE(describe(s, Settings::from_environment(s.getenv()))
                .find("warning: unknown setting CLAUDEGPT_PROVDER in ~/.config/claudegpt/.env:1"),
            std::string::npos);
}

TEST(MaskSecret, ShowsAtMostTheLastFourCharacters) {
  EXPECT_EQ(mask_secret(""), "(not set)");
  EXPECT_EQ(mask_secret("short-key"), "(set)");
  EXPECT_EQ(mask_secret("sk-proj-0123456789a1b2"), "\u2026a1b2");
  EXPECT_TRUE(is_secret_setting("OPENAI_API_KEY"));
  EXPECT_TRUE(is_secret_setting("AZURE_OPENAI_API_KEY"));
  EXPECT_TRUE(is_secret_setting("AZURE_OPENAI_AD_TOKEN"));
  EXPECT_FALSE(is_secret_setting("CLAUDEGPT_CODEX_TOKEN_URL"));
  EXPECT_FALSE(is_secret_setting("AZURE_OPENAI_ENDPOINT"));
}

// Every line of `text` that mentions `name`.
std::string line_of(const std::string& text, const std::string& name) {
  std::size_t at = text.find("  " + name + " ");
  if (at == std::string::npos) return "<missing " + name + ">";
  return text.substr(at, text.find('\n', at) - at);
}

TEST_F(ConfigSourcesTest, DescribeShowsAzureSettingsWithSourcesAndNeverASecret) {
  const std::string key = "0123456789abcdef0123456789abcdef";
  const std::string token = "eyJhbGciOiJSUzI1NiJ9.payload.signaturezz9";
  write(config_env(),
        "# written by claudegpt setup\n"
        "CLAUDEGPT_PROVIDER=azure\n"
        "AZURE_OPENAI_ENDPOINT=https://res.openai.azure.com/\n"
        "AZURE_OPENAI_API_KEY=\"" + key + "\"\n");
  write(claude_env(), "AZURE_OPENAI_CHAT_DEPLOYMENT=my-mini\nOPENAI_API_KEY=sk-other-secret-in-claude-env\n");
  env_["AZURE_OPENAI_AD_TOKEN"] = token;
  env_["SSL_CERT_FILE"] = "/etc/corp-ca.pem";
  ConfigSources s = load({{"CLAUDEGPT_EFFORT", "high"}}, {{"CLAUDEGPT_EFFORT", "--effort"}});
  std::string text = describe(s, Settings::from_environment(s.getenv()));

  EXPECT_EQ(text.find(key), std::string::npos) << text;
  EXPECT_EQ(text.find(key.substr(0, 8)), std::string::npos) << text;
  EXPECT_EQ(text.find(token), std::string::npos) << text;
  EXPECT_EQ(text.find("payload"), std::string::npos) << text;
  EXPECT_EQ(text.find("sk-other-secret"), std::string::npos) << text;

  EXPECT_NE(text.find("~/.config/claudegpt/.env"), std::string::npos) << text;
  std::string provider = line_of(text, "CLAUDEGPT_PROVIDER");
  EXPECT_NE(provider.find("azure"), std::string::npos) << provider;
  EXPECT_NE(provider.find("[~/.config/claudegpt/.env:2]"), std::string::npos) << provider;
  std::string endpoint = line_of(text, "AZURE_OPENAI_ENDPOINT");
  EXPECT_NE(endpoint.find("https://res.openai.azure.com"), std::string::npos) << endpoint;
  std::string api_key = line_of(text, "AZURE_OPENAI_API_KEY");
  EXPECT_NE(api_key.find("\u2026cdef"), std::string::npos) << api_key;
  EXPECT_NE(api_key.find("[~/.config/claudegpt/.env:4]"), std::string::npos) << api_key;
  EXPECT_NE(line_of(text, "AZURE_OPENAI_AD_TOKEN").find("[environment]"), std::string::npos);
  std::string sonnet = line_of(text, "AZURE_OPENAI_CHAT_DEPLOYMENT");
  EXPECT_NE(sonnet.find("my-mini"), std::string::npos) << sonnet;
  EXPECT_NE(sonnet.find("[~/.claude/.env:1]"), std::string::npos) << sonnet;
  std::string opus = line_of(text, "AZURE_OPENAI_CHAT_DEPLOYMENT_FULL");
  EXPECT_NE(opus.find("gpt-5-5"), std::string::npos) << opus;
  EXPECT_NE(opus.find("[default]"), std::string::npos) << opus;
  EXPECT_NE(line_of(text, "CLAUDEGPT_EFFORT").find("[--effort]"), std::string::npos);
  std::string ca = line_of(text, "CLAUDEGPT_CA_BUNDLE");
  EXPECT_NE(ca.find("/etc/corp-ca.pem"), std::string::npos) << ca;
  EXPECT_NE(ca.find("[environment via SSL_CERT_FILE]"), std::string::npos) << ca;
  for (const char* name : {"CLAUDEGPT_REASONING_OPUS", "CLAUDEGPT_BACKEND_CONTEXT_OPUS",
                           "CLAUDEGPT_CLIENT_CONTEXT", "CLAUDEGPT_CONNECT_TIMEOUT",
                           "CLAUDEGPT_STREAM_IDLE_TIMEOUT", "CLAUDEGPT_DEFAULT_MODEL"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
  EXPECT_EQ(text.find("  OPENAI_API_KEY "), std::string::npos);  // not the configured backend
}

TEST_F(ConfigSourcesTest, DescribeMasksTheOpenAiAndProxyKeysAndShowsCodexAuthSources) {
  const std::string key = "sk-proj-AAAABBBBCCCCDDDDEEEEFFFF9z9z";
  const std::string proxy_key = "per-run-token-0123456789abcdef";
  env_["OPENAI_API_KEY"] = key;
  env_["CLAUDEGPT_PROXY_KEY"] = proxy_key;
  ConfigSources s = load();
  std::string text = describe(s, Settings::from_environment(s.getenv()));
  EXPECT_EQ(text.find(key), std::string::npos) << text;
  EXPECT_EQ(text.find(proxy_key.substr(0, 12)), std::string::npos) << text;
  EXPECT_EQ(text.find("sk-proj"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "OPENAI_API_KEY").find("\u20269z9z"), std::string::npos) << text;

  env_.erase("OPENAI_API_KEY");
  env_["CLAUDEGPT_PROVIDER"] = "codex";
  env_["CODEX_HOME"] = "/opt/codex";
  ConfigSources codex = load();
  std::string auth = line_of(describe(codex, Settings::from_environment(codex.getenv())),
                             "CLAUDEGPT_CODEX_AUTH");
  EXPECT_NE(auth.find("/opt/codex/auth.json"), std::string::npos) << auth;
  EXPECT_NE(auth.find("[environment via CODEX_HOME]"), std::string::npos) << auth;
}

TEST_F(ConfigSourcesTest, TheWizardsFileIsReadBackAsTheConfigFile) {
  write_dotenv_file(config_env(), {{"CLAUDEGPT_PROVIDER", "openai"}, {"OPENAI_API_KEY", "sk-a b'c"}});
  ConfigSources s = load();
  EXPECT_EQ(value(s, "OPENAI_API_KEY"), "sk-a b'c");
  EXPECT_EQ(s.source_of("OPENAI_API_KEY"), "~/.config/claudegpt/.env:2");
}

}  // namespace
}  // namespace claudegpt
