// HTML → compact Markdown, for a model to read a fetched page at a fraction of its tokens.
//
// Parsed with libxml2's HTML parser, which recovers from any markup and reports errors instead
// of asserting, after a fast pass (web/markup_prune.h) that cuts what is never shown and
// evens out where that parser, an HTML 4 one, would read the page otherwise than a browser
// (character references, implied end tags, misnested formatting, SVG, HTML5's void
// elements). What remains different is mostly how formatting reaches across blocks. Kept:
// headings, paragraphs, links (made absolute against the page's URL), emphasis, lists
// (nested, tight), blockquotes, code (inline and fenced blocks, with the language when the
// markup names it), tables (as pipe tables; tables used for layout are read as blocks),
// definition lists, images that have alt text. Dropped: scripts, styles, templates, forms'
// controls, iframes, SVG, hidden elements, and navigation chrome (nav, the page's header and
// footer, aside, elements whose role or class says navigation/menu/cookie banner, see
// web/page_chrome.h). Links to javascript: keep their text only, and so do in-page links in
// headings and footnote marks ("[1]"). When the page has a <main> or a single <article>, only
// that is converted. Whitespace is collapsed the way a browser renders it, except in code
// blocks; no line ends in spaces; no more than one blank line in a row. A page with nothing
// else to say gives the text of its <noscript> ("You need to enable JavaScript…").
//
// Never fails and never aborts: a page the parser cannot read gives an empty title and
// Markdown. Safe to call from several threads at once. About 25 ms per MB of page (Release,
// one core).
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

struct MarkdownPage {
  std::string title;     // <title>, whitespace collapsed; may be empty
  std::string markdown;
};

// `html` is UTF-8 (ill-formed sequences read as U+FFFD, a <meta charset> is ignored).
// `base_url` resolves relative links and image sources (a <base href> in the page applies on
// top of it); empty leaves them as written.
MarkdownPage html_to_markdown(std::string_view html, std::string_view base_url = {});

}  // namespace claudegpt
