// A fetched body as text for the model: which content types are readable, the charset from
// the header, a BOM or the page itself, invalid bytes as U+FFFD, HTML through Markdown, and
// the cap on code points.
#include "web/page_text.h"

#include <string>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

constexpr std::size_t kNoCap = 1'000'000;

PageText read(std::string_view body, std::string_view content_type,
              std::size_t max_chars = kNoCap) {
  return page_text(body, content_type, "https://example.com/dir/page", max_chars);
}

// ---------------------------------------------------------------- charsets

TEST(PageTextCharset, Latin1FromTheHeaderBecomesUtf8) {
  const PageText page = read("caf\xE9 na\xEFve \xA3" "5", "text/plain; charset=ISO-8859-1");
  EXPECT_TRUE(page.readable);
  EXPECT_EQ(page.text, "café naïve £5");
  EXPECT_EQ(page.full_chars, 13u);
}

TEST(PageTextCharset, Latin1IsReadAsWindows1252AsBrowsersDo) {
  // 0x93/0x94 are C1 controls in ISO-8859-1 proper, curly quotes in what servers really send.
  EXPECT_EQ(read("\x93quoted\x94 \x80" "3", "text/plain; charset=iso-8859-1").text,
            "“quoted” €3");
  EXPECT_EQ(read("\x93quoted\x94 \x80" "3", "text/plain;charset=\"windows-1252\"").text,
            "“quoted” €3");
}

TEST(PageTextCharset, TheHeaderCharsetAppliesToHtml) {
  const PageText page =
      read("<title>Caf\xE9</title><p>cr\xE8me br\xFBl\xE9" "e</p>", "text/html; charset=latin1");
  EXPECT_EQ(page.title, "Café");
  EXPECT_EQ(page.text, "crème brûlée");
}

TEST(PageTextCharset, AMetaCharsetIsUsedWhenTheHeaderHasNone) {
  EXPECT_EQ(read("<html><head><meta charset=\"windows-1252\"><title>x</title></head>"
                 "<body><p>\x93Hi\x94</p></body></html>",
                 "text/html")
                .text,
            "“Hi”");
  EXPECT_EQ(read("<!-- <meta charset=utf-8> --><meta http-equiv=\"Content-Type\" "
                 "content=\"text/html; charset=ISO-8859-1\"><p>Gr\xFC\xDF" "e</p>",
                 "text/html")
                .text,
            "Grüße");
}

TEST(PageTextCharset, TheHeaderOutranksTheMeta) {
  EXPECT_EQ(read("<meta charset=\"windows-1252\"><p>caf\xC3\xA9</p>", "text/html; charset=utf-8")
                .text,
            "café");
}

TEST(PageTextCharset, AUtf8BomIsRemoved) {
  const PageText page = read("\xEF\xBB\xBFhello \xE2\x9C\x93", "text/plain");
  EXPECT_EQ(page.text, "hello ✓");
  EXPECT_EQ(page.full_chars, 7u);
}

TEST(PageTextCharset, Utf16LittleEndianWithABom) {
  const std::string body("\xFF\xFE" "h\0i\0 \0\xAC\x20!\0", 12);  // "hi €!"
  const PageText page = read(body, "text/plain");
  EXPECT_TRUE(page.readable);
  EXPECT_EQ(page.text, "hi €!");
}

TEST(PageTextCharset, Utf16HtmlWithABomAndNoContentType) {
  std::string body = "\xFF\xFE";
  for (char c : std::string("<html><title>T</title><p>x</p></html>")) {
    body += c;
    body += '\0';
  }
  const PageText page = read(body, "");
  EXPECT_EQ(page.media_type, "text/html");
  EXPECT_EQ(page.title, "T");
  EXPECT_EQ(page.text, "x");
}

TEST(PageTextCharset, ABomOutranksTheHeader) {
  EXPECT_EQ(read(std::string("\xFF\xFE" "o\0k\0", 6), "text/plain; charset=utf-8").text, "ok");
}

