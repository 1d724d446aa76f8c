// Character references in HTML text ("&amp;", "&#x2014;", "&copy"), rewritten so that
// libxml2's HTML parser reads them as a browser does. That parser follows HTML 4: it decodes
// a named reference only with its ';' and only from HTML 4's list, drops a numeric one it
// finds out of range, and takes "&#" without digits as a reference. Browsers follow WHATWG
// HTML (§13.2.5.72, "character reference state"), so the pass before the parser
// (web/markup_prune.h) rewrites, in text:
// - a numeric reference to NUL, a surrogate or past U+10FFFF as U+FFFD, and one in 0x80–0x9F
//   as the windows-1252 character it names ("&#150;" is "–");
// - "&#" or "&#x" without digits as text ("&amp;#");
// - the 106 legacy names browsers read without ';' ("&copy 2024", "&notit;" → "¬it;", and
//   "&AMP" or "&COPY;") as the HTML 4 reference with its ';'.
// Everything else stays for the parser, which reads it the same as a browser, except names
// only HTML5 added ("&check;"), which stay as written. In attribute values the parser reads
// references with their ';', as browsers do for the legacy names followed by '=' or a letter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claudegpt {

// `text[amp]` is '&'. If what starts there reads otherwise to the parser than to a browser,
// appends what it should read to `out` and returns the index just past the reference;
// otherwise appends nothing and returns `amp`.
std::size_t rewrite_character_reference(std::string_view text, std::size_t amp,
                                        std::string& out);

}  // namespace claudegpt
