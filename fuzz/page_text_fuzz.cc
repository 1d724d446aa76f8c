// Fetched pages, hostile: page_text (charset sniffing and decoding, HTML → Markdown, the cap)
// under the content types a server may claim, and html_to_markdown itself.
//
// Properties: the text is well-formed UTF-8 and at most max_chars code points, `truncated`
// says whether it was cut, and the Markdown keeps html_to_markdown.h's promises (outside code
// blocks: no line ends in a space, no two blank lines in a row).
//
// Input: the response body. The content types, URL and cap are chosen from its hash.
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "web/html_to_markdown.h"
#include "web/page_text.h"
#include "text/utf8.h"  // count_code_points

namespace claudegpt {
namespace {


// Outside code blocks (whose text is kept as it was): no line ends in a space, and no two
// blank lines follow each other. Where code blocks are cannot be told for sure from the
// Markdown alone (text that holds ``` is not escaped, and looks like a fence), so the lines are
// checked up to the first one holding ```, before which there is no code block.
void check_markdown(std::string_view markdown) {
  FUZZ_CHECK(fuzz::is_well_formed_utf8(markdown), "Markdown that is not UTF-8");
  bool blank_before = false;
  while (!markdown.empty()) {
    const std::size_t end = markdown.find('\n');
    const std::string_view line = markdown.substr(0, end);
    markdown = end == std::string_view::npos ? std::string_view() : markdown.substr(end + 1);
    if (line.find("```") != std::string_view::npos) return;
    FUZZ_CHECK(line.empty() || line.back() != ' ', "a line ends in a space");
    FUZZ_CHECK(!(line.empty() && blank_before), "two blank lines in a row");
    blank_before = line.empty();
  }
}

void check_page(const PageText& page, std::size_t max_chars) {
  if (!page.readable) {
    FUZZ_CHECK(!page.reason.empty(), "unreadable without a reason");
    return;
  }
  FUZZ_CHECK(fuzz::is_well_formed_utf8(page.text), "page text that is not UTF-8");
  FUZZ_CHECK(fuzz::is_well_formed_utf8(page.title), "a title that is not UTF-8");
  const std::size_t chars = count_code_points(page.text);
  FUZZ_CHECK(chars <= max_chars, "more than max_chars code points");
  FUZZ_CHECK(page.truncated == (page.full_chars > max_chars), "truncated says otherwise");
  FUZZ_CHECK(page.truncated || chars == page.full_chars, "full_chars miscounted");
  if (page.media_type == "text/html" && !page.truncated) check_markdown(page.text);
}

}  // namespace
}  // namespace claudegpt

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  static const char* const kHtmlTypes[] = {
      "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1252",
      "text/html; charset=\"Shift_JIS\"", "text/html; charset=gb2312", "application/xhtml+xml",
      "", "application/octet-stream"};
  static const char* const kOtherTypes[] = {
      "text/plain", "text/plain; charset=utf-16le", "text/plain; charset=iso-2022-jp",
      "text/plain; charset=bogus", "application/json", "application/ld+json; charset=latin1",
      "text/markdown", "image/png", ""};
  static const char* const kUrls[] = {"https://example.com/docs/page.html",
                                      "http://[::1]:8080/a/b?c=d#e", "", "not a url"};
  static const std::size_t kCaps[] = {100000, 100000, 2000, 37, 1, 0};

  const std::string_view body = fuzz::as_text(data, size);
  fuzz::Choices choices(fuzz::input_hash(body));
  const char* url = choices.pick(kUrls);
  const std::size_t cap = choices.pick(kCaps);

  check_page(page_text(body, choices.pick(kHtmlTypes), url, cap), cap);
  check_page(page_text(body, choices.pick(kOtherTypes), url, cap), cap);
  if (choices.below(4) == 0 && fuzz::is_well_formed_utf8(body)) {  // html_to_markdown takes UTF-8
    const MarkdownPage page = html_to_markdown(body, url);
    check_markdown(page.markdown);
    FUZZ_CHECK(fuzz::is_well_formed_utf8(page.title), "a title that is not UTF-8");
  }
  return 0;
}
