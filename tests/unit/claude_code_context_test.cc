// Reading the session's facts out of Claude Code's own requests.
#include "core/claude_code_context.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "unit/fixtures.h"

namespace claudegpt {
namespace {

using ::testing::MatchesRegex;

boost::json::object recorded(const char* name) {
  return test::read_json_fixture(std::string("claude-code-requests/") + name);
}

TEST(ClaudeCodeContext, TheWorkingDirectoryComesFromTheEnvironmentSection) {
  EXPECT_EQ(working_directory(recorded("cc2.1.330-first-turn.json")), "/tmp/envcheck/work1");
  EXPECT_EQ(working_directory(recorded("cc2.1.330-subagent-first-turn.json")), "/tmp/ceo-cap/w1");
}

TEST(ClaudeCodeContext, ARequestWithoutOneHasNone) {
  EXPECT_EQ(working_directory(recorded("cc2.1.330-websearch-side-request.json")), "");
  EXPECT_EQ(working_directory(boost::json::object{}), "");
}

TEST(CwdTag, IsASlugOfTheLastThreeComponentsAndAnFnv1aHashOfTheWholePath) {
  EXPECT_EQ(cwd_tag("/home/alice/src/My Project"), "alice-src-my-project-dbb6cb63");
  EXPECT_EQ(cwd_tag("/work/main"), "work-main-27c79c21");
}

TEST(CwdTag, IgnoresTrailingSlashes) {
  EXPECT_EQ(cwd_tag("/work/main/"), cwd_tag("/work/main"));
  EXPECT_EQ(cwd_tag("/work/main//"), cwd_tag("/work/main"));
}

TEST(CwdTag, TellsApartPathsWithTheSameSlug) {
  std::string a = cwd_tag("/x/home/alice/project");
  std::string b = cwd_tag("/y/home/alice/project");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, a.size() - 8), b.substr(0, b.size() - 8));
}

TEST(CwdTag, StaysShortAndSafeForLongOrOddPaths) {
  for (std::string_view path :
       {"/srv/a-very-long-directory-name-for-a-monorepo/with/some-deep/sub-directory",
        "/home/bob/ThisIsAnExtremelyLongSingleDirectoryNameThatGoesOnAndOn",
        "/tmp/Weird  Name!!/--x--/UPPER_case.d", "relative/path", "/a b/c\td/e\nf"}) {
    std::string tag = cwd_tag(path);
    EXPECT_LE(tag.size(), 40u) << path;
    EXPECT_THAT(tag, MatchesRegex("[a-z0-9]([a-z0-9-]*[a-z0-9])?-[0-9a-f]{8}")) << path;
  }
  // Leading components go first, so the working directory's own name survives.
  EXPECT_THAT(cwd_tag("/srv/a-very-long-directory-name-for-a-monorepo/with/some-deep"),
              MatchesRegex("with-some-deep-[0-9a-f]{8}"));
  EXPECT_THAT(cwd_tag("/tmp/Weird  Name!!/--x--/UPPER_case.d"),
              MatchesRegex("weird-name-x-upper-case-d-[0-9a-f]{8}"));
}

TEST(CwdTag, FallsBackToDirWhenNothingIsReadable) {
  EXPECT_EQ(cwd_tag("/"), "dir-2a0c975e");
  EXPECT_EQ(cwd_tag(""), "dir-811c9dc5");
  // Non-ASCII components are skipped; the hash still tells them apart.
  EXPECT_EQ(cwd_tag("/home/alice/проект"), "home-alice-078e9fff");
}

}  // namespace
}  // namespace claudegpt
