// Reading the session's facts out of Claude Code's own requests.
#include "core/claude_code_context.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "unit/fixtures.h"

namespace claudegpt {
namespace {

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

}  // namespace
}  // namespace claudegpt
