// Which source a setting comes from (flags, environment, the config .env, ~/.claude/.env,
// defaults), and what `claudegpt config` shows of it, secrets masked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

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

// The fable tier's settings are known (no "unknown setting" warning) and listed; unset, each
// shows opus's value and where that came from.
TEST_F(ConfigSourcesTest, TheFableTierAndTheUnknownClaudeTierAreListed) {
  write(config_env(), "CLAUDEGPT_OPENAI_OPUS=gpt-big\nCLAUDEGPT_CUTOFF_FABLE=June 2026\n"
                      "CLAUDEGPT_UNKNOWN_CLAUDE_TIER=haiku\n");
  ConfigSources s = load();
  EXPECT_TRUE(s.warnings().empty());
  std::string text = describe(s, Settings::from_environment(s.getenv()));
  std::string fable = line_of(text, "CLAUDEGPT_OPENAI_FABLE");
  EXPECT_NE(fable.find("gpt-big"), std::string::npos) << fable;
  EXPECT_NE(fable.find("[~/.config/claudegpt/.env:1 via CLAUDEGPT_OPENAI_OPUS]"), std::string::npos) << fable;
  EXPECT_NE(line_of(text, "CLAUDEGPT_CUTOFF_FABLE").find("[~/.config/claudegpt/.env:2]"), std::string::npos);
  std::string unknown = line_of(text, "CLAUDEGPT_UNKNOWN_CLAUDE_TIER");
  EXPECT_NE(unknown.find("haiku"), std::string::npos) << unknown;
  for (const char* name : {"CLAUDEGPT_REASONING_FABLE", "CLAUDEGPT_BACKEND_CONTEXT_FABLE"})
    EXPECT_NE(line_of(text, name).find("[default]"), std::string::npos) << name;
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

// ~/.claude/.env is Claude Code's file: its own tools can write it, so nothing in it may
// widen who reaches the proxy, what it fetches, whom it trusts or what the launcher runs.
TEST_F(ConfigSourcesTest, SettingsThatWidenAccessAreIgnoredInClaudesFileWithTheirLine) {
  write(claude_env(),
        "CLAUDEGPT_PROVIDER=openai\n"
        "OPENAI_API_KEY=sk-from-claude-env\n"
        "CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE=1\n"
        "CLAUDEGPT_HOST=0.0.0.0\n"
        "CLAUDEGPT_PROXY_KEY=known-to-whoever-wrote-this\n"
        "CLAUDEGPT_CA_BUNDLE=/tmp/their-ca.pem\n"
        "CLAUDEGPT_CLAUDE_BIN=/tmp/their-binary\n"
        "CLAUDEGPT_CODEX_TOKEN_URL=https://their.example/token\n");
  ConfigSources s = load();

  for (const char* name : {"CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE", "CLAUDEGPT_HOST", "CLAUDEGPT_PROXY_KEY",
                           "CLAUDEGPT_CA_BUNDLE", "CLAUDEGPT_CLAUDE_BIN", "CLAUDEGPT_CODEX_TOKEN_URL"}) {
    EXPECT_EQ(value(s, name), "<unset>") << name;
    EXPECT_EQ(s.source_of(name), "default") << name;
  }
  Settings settings = s.settings();
  EXPECT_FALSE(settings.web_fetch_allow_private);
  EXPECT_EQ(settings.host, "127.0.0.1");
  EXPECT_EQ(settings.access_token, "");
  EXPECT_EQ(settings.ca_bundle, "");
  // The backend settings the Python original's users keep there still count.
  EXPECT_EQ(settings.openai_api_key, "sk-from-claude-env");

  const std::string why =
      " is ignored: settings that widen access are read only from flags, the environment and "
      "~/.config/claudegpt/.env";
  EXPECT_EQ(s.warnings(), (std::vector<std::string>{
                              "CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE in ~/.claude/.env:3" + why,
                              "CLAUDEGPT_HOST in ~/.claude/.env:4" + why,
                              "CLAUDEGPT_PROXY_KEY in ~/.claude/.env:5" + why,
                              "CLAUDEGPT_CA_BUNDLE in ~/.claude/.env:6" + why,
                              "CLAUDEGPT_CLAUDE_BIN in ~/.claude/.env:7" + why,
                              "CLAUDEGPT_CODEX_TOKEN_URL in ~/.claude/.env:8" + why}));
  EXPECT_EQ(s.ignored_widening(), s.warnings());
  EXPECT_EQ(s.warnings()[2].find("known-to-whoever"), std::string::npos);  // no value, ever
}

TEST_F(ConfigSourcesTest, SettingsThatWidenAccessAreReadFromTheConfigFileAndTheEnvironment) {
  write(config_env(), "CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE=1\nCLAUDEGPT_CLAUDE_BIN=/opt/claude\n");
  env_["CLAUDEGPT_HOST"] = "0.0.0.0";
  env_["CLAUDEGPT_PROXY_KEY"] = "a-key-from-the-environment";
  ConfigSources s = load();
  Settings settings = s.settings();
  EXPECT_TRUE(settings.web_fetch_allow_private);
  EXPECT_EQ(s.source_of("CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE"), "~/.config/claudegpt/.env:1");
  EXPECT_EQ(value(s, "CLAUDEGPT_CLAUDE_BIN"), "/opt/claude");
  EXPECT_EQ(settings.host, "0.0.0.0");
  EXPECT_EQ(settings.access_token, "a-key-from-the-environment");
  EXPECT_EQ(s.warnings(), std::vector<std::string>());
}

TEST_F(ConfigSourcesTest, StartUpWarningsNameEveryWidenedSettingWithItsSource) {
  const std::string proxy_key = "kept-in-a-file-0123456789abcdef";
  write(config_env(), "CLAUDEGPT_PROXY_KEY=" + proxy_key + "\nCLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE=yes\n");
  write(claude_env(), "CLAUDEGPT_HOST=10.0.0.1\n");
  env_["SSL_CERT_FILE"] = "/etc/corp-ca.pem";
  ConfigSources s = load({{"CLAUDEGPT_HOST", "0.0.0.0"}}, {{"CLAUDEGPT_HOST", "--host"}});
  Settings settings = s.settings();

  const std::vector<std::string> widened = widened_access_warnings(s, settings);
  EXPECT_EQ(widened, (std::vector<std::string>{
      "CLAUDEGPT_HOST=0.0.0.0 (--host): the proxy can be reached from other machines",
      "CLAUDEGPT_PROXY_KEY (~/.config/claudegpt/.env:1): a key kept in a file; whoever can read "
      "that file can use the proxy",
      "CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE=yes (~/.config/claudegpt/.env:2): WebFetch may reach "
      "this machine and private networks",
      "SSL_CERT_FILE=/etc/corp-ca.pem (environment): the upstream's certificate is checked "
      "against this file, not the system's CAs",
      "CLAUDEGPT_HOST in ~/.claude/.env:1 is ignored: settings that widen access are read only "
      "from flags, the environment and ~/.config/claudegpt/.env"}));
  for (const std::string& line : widened) EXPECT_EQ(line.find(proxy_key), std::string::npos) << line;

  // The launcher's proxy listens on 127.0.0.1 with a per-run key whatever the settings say.
  std::vector<std::string> launcher = widened_access_warnings(s, settings, ProxyFor::launcher);
  ASSERT_EQ(launcher.size(), 3u);
  EXPECT_TRUE(launcher[0].starts_with("CLAUDEGPT_WEB_FETCH_ALLOW_PRIVATE=yes ")) << launcher[0];
  EXPECT_TRUE(launcher[1].starts_with("SSL_CERT_FILE=")) << launcher[1];
  EXPECT_TRUE(launcher[2].starts_with("CLAUDEGPT_HOST in ~/.claude/.env:1 is ignored")) << launcher[2];

  // `claudegpt config` lists them too.
  std::string text = describe(s, settings);
  EXPECT_NE(text.find("  warning: CLAUDEGPT_HOST=0.0.0.0 (--host): the proxy can be reached"),
            std::string::npos) << text;
}

TEST_F(ConfigSourcesTest, TheDefaultsWidenNothing) {
  ConfigSources s = load();
  EXPECT_EQ(widened_access_warnings(s, s.settings()), std::vector<std::string>());
  env_["CLAUDEGPT_HOST"] = "::1";
  env_["CLAUDEGPT_PROXY_KEY"] = "from-the-environment-as-usual";  // not kept in a file
  ConfigSources loopback = load();
  EXPECT_EQ(widened_access_warnings(loopback, loopback.settings()), std::vector<std::string>());
}

TEST(LoopbackHost, OnlyAddressesOfThisMachine) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"})
    EXPECT_TRUE(is_loopback_host(host)) << host;
  for (const char* host : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "127.example.com", "", "example.com"})
    EXPECT_FALSE(is_loopback_host(host)) << host;
}

