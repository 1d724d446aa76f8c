// The Anthropic server-tool blocks and the citation split, on small cases (the recorded web
// search stream is covered in stream_translator_test.cc).
#include "core/server_tool_blocks.h"

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

std::string restored(const std::vector<CitedText>& blocks) {
  std::string text;
  for (const CitedText& block : blocks) {
    text += block.text;
    for (const auto& citation : block.citations)
      text += std::string(citation.at("encrypted_index").as_string());
  }
  return text;
}

TEST(ServerToolBlocks, AnInlineLinkCitesTheClaimOnItsLine) {
  const std::string text = "Intro:\n- Petco had a breach. ([tc.com](https://tc.com/a?utm_source=openai))\n- next";
  const std::size_t start = text.find("([");
  const std::size_t end = text.find("))") + 2;
  auto blocks = split_cited_text(text, {{start, end, "https://tc.com/a?utm_source=openai", "Petco"}});
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].text, "Intro:\n- ");
  EXPECT_TRUE(blocks[0].citations.empty());
  EXPECT_EQ(blocks[1].text, "Petco had a breach. ");
  ASSERT_EQ(blocks[1].citations.size(), 1u);
  EXPECT_EQ(blocks[1].citations[0].at("cited_text"), "Petco had a breach.");
  EXPECT_EQ(blocks[1].citations[0].at("url"), "https://tc.com/a");
  EXPECT_EQ(blocks[1].citations[0].at("title"), "Petco");
  EXPECT_EQ(blocks[2].text, "\n- next");
  EXPECT_EQ(restored(blocks), text);
}

TEST(ServerToolBlocks, IndicesAreCodePointsNotBytes) {
  const std::string text = "Caf\u00e9 \u2014 open. ([x.com](https://x.com))";
  // "Café — open. " is 13 code points (16 bytes).
  auto blocks = split_cited_text(text, {{13, 13 + 24, "https://x.com", "X"}});
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "Caf\u00e9 \u2014 open. ");
  EXPECT_EQ(restored(blocks), text);
}

TEST(ServerToolBlocks, ASecondLinkRightAfterTheFirstAddsASourceToTheSameClaim) {
  const std::string text = "Claim. ([a](https://a/)) ([b](https://b/))";
  auto blocks = split_cited_text(text, {{7, 24, "https://a/", "A"}, {25, 42, "https://b/", "B"}});
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].citations.size(), 2u);
  EXPECT_EQ(blocks[0].citations[1].at("url"), "https://b/");
}

TEST(ServerToolBlocks, AnAnnotationOverPlainTextCitesThatText) {
  auto blocks = split_cited_text("See the report here.", {{8, 14, "https://r/", "R"}});
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[1].text, "report");
  EXPECT_EQ(blocks[1].citations[0].at("encrypted_index"), "");
}

TEST(ServerToolBlocks, InvalidAndOverlappingAnnotationsAreIgnored) {
  const std::string text = "abc";
  auto blocks = split_cited_text(text, {{2, 1, "u", "t"}, {0, 99, "u", "t"}});
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "abc");
  EXPECT_TRUE(blocks[0].citations.empty());
  EXPECT_TRUE(split_cited_text("", {}).empty());
}

TEST(ServerToolBlocks, OnlyOpenAisTrackingParameterIsRemoved) {
  EXPECT_EQ(without_openai_tracking("https://a/b?utm_source=openai"), "https://a/b");
  EXPECT_EQ(without_openai_tracking("https://a/b?x=1&utm_source=openai#f"), "https://a/b?x=1#f");
  EXPECT_EQ(without_openai_tracking("https://a/b?utm_source=news"), "https://a/b?utm_source=news");
}

TEST(ServerToolBlocks, IdsKeepTheUpstreamIdWithoutItsPrefix) {
  EXPECT_EQ(server_tool_id("ws_0cc9"), "srvtoolu_0cc9");
  EXPECT_EQ(server_tool_id("call_Ab1"), "srvtoolu_Ab1");
}

TEST(ServerToolBlocks, ASourceWithoutATitleIsTitledWithItsHost) {
  auto block = web_search_result_block("srvtoolu_1", {{"https://news.example.com/a/b", ""}, {"https://x/", "X"}});
  const auto& content = block.at("content").as_array();
  EXPECT_EQ(content[0].at("title"), "news.example.com");
  EXPECT_EQ(content[1].at("title"), "X");
  EXPECT_EQ(content[0].at("encrypted_content"), "");
}

}  // namespace
}  // namespace claudegpt