TEST(PageTextCharset, InvalidUtf8BytesBecomeReplacementCharacters) {
  // A stray continuation byte, a truncated 3-byte sequence, an overlong '/', a surrogate.
  const PageText page = read("a\x80" "b\xE2\x82" "c\xC0\xAF" "d\xED\xA0\x80" "e \xC3\xA9",
                             "text/plain; charset=utf-8");
  EXPECT_EQ(page.text, "a\uFFFDb\uFFFDc\uFFFD\uFFFDd\uFFFD\uFFFD\uFFFDe é");
}

TEST(PageTextCharset, InvalidBytesInALabelledCharsetBecomeReplacementCharacters) {
  // 0x81 is unassigned in windows-1252; a lone lead byte ends this Shift_JIS text.
  EXPECT_EQ(read("a\x81" "b", "text/plain; charset=windows-1252").text, "a\uFFFDb");
  EXPECT_EQ(read("\x82\xA0\x82", "text/plain; charset=shift_jis").text, "あ\uFFFD");
}

TEST(PageTextCharset, UndeclaredTextThatCannotBeUtf8IsReadAsWindows1252) {
  EXPECT_EQ(read("caf\xE9", "text/plain").text, "café");
  // One real UTF-8 sequence means UTF-8: the stray byte is an error, not a hint.
  EXPECT_EQ(read("caf\xC3\xA9 \xE9", "text/plain").text, "café \uFFFD");
}

TEST(PageTextCharset, AnUnknownCharsetFallsBackToUtf8) {
  EXPECT_EQ(read("caf\xC3\xA9", "text/plain; charset=x-made-up").text, "café");
}

// ---------------------------------------------------------------- content types

TEST(PageTextTypes, JsonAndPlainTextPassThroughUnchanged) {
  const std::string json = "{\"a\": [1, 2], \"html\": \"<p>x</p>\"}\n";
  PageText page = read(json, "application/json; charset=utf-8");
  EXPECT_TRUE(page.readable);
  EXPECT_EQ(page.media_type, "application/json");
  EXPECT_EQ(page.text, json);
  EXPECT_EQ(page.title, "");

  page = read("  <b>not html</b>\r\n  indented\n", "text/plain");
  EXPECT_EQ(page.text, "  <b>not html</b>\r\n  indented\n");
  EXPECT_EQ(read("x", "application/ld+json").media_type, "application/ld+json");
  EXPECT_TRUE(read("x", "application/ld+json").readable);
  EXPECT_TRUE(read("x", "application/javascript").readable);
  EXPECT_TRUE(read("x", "text/csv").readable);
  EXPECT_TRUE(read("<a/>", "application/atom+xml").readable);
}

TEST(PageTextTypes, ImagesAndPdfsAreNotReadable) {
  PageText page = read("\x89PNG\r\n\x1A\n....", "image/png");
  EXPECT_FALSE(page.readable);
  EXPECT_EQ(page.reason, "unsupported content type image/png");
  EXPECT_EQ(page.media_type, "image/png");
  EXPECT_EQ(page.text, "");

  page = read("%PDF-1.7 ...", "Application/PDF");
  EXPECT_FALSE(page.readable);
  EXPECT_EQ(page.reason, "unsupported content type application/pdf");

  EXPECT_FALSE(read("<svg/>", "image/svg+xml").readable);
  EXPECT_FALSE(read("PK\x03\x04", "application/zip").readable);
}

TEST(PageTextTypes, XhtmlIsConvertedLikeHtml) {
  const PageText page = read("<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"
                             "<body><h1>Hi</h1></body></html>",
                             "application/xhtml+xml");
  EXPECT_EQ(page.text, "# Hi");
}

TEST(PageTextTypes, HtmlIsConvertedWithItsTitleAndAbsoluteLinks) {
  const PageText page = read("<html><head><title>  The\n Title </title></head><body>"
                             "<nav>menu</nav><h1>Heading</h1><p><a href='../x'>link</a></p>"
                             "</body></html>",
                             "text/html; charset=UTF-8");
  EXPECT_TRUE(page.readable);
  EXPECT_EQ(page.media_type, "text/html");
  EXPECT_EQ(page.title, "The Title");
  EXPECT_EQ(page.text, "# Heading\n\n[link](https://example.com/x)");
}

