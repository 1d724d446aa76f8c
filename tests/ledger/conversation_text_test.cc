#include "ledger/conversation_text.h"

#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace claudegpt {
namespace {

TEST(TextOpening, CollapsesWhiteSpaceAndCutsWithAnEllipsis) {
  EXPECT_EQ(text_opening("  fix\n\nthe   tests\t ", 40), "fix the tests");
  EXPECT_EQ(text_opening("fix the failing tests", 10), "fix the f…");  // 9 code points + "…"
  EXPECT_EQ(text_opening("fix the tests", 9), "fix the…");  // not "fix the …"
  EXPECT_EQ(text_opening("exactly ten", 11), "exactly ten");
  EXPECT_EQ(text_opening("", 10), "");
  EXPECT_EQ(text_opening("anything", 0), "");
  // Cut by code point, never inside a character.
  EXPECT_EQ(text_opening("héllo wörld ✓✓✓", 10), "héllo wör…");
}

TEST(TextOpening, ControlCharactersCannotReachTheTerminal) {
  EXPECT_EQ(text_opening("red\x1b[31m text\x07 and \x7f del", 80), "red [31m text and del");
  EXPECT_EQ(text_opening("c1\xc2\x9b" "31m csi", 80), "c1 31m csi");  // U+009B, the C1 CSI
  EXPECT_EQ(text_opening("\r\x1b]0;title\x07", 80), "]0;title");
}

// Requests modelled on ../shared/fixtures/claude-code-requests/: cc2.1.330-first-turn.json
// (a <system-reminder> block before the prompt), cc2.1.330-write-tool-turn2-tool-result.json
// (a tool_result after it) and cc2.1.330-after-compact.json (the summary, then slash-command
// markup, then the next prompt).
boost::json::object request_with(const char* messages_json) {
  return boost::json::parse(std::string(R"({"model":"claude-opus-5-5","messages":)") +
                            messages_json + "}")
      .as_object();
}

TEST(UserPrompt, IsTheUsersOwnTextWithoutWhatClaudeCodeAddsAroundIt) {
  boost::json::object request = request_with(R"([
    {"role":"user","content":[
      {"type":"text","text":"<system-reminder>\nAttribution for git commits…\n</system-reminder>"},
      {"type":"text","text":"create hello.txt"}]},
    {"role":"system","content":"# Environment\n - Primary working directory: /tmp/w"},
    {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Write","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}])");
  EXPECT_EQ(first_user_prompt(request), "create hello.txt");
  EXPECT_EQ(last_user_prompt(request), "create hello.txt");  // a tool result is not the user's
}

TEST(UserPrompt, SkipsTheCompactionSummaryAndSlashCommandMarkup) {
  boost::json::object request = request_with(R"([
    {"role":"user","content":"This session is being continued from a previous conversation that ran out of context. The summary below covers the earlier portion."},
    {"role":"assistant","content":[{"type":"text","text":"Hello."}]},
    {"role":"user","content":[
      {"type":"text","text":"<local-command-caveat>The command below was run directly…</local-command-caveat>"},
      {"type":"text","text":"<command-name>/compact</command-name>\n  <command-message>compact</command-message>\n  <command-args></command-args>\n"},
      {"type":"text","text":"<local-command-stdout>Compacted</local-command-stdout>\n"},
      {"type":"text","text":"hi again"}]},
    {"role":"user","content":[{"type":"text","text":"<system-reminder>note</system-reminder>\nand now the tests"}]}])");
  EXPECT_EQ(first_user_prompt(request), "hi again");
  EXPECT_EQ(last_user_prompt(request), "and now the tests");
}

TEST(UserPrompt, KeepsTextThatOnlyLooksLikeMarkupAndIsEmptyWithoutUserText) {
  EXPECT_EQ(first_user_prompt(request_with(R"([{"role":"user","content":"<3 this, x < 5"}])")),
            "<3 this, x < 5");
  EXPECT_EQ(first_user_prompt(request_with(R"([{"role":"user","content":"<session>unclosed"}])")),
            "");
  EXPECT_EQ(first_user_prompt(request_with(R"([{"role":"assistant","content":"hi"}])")), "");
  EXPECT_EQ(first_user_prompt(boost::json::object{}), "");
}

}  // namespace
}  // namespace claudegpt
