// The pass before the HTML parser: what it removes, what it keeps, and that stashed text
// comes back exactly.
#include "web/markup_prune.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

std::string pruned(std::string_view html) { return prune_markup(html).html; }

// The pruned markup with every stashed run put back.
std::string restored(std::string_view html) {
  const PrunedMarkup p = prune_markup(html);
  std::string out;
  unstash_text(p.html, p, out);
  return out;
}

TEST(MarkupPrune, CommentsScriptsStylesAndSvgAreRemoved) {
  EXPECT_EQ(pruned("<p>a</p><!-- c --><script>if (a<b) x('</p>')</script><STYLE>p{}</STYLE>"
                   "<svg><svg></svg><text>t</text></svg><svg/><p>b</p>"),
            "<p>a</p><p>b</p>");
}

TEST(MarkupPrune, AnUnclosedSvgIsLeftToTheParser) {
  EXPECT_EQ(pruned("<svg><path/><p>x</p>"), "<svg><path/><p>x</p>");
}

TEST(MarkupPrune, RawTextElementsAreKeptWhole) {
  EXPECT_EQ(pruned("<title>a <script> b</title><textarea><!-- x --></textarea>"),
            "<title>a <script> b</title><textarea><!-- x --></textarea>");
}

TEST(MarkupPrune, OnlyAttributesTheConverterReadsAreKept) {
  EXPECT_EQ(pruned("<a href=\"/x\" onclick=\"y()\" data-track='z' class=\"btn primary\">go</a>"),
            "<a href=\"/x\">go</a>");
  EXPECT_EQ(pruned("<div class=\"site-navbar\" id=main-menu style=\"color: red\">x</div>"),
            "<div class=\"site-navbar\" id=main-menu>x</div>");
  EXPECT_EQ(pruned("<div class='highlight-source-js x' style='display: none'>"),
            "<div class='highlight-source-js x' style='display: none'>");
  EXPECT_EQ(pruned("<pre class=\"rust example\"><img src=a alt=\"b\" srcset=c loading=lazy />"),
            "<pre class=\"rust example\"><img src=a alt=\"b\"/>");
}

TEST(MarkupPrune, WhitespaceCollapsesOutsidePreOnly) {
  EXPECT_EQ(pruned("<p>a   \n\n  b</p>\n\n<pre>x   \n\n  y</pre>  <p>c  d</p>"),
            "<p>a b</p>\n<pre>x   \n\n  y</pre> <p>c d</p>");
}

TEST(MarkupPrune, NestingBeyondWhatBrowsersBuildIsFlattened) {
  std::string html;
  for (int i = 0; i < 2000; ++i) html += "<div>";
  html += "x";
  const std::string out = pruned(html);
  std::size_t divs = 0;
  for (std::size_t at = 0; (at = out.find("<div>", at)) != std::string::npos; ++at) ++divs;
  EXPECT_EQ(divs, 512u);
  EXPECT_EQ(out.back(), 'x');
}

TEST(MarkupPrune, LongTextIsStashedAndComesBackExactly) {
  const std::string html =
      "<p>  A long run of plain text &amp; an entity, then more plain text é  </p>"
      "<pre>\n  indented code that is long enough\n</pre>";
  const PrunedMarkup p = prune_markup(html);
  EXPECT_EQ(p.stashed.size(), 3u);
  EXPECT_EQ(p.html.find("plain text"), std::string::npos);
  EXPECT_NE(p.html.find("&amp;"), std::string::npos);  // references stay for the parser
  EXPECT_EQ(restored(html),
            "<p> A long run of plain text &amp; an entity, then more plain text é </p>"
            "<pre>\n  indented code that is long enough\n</pre>");
}

TEST(MarkupPrune, TextThatTheParserWouldChangeIsNotStashed) {
  EXPECT_TRUE(prune_markup("<p>a run with a carriage\r\nreturn in it</p>").stashed.empty());
  EXPECT_TRUE(prune_markup("<p>a run with an invalid \xFF byte in it</p>").stashed.empty());
  EXPECT_TRUE(prune_markup(std::string("<p>a run with a NUL \0 in it, long</p>", 38))
                  .stashed.empty());
}

TEST(MarkupPrune, APageContainingTheMarkerIsNotStashed) {
  const std::string html = "<p>a long run of text with \xF3\xB0\x80\x80 in the middle of it</p>";
  const PrunedMarkup p = prune_markup(html);
  EXPECT_TRUE(p.stashed.empty());
  EXPECT_EQ(p.html, html);
}

TEST(MarkupPrune, CdataSectionsAreRemoved) {
  EXPECT_EQ(pruned("<p>a</p><![CDATA[ x < y ]]><p>b</p><![CDATA[ unterminated"),
            "<p>a</p><p>b</p>");
}

TEST(MarkupPrune, InsideSvgATitleIsAnElementAndCdataIsText) {
  // The <p> in the CDATA does not end the <svg>; the one after it does, so the parser decides.
  EXPECT_EQ(pruned("<svg><title><![CDATA[<p>]]>t</title></svg><p>x</p>"), "<p>x</p>");
  EXPECT_EQ(pruned("<svg><title><![CDATA[a]]>t</title><p>x</p>"), "<svg><title>t</title><p>x</p>");
}

// Every scan in the pass moves forward: inputs built to make one rescan stay linear.
TEST(MarkupPrune, StaysLinearOnInputsBuiltToMakeItRescan) {
  std::string unclosed_svgs;
  for (int i = 0; i < 50000; ++i) unclosed_svgs += "<svg>";
  unclosed_svgs += "<p>x";
  std::string runs_without_references;
  for (int i = 0; i < 50000; ++i) runs_without_references += "<b>a run of some plain text</b>";
  runs_without_references += "&amp;";
  for (const std::string* html : {&unclosed_svgs, &runs_without_references}) {
    const auto start = std::chrono::steady_clock::now();
    prune_markup(*html);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  }
}

TEST(MarkupPrune, TextBeforeAFormEndStaysInTheForm) {
  EXPECT_EQ(pruned("<form>text</form>"), "<form>text<!----></form>");
}

TEST(MarkupPrune, DoctypesAndBogusCommentsAreLeftAlone) {
  EXPECT_EQ(pruned("<!DOCTYPE html><?xml version=\"1.0\"?><p>a</p>"),
            "<!DOCTYPE html><?xml version=\"1.0\"?><p>a</p>");
}

}  // namespace
}  // namespace claudegpt
