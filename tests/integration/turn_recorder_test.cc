// Which folder a turn's trace goes to: its working directory's, and for a request that names
// none (a title, the auto-mode classifier: requests without tools) its session's.
#include "server/turn_recorder.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

class TurnRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "turn_recorder_test.XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    settings_.trace = true;
    settings_.trace_dir = (dir_ / "traces").string();
    settings_.ledger = false;
    recorder_ = std::make_unique<TurnRecorder>(settings_);
  }
  void TearDown() override {
    recorder_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A finished turn of `session`, filed under `folder` as the endpoint chose it.
  void record(const std::string& id, const std::string& session, const std::string& folder) {
    TurnRecord turn;
    turn.id = id;
    turn.time_ms = 1795517640123;
    turn.session_id = session;
    turn.cwd_tag = folder;
    TurnTrace trace;
    trace.request_anthropic = std::make_shared<const std::string>(R"({"model":"claude-opus-5-5"})");
    recorder_->record(std::move(turn), std::move(trace));
  }

  // "<folder>/<id>" for every trace written, the timestamp left out of the file name.
  std::set<std::string> traces() {
    recorder_->flush();
    std::set<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(settings_.trace_dir)) {
      if (!entry.is_regular_file()) continue;
      std::string name = entry.path().stem().string();
      found.insert(entry.path().parent_path().filename().string() + "/" + name.substr(name.find('-') + 1));
    }
    return found;
  }

  fs::path dir_;
  Settings settings_;
  std::unique_ptr<TurnRecorder> recorder_;
};

TEST_F(TurnRecorderTest, ARequestWithoutToolsGoesToItsSessionsFolder) {
  EXPECT_EQ(recorder_->session_folder("session-1", "alice-proj-0a1b2c3d"), "alice-proj-0a1b2c3d");
  record("req_main", "session-1", "alice-proj-0a1b2c3d");
  const std::string title_folder = recorder_->session_folder("session-1", "");
  EXPECT_EQ(title_folder, "alice-proj-0a1b2c3d");
  record("req_title", "session-1", title_folder);
  EXPECT_THAT(traces(), ElementsAre("alice-proj-0a1b2c3d/req_main", "alice-proj-0a1b2c3d/req_title"));
}

// Claude Code sends the title request beside the session's first main-loop request: it may
// reach the proxy first, but it ends later, by when its session's folder is known.
TEST_F(TurnRecorderTest, ATitleThatArrivedBeforeTheSessionsFirstRequestStillGoesToItsFolder) {
  const std::string title_folder = recorder_->session_folder("session-2", "");
  EXPECT_EQ(title_folder, TurnRecorder::kUnknownFolder);
  recorder_->session_folder("session-2", "bob-work-11223344");
  record("req_title", "session-2", title_folder);
  EXPECT_THAT(traces(), ElementsAre("bob-work-11223344/req_title"));
}

TEST_F(TurnRecorderTest, OnlyARequestOfNoKnownSessionGoesToUnknown) {
  recorder_->session_folder("session-3", "carol-src-55667788");
  EXPECT_EQ(recorder_->session_folder("another-session", ""), "unknown");
  EXPECT_EQ(recorder_->session_folder("", ""), "unknown");
  record("req_other", "another-session", "unknown");
  record("req_none", "", "unknown");
  EXPECT_THAT(traces(), ElementsAre("unknown/req_none", "unknown/req_other"));
}

// A sub-agent or a `cd` elsewhere: the session's newest working directory is the one used.
TEST_F(TurnRecorderTest, TheSessionsLatestFolderIsTheOneUsed) {
  recorder_->session_folder("session-4", "dave-one-00000001");
  recorder_->session_folder("session-4", "dave-two-00000002");
  EXPECT_EQ(recorder_->session_folder("session-4", ""), "dave-two-00000002");
}

}  // namespace
}  // namespace claudegpt
