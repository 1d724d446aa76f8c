// A fetched body as text a model can read: decoded to UTF-8, HTML turned into Markdown,
// capped at a number of characters. Pure: bytes and headers in, text out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claudegpt {

struct PageText {
  bool readable = false;      // false: a content type the model cannot read (image, PDF, zip…)
  std::string reason;         // why not readable, e.g. "unsupported content type image/png"
  std::string media_type;     // lower-case, without parameters ("text/html")
  std::string title;          // the HTML title, if any
  std::string text;           // UTF-8; Markdown for HTML; at most max_chars code points
  std::size_t full_chars = 0; // code points before the cap
  bool truncated = false;     // text was cut at max_chars
};

// `content_type` is the response's Content-Type header (may be empty: sniffed from the body).
// The charset comes from it, else from a BOM or an HTML <meta charset>, else UTF-8; bytes
// that are invalid in that charset become U+FFFD. Text types (text/*, JSON, XML, JavaScript)
// are read as they are; HTML (and XHTML) goes through html_to_markdown with `url` as base.
PageText page_text(std::string_view body, std::string_view content_type, std::string_view url,
                   std::size_t max_chars);

}  // namespace claudegpt