// The Python original's users keep the endpoint and its key in ~/.claude/.env: whoever can
// write the file can read the key there, so the endpoint stays. A key kept elsewhere sent to an
// endpoint from that file is named at start-up.
TEST_F(ConfigSourcesTest, AnEndpointInClaudesFileIsUsedAndNamedWhenItsKeyComesFromElsewhere) {
  write(claude_env(), "CLAUDEGPT_PROVIDER=azure\nAZURE_OPENAI_ENDPOINT=https://res.openai.azure.com\n"
                      "AZURE_OPENAI_API_KEY=0123456789abcdef0123456789abcdef\n");
  ConfigSources together = load();
  EXPECT_EQ(together.settings().azure_endpoint, "https://res.openai.azure.com");
  EXPECT_EQ(widened_access_warnings(together, together.settings()), std::vector<std::string>());

  write(claude_env(), "CLAUDEGPT_PROVIDER=azure\nAZURE_OPENAI_ENDPOINT=https://res.openai.azure.com\n");
  env_["AZURE_OPENAI_AD_TOKEN"] = "eyJhbGciOiJSUzI1NiJ9.payload.signature";
  ConfigSources apart = load();
  EXPECT_EQ(apart.settings().azure_endpoint, "https://res.openai.azure.com");
  EXPECT_EQ(widened_access_warnings(apart, apart.settings()),
            (std::vector<std::string>{
                "AZURE_OPENAI_ENDPOINT=https://res.openai.azure.com (~/.claude/.env:2) receives "
                "AZURE_OPENAI_AD_TOKEN (environment): a file Claude Code's tools can write decides "
                "where the key goes; set AZURE_OPENAI_ENDPOINT in ~/.config/claudegpt/.env instead"}));
}

