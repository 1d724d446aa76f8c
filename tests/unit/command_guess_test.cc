// The launcher's guard against a mistyped command (issue 14): one bare word near a claudegpt
// command, or naming one it lacks, is refused with what was meant instead of being sent to
// the model; everything else goes to Claude Code as before.
#include "launcher/command_guess.h"

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

std::optional<CommandGuess> guess(const std::string& word) { return guess_command({word}); }

TEST(EditDistance, CountsAnAdjacentTranspositionAsOneEdit) {
  EXPECT_EQ(edit_distance("usage", "usage"), 0u);
  EXPECT_EQ(edit_distance("usgae", "usage"), 1u);   // Levenshtein would say 2
  EXPECT_EQ(edit_distance("dcotor", "doctor"), 1u);
  EXPECT_EQ(edit_distance("serv", "serve"), 1u);
  EXPECT_EQ(edit_distance("servre", "serve"), 1u);
  EXPECT_EQ(edit_distance("stop", "setup"), 2u);
  EXPECT_EQ(edit_distance("", "help"), 4u);
  EXPECT_EQ(edit_distance("help", ""), 4u);
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // optimal string alignment: no edit of a moved pair
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(GuessCommand, CatchesTheTyposOfTheIssue) {
  const std::pair<const char*, const char*> cases[] = {
      {"usgae", "usage"},   {"dcotor", "doctor"},        {"conifg", "config"},
      {"serv", "serve"},    {"trace", "traces"},         {"statsline", "statusline"},
      {"setpu", "setup"},   {"server", "serve"},         {"Usage", "usage"},
      {"DOCTOR", "doctor"}, {"status-line", "statusline"}, {"statline", "statusline"},
      {"hlep", "help"},     {"configure", "config"},
  };
  for (const auto& [word, meant] : cases) {
    auto got = guess(word);
    ASSERT_TRUE(got) << word;
    EXPECT_EQ(got->meant, meant) << word;
  }
}

TEST(GuessCommand, SaysWhatWasMeantAndHowToSendTheWordAnyway) {
  auto got = guess("usgae");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->message,
            "claudegpt: `usgae` is not a command; did you mean `claudegpt usage`?\n"
            "To send it to the model as a prompt: claudegpt -- usgae\n");
}

TEST(GuessCommand, NamesWhatToDoForCommandsClaudegptLacks) {
  const std::pair<const char*, const char*> cases[] = {
      {"install", "To install claudegpt: scripts/install in its checkout"},
      {"uninstall", "To remove claudegpt: scripts/install --uninstall in its checkout."},
      {"update", "git pull and scripts/install in its checkout"},
      {"upgrade", "git pull and scripts/install in its checkout"},
      {"completion", "no shell completion; `claudegpt --help` lists its commands"},
      {"login", "`codex login`, then `claudegpt setup`"},
      {"logout", "`codex logout`"},
      {"status", "`claudegpt doctor`"},
      {"Install", "To install claudegpt: scripts/install in its checkout"},
  };
  for (const auto& [word, advice] : cases) {
    auto got = guess(word);
    ASSERT_TRUE(got) << word;
    EXPECT_EQ(got->meant, "") << word;
    EXPECT_TRUE(got->message.starts_with("claudegpt: `" + std::string(word) + "` is not a command.\n"))
        << got->message;
    EXPECT_NE(got->message.find(advice), std::string::npos) << got->message;
  }
  EXPECT_EQ(guess("uninstall")->message,
            "claudegpt: `uninstall` is not a command.\n"
            "To remove claudegpt: scripts/install --uninstall in its checkout.\n"
            "To send it to the model as a prompt: claudegpt -- uninstall\n");
  EXPECT_EQ(guess("version")->meant, "--version");
  EXPECT_EQ(guess("help")->meant, "--help");  // as a launcher argument: `--effort high help`
  EXPECT_EQ(guess("help")->message,
            "claudegpt: `help` is not a command; did you mean `claudegpt --help`?\n"
            "To send it to the model as a prompt: claudegpt -- help\n");
}

// `claude -- install` still runs Claude Code's installer; `claude -p install` is a prompt.
TEST(GuessCommand, ClaudeCodesOwnSubcommandsItGuardsAreSentAsPromptsInPrintMode) {
  for (const char* word : {"install", "update", "upgrade"}) {
    auto got = guess(word);
    ASSERT_TRUE(got) << word;
    EXPECT_NE(got->message.find(std::string("prompt: claudegpt -p ") + word + "\n"), std::string::npos)
        << got->message;
    EXPECT_NE(got->message.find("`claude "), std::string::npos) << got->message;
  }
}

TEST(GuessCommand, LeavesClaudeCodesSubcommandsAlone) {
  // `stop` is two edits from `setup`, `logs` and `auth` are Claude Code's too.
  for (const char* word : {"mcp", "plugin", "plugins", "stop", "kill", "logs", "auth", "agents",
                           "attach", "setup-token", "auto-mode", "ultrareview", "rm", "purge"})
    EXPECT_FALSE(guess(word)) << word;
}

TEST(GuessCommand, LeavesPromptsAlone) {
  // More than one argument, a space, a flag, punctuation: a prompt or Claude Code's options.
  EXPECT_FALSE(guess_command({"-p", "usgae"}));
  EXPECT_FALSE(guess_command({"--", "usgae"}));
  EXPECT_FALSE(guess_command({"usgae", "please"}));
  EXPECT_FALSE(guess_command({}));
  for (const char* word : {"usage report", "fix the tests", "-c", "--resume", "usgae?", "usage.",
                           "src/usage", "", "héllo"})
    EXPECT_FALSE(guess(word)) << word;
  // Words further than the allowance: two edits from a 5- or 6-letter command are words.
  for (const char* word : {"hello", "hi", "thanks", "continue", "yes", "explain", "test", "tests",
                           "review", "commit", "refactor", "places", "trains", "tries", "factor",
                           "vector", "confirm", "step", "set", "use", "see", "logic", "instal",
                           "compaction", "versions", "status-report"})
    EXPECT_FALSE(guess(word)) << word;
}

TEST(GuessCommand, OurOwnCommandsAreOurs) {
  for (const char* word : {"serve", "config", "setup", "doctor", "usage", "traces", "keys", "statusline", "judge"})
    EXPECT_TRUE(is_claudegpt_command(word)) << word;
  for (const char* word : {"help", "Usage", "mcp", "install", "--help", ""})
    EXPECT_FALSE(is_claudegpt_command(word)) << word;
}

}  // namespace
}  // namespace claudegpt
