// The launcher's own arguments among Claude Code's, and finding `claude`.
#include "launcher/claude_binary.h"
#include "launcher/launch.h"
#include "launcher/launcher_args.h"
#include "ledger/usage_report.h"
#include "reports/usage_commands.h"
#include "support/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

using Args = std::vector<std::string>;

TEST(SplitLauncherArgs, EverythingButEffortGoesToClaudeInOrder) {
  LauncherArgs split = split_launcher_args({"-p", "hi", "--output-format", "json"});
  EXPECT_EQ(split.effort, "");
  EXPECT_EQ(split.claude_args, (Args{"-p", "hi", "--output-format", "json"}));
}

TEST(SplitLauncherArgs, EffortWithItsValueAsTheNextArgumentIsTaken) {
  LauncherArgs split = split_launcher_args({"-p", "hi", "--effort", "high", "--verbose"});
  EXPECT_EQ(split.effort, "high");
  EXPECT_EQ(split.claude_args, (Args{"-p", "hi", "--verbose"}));
}

TEST(SplitLauncherArgs, EffortWithAnEqualsSignIsTaken) {
  LauncherArgs split = split_launcher_args({"--effort=low", "-c"});
  EXPECT_EQ(split.effort, "low");
  EXPECT_EQ(split.claude_args, (Args{"-c"}));
}

TEST(SplitLauncherArgs, TheLastEffortWinsAndMaxMeansXhigh) {
  EXPECT_EQ(split_launcher_args({"--effort", "low", "--effort=max"}).effort, "xhigh");
}

TEST(SplitLauncherArgs, ArgumentsAfterADoubleDashAreClaudesEvenIfTheyLookLikeEffort) {
  LauncherArgs split = split_launcher_args({"--effort", "high", "--", "--effort", "low"});
  EXPECT_EQ(split.effort, "high");
  EXPECT_EQ(split.claude_args, (Args{"--", "--effort", "low"}));
}

TEST(SplitLauncherArgs, EffortWithoutAValueOrWithAnUnknownLevelIsAnError) {
  EXPECT_THROW(split_launcher_args({"-p", "hi", "--effort"}), std::invalid_argument);
  EXPECT_THROW(split_launcher_args({"--effort", "extreme"}), std::invalid_argument);
  EXPECT_THROW(split_launcher_args({"--effort="}), std::invalid_argument);
}

class FindClaudeBinary : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("claudegpt-find-claude-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "empty");
    std::filesystem::create_directories(dir_ / "bin");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string make_file(const char* name, bool executable) {
    std::filesystem::path file = dir_ / "bin" / name;
    std::ofstream(file) << "#!/bin/sh\n";
    std::filesystem::permissions(file, executable ? std::filesystem::perms::owner_all
                                                  : std::filesystem::perms::owner_read);
    return file.string();
  }

  std::optional<std::string> find(std::map<std::string, std::string> env) {
    return find_claude_binary([&env](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    });
  }

  std::filesystem::path dir_;
};

TEST_F(FindClaudeBinary, TheFirstExecutableClaudeOnPathIsFound) {
  std::string claude = make_file("claude", true);
  EXPECT_EQ(find({{"PATH", (dir_ / "empty").string() + ":" + (dir_ / "bin").string()}}), claude);
}

TEST_F(FindClaudeBinary, ANonExecutableFileIsSkippedAndNoneFoundIsNullopt) {
  make_file("claude", false);
  EXPECT_EQ(find({{"PATH", (dir_ / "bin").string()}}), std::nullopt);
  EXPECT_EQ(find({}), std::nullopt);
}

TEST_F(FindClaudeBinary, TheVariableBeatsPath) {
  make_file("claude", true);
  EXPECT_EQ(find({{"PATH", (dir_ / "bin").string()}, {"CLAUDEGPT_CLAUDE_BIN", "/opt/claude"}}),
            "/opt/claude");
}


// What the launcher tells Claude Code besides the proxy's address.
std::map<std::string, std::string> session_env(const Settings& s, std::map<std::string, std::string> env = {}) {
  auto lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  std::map<std::string, std::string> out;
  for (auto& [name, value] : session_environment(s, lookup)) out[name] = value;
  return out;
}

TEST(SessionEnvironment, ClaudeCodeCompactsAtTheBackendWindowOnItsOwnConfigDir) {
  Settings s;
  s.claude_config_dir = "/home/u/.config/claudegpt/claude";
  s.backend_context.sonnet = 272000;
  auto env = session_env(s);
  EXPECT_EQ(env["CLAUDE_CODE_AUTO_COMPACT_WINDOW"], "272000");  // the smallest tier's
  EXPECT_EQ(env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "272000");   // the window of ids it does not know
  EXPECT_EQ(env["CLAUDE_CONFIG_DIR"], "/home/u/.config/claudegpt/claude");
}

