// HTML → Markdown for the model: four real-world-shaped pages in tests/data/pages/ (a news
// article, a docs page with code, a data table, an SPA shell), each compared to a hand-written
// expected file; then the rules one at a time.
#include "web/html_to_markdown.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

std::string read_page(const std::string& name) {
  std::ifstream in(std::string(CLAUDEGPT_TEST_DATA_DIR) + "/pages/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The expected files end with a newline, as text files do; the Markdown itself is trimmed.
std::string expected_page(const std::string& name) {
  std::string text = read_page(name + ".expected.md");
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string md(std::string_view html, std::string_view base = "https://example.com/a/b/page.html") {
  return html_to_markdown(html, base).markdown;
}

// ---------------------------------------------------------------- whole pages

TEST(HtmlToMarkdownPages, ANewsArticleKeepsTheStoryAndDropsTheSiteAroundIt) {
  const MarkdownPage page = html_to_markdown(
      read_page("article.html"), "https://news.example.com/world/2024/05/river-cleanup.html");
  EXPECT_EQ(page.title,
            "Volunteers Clear 12 Tonnes of Waste From the River Lune | The Northern Ledger");
  EXPECT_EQ(page.markdown, expected_page("article"));
}

TEST(HtmlToMarkdownPages, ADocsPageKeepsCodeBlocksWithTheirLanguages) {
  const MarkdownPage page =
      html_to_markdown(read_page("docs.html"), "https://docs.example.dev/guide/config/");
  EXPECT_EQ(page.title, "Configuration — Tessel 2.3 documentation");
  EXPECT_EQ(page.markdown, expected_page("docs"));
}

TEST(HtmlToMarkdownPages, ADataTableBecomesAPipeTable) {
  const MarkdownPage page =
      html_to_markdown(read_page("table.html"), "https://stats.example.org/reports/2023/rainfall");
  EXPECT_EQ(page.title, "Rainfall by station, 2023");
  EXPECT_EQ(page.markdown, expected_page("table"));
}

TEST(HtmlToMarkdownPages, AnAppShellSaysOnlyWhatItsNoscriptSays) {
  const MarkdownPage page = html_to_markdown(read_page("spa.html"), "https://app.example.com/");
  EXPECT_EQ(page.title, "Acme Dashboard");
  EXPECT_EQ(page.markdown, expected_page("spa"));
}

// ---------------------------------------------------------------- links and images

TEST(HtmlToMarkdownLinks, RelativeLinksResolveAgainstThePageUrl) {
  const std::string base = "https://example.com/docs/guide/page.html?x=1#top";
  const std::pair<const char*, const char*> cases[] = {
      {"other.html", "https://example.com/docs/guide/other.html"},
      {"../up.html", "https://example.com/docs/up.html"},
      {"../../../../too-far", "https://example.com/too-far"},
      {"./sub/./x/../y", "https://example.com/docs/guide/sub/y"},
      {"/root/path", "https://example.com/root/path"},
      {"//cdn.example.net/lib", "https://cdn.example.net/lib"},
      {"?q=2", "https://example.com/docs/guide/page.html?q=2"},
      {"#usage", "https://example.com/docs/guide/page.html?x=1#usage"},
      {"", ""},
      {"http://other.org/x?y#z", "http://other.org/x?y#z"},
      {"mailto:someone@example.com", "mailto:someone@example.com"},
      {"  spaced.html\n", "https://example.com/docs/guide/spaced.html"},
  };
  for (const auto& [href, url] : cases) {
    const std::string html = std::string("<p><a href=\"") + href + "\">go</a></p>";
    const std::string expected = *url ? std::string("[go](") + url + ")" : "go";
    EXPECT_EQ(md(html, base), expected) << href;
  }
}

TEST(HtmlToMarkdownLinks, AHostOnlyBaseGetsARootPath) {
  EXPECT_EQ(md("<a href='x/y'>go</a>", "https://example.com"), "[go](https://example.com/x/y)");
}

TEST(HtmlToMarkdownLinks, TheBaseElementChangesWhatLinksAreRelativeTo) {
  EXPECT_EQ(md("<head><base href='/v2/'></head><a href='api.html'>API</a>",
               "https://example.com/v1/index.html"),
            "[API](https://example.com/v2/api.html)");
}

TEST(HtmlToMarkdownLinks, WithoutABaseUrlLinksStayAsWritten) {
  EXPECT_EQ(md("<a href='../x.html'>x</a>", ""), "[x](../x.html)");
}

TEST(HtmlToMarkdownLinks, ScriptLinksKeepTheirTextOnly) {
  EXPECT_EQ(md("<p><a href='javascript:void(0)'>Load more</a> and "
               "<a href=' JavaScript:alert(1)'>this</a> and <a href='#'>top</a></p>"),
            "Load more and this and top");
}

TEST(HtmlToMarkdownLinks, ALinkWithoutTextIsDropped) {
  EXPECT_EQ(md("<p>Share <a href='/x'><img src='i.png' alt=''></a><a href='/y'> </a>this</p>"),
            "Share this");
}

TEST(HtmlToMarkdownLinks, ALinkWhoseTextIsItsAddressIsWrittenInAngleBrackets) {
  EXPECT_EQ(md("<p>See <a href='https://example.org/x'>https://example.org/x</a>.</p>"),
            "See <https://example.org/x>.");
}

TEST(HtmlToMarkdownLinks, SpacesInsideTheLinkMoveOutsideIt) {
  EXPECT_EQ(md("<p>a<a href='/x'> spaced link </a>b</p>"),
            "a [spaced link](https://example.com/x) b");
}

TEST(HtmlToMarkdownLinks, AddressesThatWouldBreakMarkdownAreEscaped) {
  EXPECT_EQ(md("<a href='/a b'>x</a> <a href='/wiki/C_(language)'>C</a> <a href='/f(x'>f</a>"),
            "[x](https://example.com/a%20b) [C](https://example.com/wiki/C_(language)) "
            "[f](https://example.com/f%28x)");
}

TEST(HtmlToMarkdownLinks, FootnoteMarksAreJustTheirText) {
  EXPECT_EQ(md("<p>Claim.<sup class='reference'><a href='#cite_note-1'>[1]</a></sup> "
               "<sup><a href='/other#x'>2</a></sup></p>"),
            "Claim.[1] [2](https://example.com/other#x)");
}

TEST(HtmlToMarkdownLinks, ACardLinkAroundBlocksLinksItsFirstBlock) {
  EXPECT_EQ(md("<a href='/post'><h3>Title</h3><p>Summary text</p></a>"),
            "### [Title](https://example.com/post)\n\nSummary text");
}

TEST(HtmlToMarkdownLinks, HeadingSelfAnchorsAreDropped) {
  EXPECT_EQ(md("<h2 id='s'>Setup<a class='headerlink' href='#s'>¶</a></h2>"), "## Setup");
  EXPECT_EQ(md("<h2 id='s'><a class='header' href='#s'>Setup</a></h2><p><a href='#s'>up</a></p>"),
            "## Setup\n\n[up](https://example.com/a/b/page.html#s)");
  EXPECT_EQ(md("<h2><a href='/other'>Elsewhere</a></h2>"),
            "## [Elsewhere](https://example.com/other)");
}

TEST(HtmlToMarkdownImages, ImagesAppearOnlyWithAltText) {
  EXPECT_EQ(md("<p><img src='/a.png' alt='A chart'> <img src='/deco.png'> "
               "<img src='data:image/png;base64,AAAA' data-src='/lazy.png' alt='Lazy'></p>"),
            "![A chart](https://example.com/a.png) ![Lazy](https://example.com/lazy.png)");
}

TEST(HtmlToMarkdownImages, ALinkedImageIsALinkAroundAnImage) {
  EXPECT_EQ(md("<a href='/big.jpg'><img src='small.jpg' alt='Photo'></a>"),
            "[![Photo](https://example.com/a/b/small.jpg)](https://example.com/big.jpg)");
}

// ---------------------------------------------------------------- blocks

TEST(HtmlToMarkdownBlocks, ParagraphsAreSeparatedByOneBlankLine) {
  EXPECT_EQ(md("<div><p>one</p>\n\n<p>two</p><div><div><p>three</p></div></div></div>"),
            "one\n\ntwo\n\nthree");
}

TEST(HtmlToMarkdownBlocks, WhitespaceCollapsesAsABrowserShowsIt) {
  EXPECT_EQ(md("<p>  several\n\t spaces   and\n newlines  </p><p> x&nbsp;&nbsp;y </p>"),
            "several spaces and newlines\n\nx y");
}

TEST(HtmlToMarkdownBlocks, EmphasisHugsItsWords) {
  EXPECT_EQ(md("<p>a<b> bold </b>b <em>em</em>, <strong><b>once</b></strong>, "
               "<i></i>gone, <del>old</del></p>"),
            "a **bold** b *em*, **once**, gone, ~~old~~");
}

TEST(HtmlToMarkdownBlocks, HeadingsKeepTheirLevelOnOneLine) {
  EXPECT_EQ(md("<h1>Top</h1><h3>Three <b>bold</b><br>lines\n here</h3><h6></h6><p>text</p>"),
            "# Top\n\n### Three bold lines here\n\ntext");
}

TEST(HtmlToMarkdownBlocks, LineBreaksAndRules) {
  EXPECT_EQ(md("<p>line one<br>line two<br><br>new para</p><hr><p>after</p>"),
            "line one\nline two\n\nnew para\n\n---\n\nafter");
}

TEST(HtmlToMarkdownBlocks, BlockquotesNestWithTheirParagraphs) {
  EXPECT_EQ(md("<p>Before</p><blockquote><p>one</p><p>two</p><blockquote>inner</blockquote>"
               "</blockquote><p>After</p>"),
            "Before\n\n> one\n>\n> two\n>\n> > inner\n\nAfter");
}

TEST(HtmlToMarkdownBlocks, DefinitionListsPutEachDefinitionUnderItsTerm) {
  EXPECT_EQ(md("<dl><dt>TTL</dt><dd>Time to live.</dd><dt>RTT</dt><dt>Ping</dt>"
               "<dd>Round trip time.</dd></dl>"),
            "TTL\n: Time to live.\n\nRTT\nPing\n: Round trip time.");
}

TEST(HtmlToMarkdownBlocks, EntitiesAreDecoded) {
  EXPECT_EQ(md("<p>AT&amp;T &lt;tag&gt; &quot;q&quot; &copy; caf&eacute; &#x2014; &#8364;5 "
               "&bogus; &amp &notit;</p>"),
            "AT&T <tag> \"q\" © café — €5 &bogus; & ¬it;");  // legacy entities need no ';'

}

TEST(HtmlToMarkdownBlocks, EmptyInputGivesNothing) {
  const MarkdownPage page = html_to_markdown("", "https://example.com/");
  EXPECT_EQ(page.title, "");
  EXPECT_EQ(page.markdown, "");
  EXPECT_EQ(md("   \n  "), "");
  EXPECT_EQ(md("<html><head><title> Only  a\ntitle </title></head><body></body></html>"), "");
  EXPECT_EQ(html_to_markdown("<title> Only  a\ntitle </title>").title, "Only a title");
}

TEST(HtmlToMarkdownBlocks, PlainTextIsAParagraph) {
  EXPECT_EQ(md("just some text"), "just some text");
}

TEST(HtmlToMarkdownBlocks, MalformedMarkupParsesTheWayABrowserWould) {
  EXPECT_EQ(md("<p>one<p>two <b>bold <i>both</b> italic</i>"
               "<ul><li>a<li>b</ul><div>unclosed <span>span"
               "<table><tr><td>c1<td>c2<tr><td>d1<td>d2</table>"
               "<h2>no end"),
            "one\n\ntwo **bold *both*** *italic*\n\n- a\n- b\n\nunclosed span\n\n"
            "| c1 | c2 |\n| --- | --- |\n| d1 | d2 |\n\n## no end");
}

TEST(HtmlToMarkdownBlocks, NoLineEndsInSpacesAndBlankLinesNeverRepeat) {
  const std::string out = md(
      "<div> a <br> </div><p> </p><p></p><div><div> </div></div><p>b</p> \n"
      "<ul><li><p>x </p></li></ul>");
  EXPECT_EQ(out, "a\n\nb\n\n- x");
}

// ---------------------------------------------------------------- lists

TEST(HtmlToMarkdownLists, NestedListsIndentUnderTheirItems) {
  EXPECT_EQ(md("<ul>"
               "  <li>Fruit"
               "    <ul><li>Apple</li><li>Pear<ul><li>Conference</li></ul></li></ul>"
               "  </li>"
               "  <li>Vegetables"
               "    <ol><li>Leek</li><li>Kale</li></ol>"
               "  </li>"
               "</ul>"
               "<p>After</p>"),
            "- Fruit\n"
            "  - Apple\n"
            "  - Pear\n"
            "    - Conference\n"
            "- Vegetables\n"
            "  1. Leek\n"
            "  2. Kale\n"
            "\n"
            "After");
}

TEST(HtmlToMarkdownLists, AListRightInsideAListIsNestedAsBrowsersShowIt) {
  EXPECT_EQ(md("<ul><li>a</li><ul><li>a1</li><li>a2</li></ul><li>b</li></ul>"),
            "- a\n  - a1\n  - a2\n- b");
}

TEST(HtmlToMarkdownLists, OrderedListsCountFromTheirStart) {
  EXPECT_EQ(md("<ol start='9'><li>nine</li><li>ten<ul><li>sub</li></ul></li>"
               "<li value='20'>twenty</li></ol>"),
            "9. nine\n10. ten\n    - sub\n20. twenty");
}

TEST(HtmlToMarkdownLists, ItemsWithParagraphsStayInTheirItemAndTheListStaysTight) {
  EXPECT_EQ(md("<ul><li><p>First para</p><p>Second para</p></li><li><p>Next</p></li></ul>"),
            "- First para\n\n  Second para\n- Next");
}

TEST(HtmlToMarkdownLists, CodeAndQuotesInsideItemsAreIndented) {
  EXPECT_EQ(md("<ol><li>Run:<pre>make\n  install</pre></li><li><blockquote>quoted"
               "</blockquote></li></ol>"),
            "1. Run:\n\n   ```\n   make\n     install\n   ```\n2. > quoted");
}

// ---------------------------------------------------------------- code

TEST(HtmlToMarkdownCode, PreKeepsItsWhitespaceExactly) {
  EXPECT_EQ(md("<pre>\nint main() {\n\tif (a &lt; b)  {\n\n    return 0;   \n  }\n}\n\n</pre>"),
            "```\nint main() {\n\tif (a < b)  {\n\n    return 0;   \n  }\n}\n```");
}

TEST(HtmlToMarkdownCode, PreTakesItsLanguageFromTheMarkup) {
  EXPECT_EQ(md("<pre class='lang-go'>x := 1</pre>"), "```go\nx := 1\n```");
  EXPECT_EQ(md("<pre><code class='hljs language-rust'>fn f() {}</code></pre>"),
            "```rust\nfn f() {}\n```");
  EXPECT_EQ(md("<div class='highlight highlight-source-js'><pre>f()</pre></div>"),
            "```js\nf()\n```");
  EXPECT_EQ(md("<pre class='rust rust-example-rendered'><code>let x;</code></pre>"),
            "```rust\nlet x;\n```");
  EXPECT_EQ(md("<pre class='sourceCode python'><code>pass</code></pre>"), "```python\npass\n```");
  EXPECT_EQ(md("<div class='c'><pre class='example'>x</pre></div>"), "```\nx\n```");
}

TEST(HtmlToMarkdownCode, FencesOutgrowTheBackticksInside) {
  EXPECT_EQ(md("<pre>```\nnested\n```</pre>"), "````\n```\nnested\n```\n````");
  EXPECT_EQ(md("<p><code>a`b</code> <code>``</code> <code>  spaced   out </code></p>"),
            "``a`b`` ``` `` ``` `spaced out`");
}

TEST(HtmlToMarkdownCode, HighlighterLinesBecomeLines) {
  EXPECT_EQ(md("<pre><div class='line'>one</div><div class='line'>  two</div></pre>"),
            "```\none\n  two\n```");
  EXPECT_EQ(md("<pre>a<br>b</pre>"), "```\na\nb\n```");
}

// ---------------------------------------------------------------- tables

TEST(HtmlToMarkdownTables, TheFirstRowIsTheHeaderWhenThereIsNoTh) {
  EXPECT_EQ(md("<table><tr><td>a</td><td>b</td></tr><tr><td>1</td></tr></table>"),
            "| a | b |\n| --- | --- |\n| 1 | |");
}

TEST(HtmlToMarkdownTables, CellsFlattenToOneLine) {
  EXPECT_EQ(md("<table><tr><th>k</th><th>v</th></tr><tr><td><p>two</p><p>paras</p></td>"
               "<td><ul><li>x</li><li>y</li></ul></td></tr></table>"),
            "| k | v |\n| --- | --- |\n| two paras | x y |");
}

TEST(HtmlToMarkdownTables, LayoutTablesAreReadAsBlocks) {
  EXPECT_EQ(md("<table><tr><td><h1>Site</h1><p>Welcome</p></td></tr></table>"),
            "# Site\n\nWelcome");
  EXPECT_EQ(md("<table><tr><td>menu</td><td><table><tr><td>a</td><td>b</td></tr>"
               "<tr><td>1</td><td>2</td></tr></table></td></tr></table>"),
            "menu\n\n| a | b |\n| --- | --- |\n| 1 | 2 |");
}

// ---------------------------------------------------------------- what is kept

TEST(HtmlToMarkdownSelection, MainIsConvertedAlone) {
  EXPECT_EQ(md("<div>chrome</div><main><p>content</p></main><div>more chrome</div>"), "content");
  EXPECT_EQ(md("<div>chrome</div><div role='main'><p>content</p></div>"), "content");
  EXPECT_EQ(md("<article>teaser</article><main><article>one</article><article>two</article>"
               "</main>"),
            "one\n\ntwo");
}

TEST(HtmlToMarkdownSelection, ASingleArticleIsConvertedAlone) {
  EXPECT_EQ(md("<div>chrome</div><article><h1>T</h1><article>comment</article></article>"),
            "# T\n\ncomment");
}

TEST(HtmlToMarkdownSelection, SeveralArticlesKeepTheWholeBody) {
  EXPECT_EQ(md("<p>intro</p><article>one</article><article>two</article>"),
            "intro\n\none\n\ntwo");
}

TEST(HtmlToMarkdownSelection, AnEmptyMainFallsBackToTheBody) {
  EXPECT_EQ(md("<main></main><div>text</div>"), "text");
}

TEST(HtmlToMarkdownSelection, PageChromeIsDropped) {
  EXPECT_EQ(md("<header>site</header><nav>links</nav><aside>related</aside>"
               "<div role='navigation'>r1</div><div role='banner'>r2</div>"
               "<div role='contentinfo'>r3</div><form role='search'>r4</form>"
               "<p hidden>h1</p><p aria-hidden='true'>h2</p><p style='display: none'>h3</p>"
               "<script>s</script><style>p{}</style><noscript>n</noscript>"
               "<template>t</template><svg><text>svg</text></svg><canvas>c</canvas>"
               "<iframe src='x'>i</iframe><button>b</button><select><option>o</select>"
               "<textarea>ta</textarea><input value='v'>"
               "<p>kept</p><footer>site footer</footer>"),
            "kept");
}

TEST(HtmlToMarkdownSelection, TextAtTheEndOfADroppedFormGoesWithIt) {
  EXPECT_EQ(md("<form class='search-menu'>Search the site <input name=q> now</form><p>x</p>"),
            "x");
  EXPECT_EQ(md("<form action='/post'><p>Comment:</p> <label>Name</label></form>"),
            "Comment:\n\nName");
}

TEST(HtmlToMarkdownSelection, ChromeClassesAreMatchedByWholeWords) {
  EXPECT_EQ(md("<div class='navbar'>x1</div><div class='site-nav'>x2</div>"
               "<div id='mainMenu'>x3</div><div class='cookie_notice'>x4</div>"
               "<div class='breadcrumbs'>x5</div><div class='left sidebar'>x6</div>"
               "<div class='ads'>x7</div><div class='advert-box'>x8</div>"
               "<div id='onetrust-consent-sdk'>x9</div><div id='CybotCookiebotDialog'>x10</div>"
               "<div class='cookiebanner'>x11</div>"
               "<div class='canvas-content'>k1</div><div class='navy'>k2</div>"
               "<div class='downloads'>k3</div><div class='ad-free leaderboard'>k4</div>"),
            "k1\n\nk2\n\nk3\n\nk4");
}

TEST(HtmlToMarkdownSelection, AChromeClassNeverHidesThePageItself) {
  EXPECT_EQ(md("<div class='with-sidebar'><h1>Title</h1><p>body</p></div>"),
            "# Title\n\nbody");
}

TEST(HtmlToMarkdownSelection, HeadersAndFootersOfContentSectionsAreKept) {
  EXPECT_EQ(md("<body><header>Site</header><section><header><h2>Part</h2></header><p>x</p>"
               "<footer>Part notes</footer></section><footer>Site footer</footer></body>"),
            "## Part\n\nx\n\nPart notes");
}

TEST(HtmlToMarkdownSelection, ScriptTextThatLooksLikeMarkupStaysInTheScript) {
  EXPECT_EQ(md("<p>a</p><script>var s = '<p>no</p><!-- x';</script><!-- <p>no</p> -->"
               "<style>/* </p> */</style><p>b</p>"),
            "a\n\nb");
}

TEST(HtmlToMarkdownSelection, AnUnclosedElementInsideChromeDoesNotTakeThePageWithIt) {
  // The parser alone would ignore </nav> and </footer> with a <div> open inside them.
  EXPECT_EQ(md("<nav><div><a href='/'>Home</a></nav><main><div><p>The story.</main>"
               "<footer><div>Site footer</footer><p>Tail"),
            "The story.");
  EXPECT_EQ(md("<nav><div>Home</nav><p>The story.</p>"), "The story.");
}

TEST(HtmlToMarkdownBlocks, VoidElementsOfHtml5HoldNothing) {
  EXPECT_EQ(md("<p>long<wbr>word <video><source src=a.mp4></video>after<embed src=x.swf>tail</p>"
               "<ul><li><div>one<li>two</ul>"),
            "longword aftertail\n\n- one\n- two");
}

TEST(HtmlToMarkdownSelection, AnUnclosedSvgEndsWhereHtmlResumes) {
  EXPECT_EQ(md("<p>a<svg><path d='M0'></svg>b</p><svg><g><p>html again</p>"), "ab\n\nhtml again");
}

// ---------------------------------------------------------------- robustness

TEST(HtmlToMarkdownRobustness, ExtremeNestingIsFlattenedNotSlow) {
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "deep text ";
  for (int i = 0; i < 100000; ++i) html += "<span><b>";
  html += "deeper";
  const auto start = std::chrono::steady_clock::now();
  const std::string out = md(html);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(out, "deep text deeper") << out.substr(0, 200);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(HtmlToMarkdownRobustness, MarkupTheParserWouldNestWithoutEndStaysFast) {
  // The parser nests each <tr> in the <form> before it (and an <option> in a <p> in an
  // <option>…), and looks through all that for each end tag it cannot match: quadratic, had
  // the pass before it not closed what browsers close.
  std::string rows = "<table>";
  std::string options;
  for (int i = 0; i < 50000; ++i) {
    rows += "<tr><form>";
    options += "<option><p>";
  }
  for (int i = 0; i < 100000; ++i) {
    rows += "</x>";
    options += "</x>";
  }
  for (const std::string* html : {&rows, &options}) {
    const auto start = std::chrono::steady_clock::now();
    md(*html);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  }
}

TEST(HtmlToMarkdownRobustness, InputsThatAbortedTheOldParserConvert) {
  // Found by fuzzing gumbo 0.10, the parser before libxml2: built with assertions, it aborted
  // the process on CDATA in SVG or MathML inside a table.
  EXPECT_EQ(md("<table><svg><title><!><![CDATA[>]]>l"), "");
  EXPECT_EQ(md("<p>a</p><table><math><mi></body><![CDATA[x]]>y z<desc><p>b</p>"), "a\n\ny z\n\nb");
  EXPECT_EQ(md("<ruby><table><svg><title><![CDATA[<p>]]>&amp;</div><button><dd>t"), "");
}

TEST(HtmlToMarkdownRobustness, APageWithCdataInSvgAndMathmlInATableReadsWhole) {
  // The shape of those inputs in a whole page: the table, and what comes after it, stay.
  const MarkdownPage page = html_to_markdown(
      "<!DOCTYPE html><html><head><title>Quarterly sales</title></head><body><h1>Sales</h1>"
      "<table><tr><th>Quarter</th><th>Units</th></tr>"
      "<tr><td>Q1<svg><title><![CDATA[<p>]]></title></svg></td>"
      "<td>12<math><mi><![CDATA[x]]></mi></math></td></tr>"
      "<tr><td>Q2</td><td>15</td></tr></table><p>After the table.</p></body></html>",
      "https://example.com/");
  EXPECT_EQ(page.title, "Quarterly sales");
  EXPECT_EQ(page.markdown,
            "# Sales\n\n| Quarter | Units |\n| --- | --- |\n| Q1 | 12 |\n| Q2 | 15 |\n\n"
            "After the table.");
}

TEST(HtmlToMarkdownRobustness, PagesConvertOnSeveralThreadsAtOnce) {
  const std::string html = read_page("article.html");
  const std::string expected = expected_page("article");
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::string& result : results) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        result = html_to_markdown(html, "https://news.example.com/world/2024/05/river-cleanup.html")
                     .markdown;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& result : results) EXPECT_EQ(result, expected);
}

TEST(HtmlToMarkdownRobustness, BinaryGarbageDoesNotCrash) {
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage += static_cast<char>((i * 7919) % 256);
  const MarkdownPage page = html_to_markdown(garbage, "https://example.com/");
  SUCCEED() << page.markdown.size();
}

}  // namespace
}  // namespace claudegpt
