// What the launcher keeps in the config dir it gives Claude Code (the status line, the /model
// picker) and reads back (the last session), and the launcher's own log.
#include "launcher/claude_config_dir.h"
#include "launcher/launcher_log.h"
#include "launcher/model_pins.h"
#include "support/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

// The status line the launcher puts in Claude Code's config dir. CLAUDEGPT_CLEAN_CONFIG_DIR
// may point anywhere: a settings.json there is read with read_bounded_file (1 MiB at most).
// A temp dir of the test's own.
class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("claudegpt-config-dir-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

class StatusLineSetting : public TempDir {
 protected:
  // update_claude_settings(dir_) with the status line, quickly, and what it logged.
  std::string enable(const std::vector<TierModel>& models = {}) {
    std::FILE* log = std::tmpfile();
    set_log_file(log);
    auto start = std::chrono::steady_clock::now();
    update_claude_settings(dir_, /*status_line=*/true, models);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    set_log_file(stderr);
    std::string text(4096, '\0');
    std::rewind(log);
    text.resize(std::fread(text.data(), 1, text.size(), log));
    std::fclose(log);
    return text;
  }
  std::string settings_text() const {
    std::ifstream in(dir_ / "settings.json");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
};

TEST_F(StatusLineSetting, IsAddedToASettingsFileKeepingTheRest) {
  std::ofstream(dir_ / "settings.json") << R"({"theme":"dark"})";
  EXPECT_EQ(enable(), "");
  std::string text = settings_text();
  EXPECT_NE(text.find(R"("theme":"dark")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("statusLine":{"type":"command","command":)"), std::string::npos) << text;
  EXPECT_NE(text.find(" statusline\""), std::string::npos) << text;
}

TEST_F(StatusLineSetting, ASettingsFileAtDevZeroOrOverOneMebibyteIsLeftAloneWithAWarning) {
  std::filesystem::path file = dir_ / "settings.json";
  std::filesystem::create_symlink("/dev/zero", file);
  std::string log = enable();
  EXPECT_NE(log.find(" warn " + file.string() +
                     ": larger than 1 MiB: not a Claude Code settings.json; claudegpt's entries "
                     "are not added\n"),
            std::string::npos)
      << log;
  EXPECT_TRUE(std::filesystem::is_symlink(file));

  std::filesystem::remove(file);
  std::string big = R"({"theme":")" + std::string(2 << 20, 'x') + R"("})";
  std::ofstream(file) << big;
  EXPECT_NE(enable().find("larger than 1 MiB"), std::string::npos);
  EXPECT_EQ(settings_text(), big);  // not rewritten
}

TEST_F(StatusLineSetting, AFifoWithoutAWriterIsLeftAloneInsteadOfHanging) {
  std::filesystem::path file = dir_ / "settings.json";
  ASSERT_EQ(::mkfifo(file.c_str(), 0600), 0);
  EXPECT_EQ(enable(), "");
  EXPECT_EQ(std::filesystem::status(file).type(), std::filesystem::file_type::fifo);
}

TEST_F(StatusLineSetting, OursNamingAnotherBinaryIsPointedAtThisOne) {
  std::ofstream(dir_ / "settings.json")
      << R"({"statusLine":{"type":"command","command":"'/old/build/claudegpt' statusline"}})";
  EXPECT_EQ(enable(), "");
  std::string text = settings_text();
  EXPECT_EQ(text.find("/old/build/claudegpt"), std::string::npos) << text;
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  EXPECT_NE(text.find("'" + self + "' statusline"), std::string::npos) << text;
}

TEST_F(StatusLineSetting, TheUsersOwnStatusLineStays) {
  const std::string own = R"({"statusLine":{"type":"command","command":"~/bin/my-line.sh"}})";
  std::ofstream(dir_ / "settings.json") << own;
  EXPECT_EQ(enable(), "");
  EXPECT_EQ(settings_text(), own);
}

// The /model picker names the upstream models; the header takes its label from it.
TEST_F(StatusLineSetting, ThePickerOffersTheTiersByTheirUpstreamNames) {
  std::ofstream(dir_ / "settings.json") << R"({"theme":"dark"})";
  Settings settings;
  enable(tier_models(settings));
  boost::json::object file = boost::json::parse(settings_text()).as_object();
  EXPECT_EQ(file["theme"], "dark");
  const boost::json::object& picker = file["modelPicker"].as_object();
  EXPECT_EQ(picker.at("replaceBuiltInOptions"), true);  // no Claude rows with Anthropic prices
  const boost::json::array& options = picker.at("options").as_array();
  ASSERT_EQ(options.size(), 3u);
  EXPECT_EQ(options[0].at("model"), "claude-opus-gpt-5.5");
  EXPECT_EQ(options[0].at("label"), "GPT-5.5 (opus tier)");
  EXPECT_EQ(options[1].at("label"), "GPT-5.4-mini (sonnet tier)");
  // Claude Code asks for the id what it asks for the tier's own Claude model (effort, max_tokens).
  EXPECT_EQ(options[1].at("behavesAs"), "claude-sonnet-5-5");
}

TEST_F(StatusLineSetting, ASavedChoiceOfAnEarlierModelMovesToItsTiersIdAndAnAliasStays) {
  Settings settings;
  std::ofstream(dir_ / "settings.json") << R"({"model":"claude-opus-gpt-5.4"})";
  enable(tier_models(settings));
  EXPECT_EQ(boost::json::parse(settings_text()).at("model"), "claude-opus-gpt-5.5");
  std::ofstream(dir_ / "settings.json") << R"({"model":"haiku"})";
  enable(tier_models(settings));
  EXPECT_EQ(boost::json::parse(settings_text()).at("model"), "haiku");
}

// Claude Code keeps each session as projects/<folder>/<session id>.jsonl in its config dir; the
// launcher names the newest when Claude Code's own exit hint cannot.
class LastSession : public TempDir {
 protected:
  void write_session(const std::string& folder, const std::string& id, std::time_t modified) {
    std::filesystem::path file = dir_ / "projects" / folder / (id + ".jsonl");
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << "{}\n";
    auto age = std::chrono::seconds(std::time(nullptr) - modified);
    std::filesystem::last_write_time(file, std::filesystem::file_time_type::clock::now() - age);
  }
};

TEST_F(LastSession, IsTheNewestSessionWrittenSinceTheLaunch) {
  std::time_t now = std::time(nullptr);
  write_session("-home-u-old", "11111111-aaaa", now - 3600);
  write_session("-home-u-work", "22222222-bbbb", now - 5);
  write_session("-home-u-work", "33333333-cccc", now);
  EXPECT_EQ(last_session_since(dir_, now - 60), "33333333-cccc");
}

TEST_F(LastSession, NoneWrittenSinceTheLaunchOrNoProjectsIsNone) {
  EXPECT_EQ(last_session_since(dir_, std::time(nullptr)), std::nullopt);
  write_session("-home-u-old", "11111111-aaaa", std::time(nullptr) - 3600);
  EXPECT_EQ(last_session_since(dir_, std::time(nullptr) - 60), std::nullopt);
}

// The launcher's log: in the state dir unless CLAUDEGPT_LOG_FILE says otherwise, private, and
// rotated once it reaches 8 MiB.
using LauncherLogFile = TempDir;

TEST_F(LauncherLogFile, TheDefaultLogIsPrivateInTheStateDirAndRotatesAtEightMebibytes) {
  std::map<std::string, std::string> env{{"XDG_STATE_HOME", dir_.string()}, {"HOME", dir_.string()}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  std::filesystem::path log = default_log_file(getenv);
  EXPECT_EQ(log, dir_ / "claudegpt" / "claudegpt.log");
  { LauncherLog scope("", getenv); log_info("first run"); }
  struct stat info {};
  ASSERT_EQ(::stat(log.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  std::filesystem::resize_file(log, 8 << 20);
  { LauncherLog scope("", getenv); log_info("after the rotation"); }
  EXPECT_EQ(std::filesystem::file_size(log.string() + ".1"), 8u << 20);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("after the rotation"), std::string::npos);
  EXPECT_LT(text.size(), 200u);
}

}  // namespace
}  // namespace claudegpt