// The header, /model and /status name the upstream model, and /model choices are kept:
// ANTHROPIC_MODEL would override them in every new session, so it is never set.
TEST(SessionEnvironment, EachTierIsPinnedToAnIdAndANameOfItsUpstreamModel) {
  Settings s;
  s.claude_config_dir = "/isolated";  // where the launcher writes the picker the pins need
  auto env = session_env(s);
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_OPUS_MODEL"], "claude-opus-gpt-5.5");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_OPUS_MODEL_NAME"], "GPT-5.5 (opus tier)");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_SONNET_MODEL"], "claude-sonnet-gpt-5.4-mini");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_HAIKU_MODEL_DESCRIPTION"],
            "gpt-5.4-mini on OpenAI, through claudegpt");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_FABLE_MODEL"], "claude-opus-gpt-5.5");  // no fable upstream
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_MODEL"], "claude-opus-gpt-5.5");  // Claude Code's own default tier
  EXPECT_EQ(env.count("ANTHROPIC_MODEL"), 0u);
  s.default_model = "haiku";  // CLAUDEGPT_DEFAULT_MODEL
  EXPECT_EQ(session_env(s)["ANTHROPIC_DEFAULT_MODEL"], "claude-haiku-gpt-5.4-mini");
}

TEST(SessionEnvironment, AnUpstreamNameWithAnotherTiersWordKeepsTheIdOnItsTier) {
  Settings s;
  s.claude_config_dir = "/isolated";
  s.provider = ProviderKind::azure;
  s.models.sonnet = "Opus-Like Deployment";
  auto env = session_env(s);
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_SONNET_MODEL"], "claude-sonnet-claudegpt");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_SONNET_MODEL_NAME"], "Opus-Like Deployment (sonnet tier)");
  EXPECT_EQ(env["ANTHROPIC_DEFAULT_SONNET_MODEL_DESCRIPTION"],
            "Opus-Like Deployment on Azure OpenAI, through claudegpt");
}

TEST(SessionEnvironment, TheUsersOwnChoicesStay) {
  Settings s;
  s.claude_config_dir = "/isolated";
  auto env = session_env(s, {{"ANTHROPIC_DEFAULT_OPUS_MODEL", "mine"}, {"CLAUDE_CONFIG_DIR", "/mine"}});
  EXPECT_EQ(env.count("ANTHROPIC_DEFAULT_OPUS_MODEL"), 0u);
  EXPECT_EQ(env.count("CLAUDE_CONFIG_DIR"), 0u);
  s.isolate_claude_config = false;  // CLAUDEGPT_GLOBAL_ISOLATE=0
  EXPECT_EQ(session_env(s).count("CLAUDE_CONFIG_DIR"), 0u);
}

// Without the launcher's picker (its behavesAs), a pinned id would make Claude Code ask for
// what it asks an unknown model (effort "high", max_tokens 32000): in the user's own config
// dir there are no pins, only the configured default tier.
TEST(SessionEnvironment, InTheUsersOwnConfigDirOnlyTheDefaultTierIsSet) {
  Settings s;
  s.claude_config_dir = "/isolated";
  auto env = session_env(s, {{"CLAUDE_CONFIG_DIR", "/mine"}});
  EXPECT_EQ(env.count("ANTHROPIC_DEFAULT_OPUS_MODEL"), 0u);
  EXPECT_EQ(env.count("ANTHROPIC_DEFAULT_MODEL"), 0u);
  s.default_model = "haiku";
  EXPECT_EQ(session_env(s, {{"CLAUDE_CONFIG_DIR", "/mine"}})["ANTHROPIC_DEFAULT_MODEL"], "claude-haiku-5-5");
}

// `claudegpt statusline`, which that setting runs: Claude Code's JSON on stdin, at most 1 MiB
// of it read.
TEST(StatusLineCommand, ShowsTheUpstreamModelAndTheSessionsCost) {
  Settings s;
  s.ledger_path = "";  // no ledger: nothing spent yet
  std::istringstream in(R"({"session_id":"s1","model":{"id":"claude-sonnet-4-5"}})");
  std::ostringstream out;
  EXPECT_EQ(print_status_line(s, in, out), 0);
  EXPECT_EQ(out.str(), s.upstream_model("claude-sonnet-4-5") + " \u00b7 " + format_usd(0) + " this session\n");
}

TEST(StatusLineCommand, WithoutAModelIdItNamesTheTierNewSessionsStartOn) {
  Settings s;
  s.ledger_path = "";
  std::istringstream in(R"({"session_id":"s1"})");
  std::ostringstream out;
  EXPECT_EQ(print_status_line(s, in, out), 0);
  EXPECT_EQ(out.str(), s.upstream_model("opus") + " \u00b7 " + format_usd(0) + " this session\n");
}

TEST(StatusLineCommand, InputOverOneMebibyteOrEndlessIsNotReadPastTheLimit) {
  Settings s;
  s.ledger_path = "";
  const std::string refused =
      "claudegpt statusline: the input is larger than 1 MiB: not Claude Code's status line JSON\n";
  std::ifstream zero("/dev/zero", std::ios::binary);
  ASSERT_TRUE(zero);
  std::ostringstream out;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(print_status_line(s, zero, out), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(out.str(), refused);

  std::istringstream big(R"({"session_id":")" + std::string(2 << 20, 'x') + R"("})");
  std::ostringstream big_out;
  EXPECT_EQ(print_status_line(s, big, big_out), 1);
  EXPECT_EQ(big_out.str(), refused);
}

}  // namespace
}  // namespace claudegpt
