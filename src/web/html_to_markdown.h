// HTML → compact Markdown, for a model to read a fetched page at a fraction of its tokens.
//
// Parsed with gumbo (an HTML5 parser: real-world markup, broken or not, parses the way a
// browser would). Kept: headings, paragraphs, links (made absolute against the page's URL),
// emphasis, lists (nested), blockquotes, code (inline and fenced blocks, with the language
// when the markup names it), tables (as pipe tables), images' alt text. Dropped: scripts,
// styles, templates, forms, iframes, SVG, and navigation chrome (nav, header/footer of the
// page, aside, elements whose role or class says navigation/menu/cookie banner). When the page
// has a <main> or a single <article>, only that is converted. Whitespace is collapsed the
// way a browser renders it; no more than one blank line in a row.
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

struct MarkdownPage {
  std::string title;     // <title>, whitespace collapsed; may be empty
  std::string markdown;
};

// `base_url` resolves relative links and image sources; empty leaves them as written.
MarkdownPage html_to_markdown(std::string_view html, std::string_view base_url = {});

}  // namespace claudegpt
