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

// `content_type` is the response's Content-Type header. When it is empty or says nothing
// (application/octet-stream) the body is sniffed: known binary signatures (PDF, PNG, ZIP…)
// and control bytes make it unreadable, markup makes it HTML, anything else is text/plain.
// The charset is a BOM's if there is one (as in browsers, it outranks every label), else the
// header's, else an HTML <meta charset> or <meta http-equiv> (or an XML declaration's), else
// UTF-8 — or windows-1252 when the bytes are not UTF-8 and hold no UTF-8 sequence at all.
// Labels are read as the WHATWG Encoding Standard reads them (ISO-8859-1 and ASCII as
// windows-1252, GB2312 as GB18030, Shift_JIS as windows-31j); decoding is glibc iconv's.
// Bytes that are invalid in the charset become U+FFFD. Text types (text/*, JSON, XML,
// JavaScript, YAML…) are read as they are; HTML (and XHTML) goes through html_to_markdown
// with `url` as base. image/*, audio/*, video/*, fonts, PDF, archives… are not readable.
PageText page_text(std::string_view body, std::string_view content_type, std::string_view url,
                   std::size_t max_chars);

}  // namespace claudegpt
