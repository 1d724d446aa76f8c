// The User-Agent claudegpt sends upstream: the Codex CLI's shape
// (`codex_cli_rs/<version> (<os> <os version>; <arch>) <terminal>`), naming claudegpt.
#include "upstream/user_agent.h"

#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

TEST(UserAgent, HasTheCodexCliShapeWithClaudegptsNameAndVersion) {
  MachineDescription debian{"Debian", "12", "x86_64", "xterm-256color"};
  EXPECT_EQ(user_agent_for("claudegpt", "0.1.0", debian),
            "claudegpt/0.1.0 (Debian 12; x86_64) xterm-256color");
}

TEST(UserAgent, WhatIsNotKnownIsSaidToBeUnknown) {
  EXPECT_EQ(user_agent_for("claudegpt", "0.1.0", MachineDescription{}),
            "claudegpt/0.1.0 (unknown; unknown) unknown");
  EXPECT_EQ(user_agent_for("claudegpt", "0.1.0", MachineDescription{"Linux", "", "aarch64", ""}),
            "claudegpt/0.1.0 (Linux; aarch64) unknown");
}

// An environment variable or os-release field cannot break the header or its comment.
TEST(UserAgent, ControlCharactersAndTheCommentsPunctuationAreLeftOut) {
  MachineDescription odd{"Deb(ian);\r\n", "12\x01", "x86_64)", "my term\n\xff"};
  EXPECT_EQ(user_agent_for("claudegpt", "0.1.0", odd),
            "claudegpt/0.1.0 (Debian 12; x86_64) my term");
}

TEST(UserAgent, OsReleaseGivesTheFirstWordOfTheNameAndTheVersionId) {
  MachineDescription debian = os_release_fields(
      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
      "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n");
  EXPECT_EQ(debian.os_name, "Debian");
  EXPECT_EQ(debian.os_version, "12");
  MachineDescription ubuntu = os_release_fields("NAME='Ubuntu'\nVERSION_ID=24.04\n");
  EXPECT_EQ(ubuntu.os_name, "Ubuntu");
  EXPECT_EQ(ubuntu.os_version, "24.04");
  MachineDescription none = os_release_fields("garbage\n=\n");
  EXPECT_EQ(none.os_name, "");
  EXPECT_EQ(none.os_version, "");
}

TEST(UserAgent, ThisMachinesIsBuiltOnceAndNamesClaudegptsVersion) {
  const std::string& agent = claudegpt_user_agent();
  EXPECT_EQ(&agent, &claudegpt_user_agent());
  EXPECT_TRUE(agent.starts_with("claudegpt/" CLAUDEGPT_VERSION " (")) << agent;
  EXPECT_TRUE(std::regex_match(agent, std::regex(R"(claudegpt/\S+ \([^;()]+; [^;()]+\) \S.*)")))
      << agent;
  EXPECT_FALSE(this_machine().arch.empty());
}

}  // namespace
}  // namespace claudegpt
