// The pass before the HTML parser: what it removes, what it keeps, that stashed text comes
// back exactly, and what it writes so that the parser builds the tree a browser would.
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

TEST(MarkupPrune, AnUnclosedSvgIsRemovedUpToTheHtmlThatEndsIt) {
  EXPECT_EQ(pruned("<svg><path/><p>x</p>"), "<p>x</p>");
  // Inside <foreignObject>, <desc> and <title>, HTML belongs to the SVG.
  EXPECT_EQ(pruned("<svg><foreignObject><p>x</p></foreignObject><g><div>y</div>"), "<div>y</div>");
}

TEST(MarkupPrune, RawTextElementsAreKeptAsText) {
  EXPECT_EQ(pruned("<title>a <script> b &amp c</title><textarea><!-- x --></textarea>"),
            "<title>a &lt;script> b &amp; c</title><textarea>&lt;!-- x --></textarea>");
  EXPECT_EQ(pruned("<xmp><b>&amp;</b></xmp>"), "<xmp>&lt;b>&amp;amp;&lt;/b></xmp>");
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
  EXPECT_EQ(pruned("<svg><title><![CDATA[<p>]]>t</title><p>x</p>"), "<p>x</p>");
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

TEST(MarkupPrune, OnlyALeadingDoctypeIsKept) {
  // Bogus comments too are comments to a browser, but not always to the parser.
  EXPECT_EQ(pruned("<!DOCTYPE html><?xml version=\"1.0\"?><p>a</ b><!x>b</p><!DOCTYPE html>"),
            "<!DOCTYPE html><p>ab</p>");
}

TEST(MarkupPrune, CharacterReferencesAreWrittenAsTheParserReadsThemLikeABrowser) {
  EXPECT_EQ(pruned("<p>&amp &notit; &COPY; &copy2024 &eacute; &#128; &#x0; &#x110000; &#; "
                   "&#X2014; &bogus;</p>"),
            "<p>&amp; &not;it; &copy; &copy;2024 &eacute; &#8364; &#65533; &#65533; &amp;#; "
            "&#X2014; &bogus;</p>");
  // In attribute values the parser already reads them as browsers do.
  EXPECT_EQ(pruned("<a href='?a=1&copy=2'>x</a>"), "<a href='?a=1&copy=2'>x</a>");
}

TEST(MarkupPrune, EndTagsABrowserImpliesAreWrittenOut) {
  // An end tag closes what is open inside; the parser would ignore </nav> with a <div> open.
  EXPECT_EQ(pruned("<nav><div>x</nav>"), "<nav><div>x</div></nav>");
  // ... but not past a table.
  EXPECT_EQ(pruned("<div><table><tr><td>x</div>"), "<div><table><tr><td>x</div>");
  // A new item or cell closes the last one, and what is open in it.
  EXPECT_EQ(pruned("<ul><li><div>a<li>b</ul>"), "<ul><li><div>a</div></li><li>b</li></ul>");
  EXPECT_EQ(pruned("<ul><li>a<ul><li>b</ul></ul>"), "<ul><li>a<ul><li>b</li></ul></li></ul>");
  EXPECT_EQ(pruned("<table><tr><td><code>a<td>b<tr><td>c</table>"),
            "<table><tr><td><code>a</code></td><td>b</td></tr><tr><td>c</td></tr></table>");
  // A heading ends at another heading, or at any heading's end tag.
  EXPECT_EQ(pruned("<h2>a<h3>b</h2>"), "<h2>a</h2><h3>b</h3>");
}

TEST(MarkupPrune, MisnestedFormattingIsClosedAndReopened) {
  EXPECT_EQ(pruned("<b>1<i>2</b>3</i>"), "<b>1<i>2</i></b><i>3</i>");
  EXPECT_EQ(pruned("<a href=/x>1<b>2<a href=/y>3"), "<a href=/x>1<b>2</b></a><b><a href=/y>3");
}

TEST(MarkupPrune, StrayTagsAreReadAsBrowsersReadThem) {
  EXPECT_EQ(pruned("<p>a<wbr>b<source src=x><div/>c</div>"),
            "<p>a<wbr/>b<source src=x /><div>c</div>");
  EXPECT_EQ(pruned("<div>a</br>b</p>c</div></body></html><td>d</td>"),
            "<div>a<br>b<div></div>c</div>d");
}

}  // namespace
}  // namespace claudegpt