TEST_F(ConfigSourcesTest, ARefusedNumberNamesItsFileAndLine) {
  write(config_env(), "# written by hand\nCLAUDEGPT_PROVIDER=openai\n\nCLAUDEGPT_PING_INTERVAL_MS=0\n");
  auto error_of = [](const ConfigSources& s) -> std::string {
    try {
      s.settings();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "<accepted>";
  };
  EXPECT_EQ(error_of(load()),
            "CLAUDEGPT_PING_INTERVAL_MS=0 (~/.config/claudegpt/.env:4): must be between 100 and 600000 ms");

  write(config_env(), "");
  env_["CLAUDEGPT_WEB_FETCH_TIMEOUT"] = "9223372036854775807";
  EXPECT_EQ(error_of(load()),
            "CLAUDEGPT_WEB_FETCH_TIMEOUT=9223372036854775807 (environment): must be between 1 and 600 "
            "seconds");

  env_.erase("CLAUDEGPT_WEB_FETCH_TIMEOUT");
  EXPECT_EQ(error_of(load({{"CLAUDEGPT_PORT", "70000"}}, {{"CLAUDEGPT_PORT", "--port"}})),
            "CLAUDEGPT_PORT=70000 (--port): must be between 0 and 65535");
}

TEST_F(ConfigSourcesTest, ANulByteInAConfigFileIsAnErrorWithItsLine) {
  using namespace std::string_literals;  // "…\0…"s keeps the NUL and what follows it
  auto dotenv_error = [this]() -> std::string {
    try {
      load();
    } catch (const DotenvError& e) {
      return e.what();
    }
    return "<loaded>";  // the NUL byte was read
  };
  write(config_env(), "CLAUDEGPT_PROVIDER=openai\nOPENAI_API_KEY=sk-abc\0rest\n"s);
  EXPECT_EQ(dotenv_error(), "~/.config/claudegpt/.env:2: a NUL byte (a .env file is text)");

  // In Claude Code's file, a line of ours is as strict; one of Claude Code's is skipped.
  write(config_env(), "");
  write(claude_env(), "OTHER=a\0b\nCLAUDEGPT_EFFORT=high\n"s);
  ConfigSources s = load();
  EXPECT_EQ(value(s, "CLAUDEGPT_EFFORT"), "high");
  EXPECT_EQ(s.warnings(), std::vector<std::string>{"skipped unreadable line ~/.claude/.env:1"});
  write(claude_env(), "OTHER=1\nCLAUDEGPT_EFFORT=hi\0gh\n"s);
  EXPECT_EQ(dotenv_error(), "~/.claude/.env:2: a NUL byte (a .env file is text)");
}

// Each .env is read with read_bounded_file: one pointed at /dev/zero (or over 1 MiB) stops
// claudegpt at once with the file and the limit, instead of being read until memory runs out.
// Claude Code's file too, also when it is read line by line.
std::string load_error(const std::function<ConfigSources()>& load) {
  auto start = std::chrono::steady_clock::now();
  std::string error = "<loaded>";
  try {
    load();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  return error;
}

TEST_F(ConfigSourcesTest, AConfigFileAtDevZeroOrOverOneMebibyteIsAnErrorNamingIt) {
  fs::create_directories(config_env().parent_path());
  fs::create_symlink("/dev/zero", config_env());
  EXPECT_EQ(load_error([this] { return load(); }),
            "~/.config/claudegpt/.env: larger than 1 MiB: not a .env file");

  fs::remove(config_env());
  write(claude_env(), "CLAUDEGPT_EFFORT=high\n" + std::string(2 << 20, '#') + "\n");
  EXPECT_EQ(load_error([this] { return load(); }), "~/.claude/.env: larger than 1 MiB: not a .env file");
  fs::remove(claude_env());
  fs::create_symlink("/dev/zero", claude_env());
  EXPECT_EQ(load_error([this] { return load(); }), "~/.claude/.env: larger than 1 MiB: not a .env file");

  // CLAUDEGPT_CONFIG_DIR may point anywhere.
  fs::remove(claude_env());
  fs::create_directories(root_ / "elsewhere");
  fs::create_symlink("/dev/zero", root_ / "elsewhere" / ".env");
  env_["CLAUDEGPT_CONFIG_DIR"] = (root_ / "elsewhere").string();
  EXPECT_EQ(load_error([this] { return load(); }),
            (root_ / "elsewhere" / ".env").string() + ": larger than 1 MiB: not a .env file");
}

TEST_F(ConfigSourcesTest, ClaudesFileReadLineByLineKeepsItsLinesAndTheLastOneWithoutANewline) {
  using namespace std::string_literals;
  write(claude_env(), "OTHER=a\0b\n\nCLAUDEGPT_CUTOFF_OPUS=c4\nbad line\nCLAUDEGPT_EFFORT=high"s);
  ConfigSources s = load();
  EXPECT_EQ(value(s, "CLAUDEGPT_CUTOFF_OPUS"), "c4");
  EXPECT_EQ(s.source_of("CLAUDEGPT_CUTOFF_OPUS"), "~/.claude/.env:3");
  EXPECT_EQ(value(s, "CLAUDEGPT_EFFORT"), "high");
  EXPECT_EQ(s.source_of("CLAUDEGPT_EFFORT"), "~/.claude/.env:5");
  EXPECT_EQ(s.warnings(), (std::vector<std::string>{"skipped unreadable line ~/.claude/.env:1",
                                                    "skipped unreadable line ~/.claude/.env:4"}));
}

TEST_F(ConfigSourcesTest, TheWizardsFileIsReadBackAsTheConfigFile) {
  write_dotenv_file(config_env(), {{"CLAUDEGPT_PROVIDER", "openai"}, {"OPENAI_API_KEY", "sk-a b'c"}});
  ConfigSources s = load();
  EXPECT_EQ(value(s, "OPENAI_API_KEY"), "sk-a b'c");
  EXPECT_EQ(s.source_of("OPENAI_API_KEY"), "~/.config/claudegpt/.env:2");
}

}  // namespace
}  // namespace claudegpt