TEST(PageTextTypes, AMissingContentTypeIsSniffedAsHtml) {
  const PageText page = read("\n  <!DOCTYPE html><title>Sniffed</title><p>body</p>", "");
  EXPECT_TRUE(page.readable);
  EXPECT_EQ(page.media_type, "text/html");
  EXPECT_EQ(page.title, "Sniffed");
  EXPECT_EQ(page.text, "body");
  EXPECT_EQ(read("<div>x</div>", "").media_type, "text/html");
}

TEST(PageTextTypes, AMissingContentTypeIsSniffedAsText) {
  const PageText page = read("just words, <not a tag>", "");
  EXPECT_TRUE(page.readable);
  EXPECT_EQ(page.media_type, "text/plain");
  EXPECT_EQ(page.text, "just words, <not a tag>");
}

TEST(PageTextTypes, AMissingContentTypeWithBinaryBytesIsNotReadable) {
  const PageText page = read(std::string("\x01\x02\0\0binary\0data", 15), "");
  EXPECT_FALSE(page.readable);
  EXPECT_EQ(page.media_type, "application/octet-stream");
  EXPECT_EQ(page.reason, "unsupported content type application/octet-stream");
}

TEST(PageTextTypes, AMissingContentTypeRecognisesKnownFormats) {
  const PageText page = read("%PDF-1.4\n%\xE2\xE3\xCF\xD3", "");
  EXPECT_FALSE(page.readable);
  EXPECT_EQ(page.reason, "unsupported content type application/pdf");
  EXPECT_EQ(read("\x89PNG\r\n\x1A\n", "").media_type, "image/png");
}

TEST(PageTextTypes, OctetStreamIsSniffedToo) {
  EXPECT_TRUE(read("# README\n\nplain text", "application/octet-stream").readable);
  EXPECT_EQ(read("# README", "application/octet-stream").media_type, "text/plain");
  EXPECT_FALSE(read(std::string("\0\0\0", 3), "application/octet-stream").readable);
}

// ---------------------------------------------------------------- the cap

TEST(PageTextCap, TextIsCutAtMaxCharsCodePoints) {
  const PageText page = read("abcdefghij", "text/plain", 4);
  EXPECT_EQ(page.text, "abcd");
  EXPECT_EQ(page.full_chars, 10u);
  EXPECT_TRUE(page.truncated);
}

TEST(PageTextCap, MultiByteCharactersAreNeverSplit) {
  const std::string text = "é€😀日本語";  // 2, 3, 4, 3, 3, 3 bytes
  for (std::size_t cap = 0; cap <= 6; ++cap) {
    const PageText page = read(text, "text/plain; charset=utf-8", cap);
    EXPECT_EQ(page.full_chars, 6u);
    EXPECT_EQ(page.truncated, cap < 6) << cap;
    const std::size_t bytes[] = {0, 2, 5, 9, 12, 15, 18};
    EXPECT_EQ(page.text, text.substr(0, bytes[cap])) << cap;
  }
}

TEST(PageTextCap, TheCapAppliesToTheMarkdown) {
  const PageText page = read("<p>" + std::string(100, 'x') + "</p>", "text/html", 10);
  EXPECT_EQ(page.text, std::string(10, 'x'));
  EXPECT_EQ(page.full_chars, 100u);
  EXPECT_TRUE(page.truncated);
}

TEST(PageTextCap, ShortTextIsNotTruncated) {
  const PageText page = read("héllo", "text/plain", 5);
  EXPECT_EQ(page.text, "héllo");
  EXPECT_EQ(page.full_chars, 5u);
  EXPECT_FALSE(page.truncated);
}

TEST(PageTextCap, AnEmptyBodyIsReadableAndEmpty) {
  const PageText page = read("", "text/html");
  EXPECT_TRUE(page.readable);
  EXPECT_EQ(page.text, "");
  EXPECT_EQ(page.full_chars, 0u);
  EXPECT_FALSE(page.truncated);
}

}  // namespace
}  // namespace claudegpt
