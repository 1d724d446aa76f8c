#include "web/html_to_markdown.h"

#include <gumbo.h>

#include <csetjmp>
#include <csignal>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "web/ascii.h"
#include "web/markup_prune.h"
#include "web/page_chrome.h"
#include "web/url_resolve.h"
#include "text/utf8.h"

namespace claudegpt {
namespace {

// ================================================================ small text helpers

// Runs of whitespace (and no-break spaces, which only matter for layout) become one space.
std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_ascii_space(s[i])) {
      space = true;
    } else if (s[i] == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
      space = true;
      ++i;
    } else {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += s[i];
    }
  }
  return out;
}

// ================================================================ URLs

// A URL attribute's value as browsers read it: trimmed, without tabs and line breaks anywhere
// (the WHATWG URL parser drops them), so none can end up in the Markdown.
std::string url_attribute(std::string_view value) {
  std::string cleaned;
  for (char c : trim(value)) {
    if (c != '\t' && c != '\n' && c != '\r') cleaned += c;
  }
  return cleaned;
}

// A URL as a Markdown link destination: no spaces, no unbalanced parentheses.
std::string markdown_url(std::string_view url) {
  if (url.find_first_of(" <>()") == std::string_view::npos) return std::string(url);
  int depth = 0;
  bool balanced = true;
  for (char c : url) {
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) balanced = false;
  }
  balanced = balanced && depth == 0;
  std::string out;
  out.reserve(url.size());
  for (char c : url) {
    if (c == ' ') {
      out += "%20";
    } else if (c == '<') {
      out += "%3C";
    } else if (c == '>') {
      out += "%3E";
    } else if (!balanced && c == '(') {
      out += "%28";
    } else if (!balanced && c == ')') {
      out += "%29";
    } else {
      out += c;
    }
  }
  return out;
}

// ================================================================ Markdown writer
//
// Writes Markdown with everything pending until content arrives: the break before a block,
// the collapsed space between words, the line prefix of lists and quotes, a heading's "## ",
// and the opening of emphasis or links. So empty elements leave nothing behind, "<b> x </b>"
// gives " **x** ", and no line ends in spaces.

enum class Gap { kNone = 0, kLine = 1, kBlank = 2 };

class MarkdownWriter {
 public:
  // A writer for one table cell: everything on one line.
  explicit MarkdownWriter(bool single_line) : single_line_(single_line) {}

  // In a table cell or a heading, blocks and line breaks collapse to spaces.
  bool inline_only() const { return single_line_ || flat_ > 0; }
  void begin_flat() { ++flat_; }
  void end_flat() { --flat_; }

  // Text as in an HTML text node: whitespace collapses.
  void text(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      if (is_ascii_space(s[i])) {
        pending_space_ = true;
        ++i;
        continue;
      }
      if (s[i] == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
        pending_space_ = true;
        i += 2;
        continue;
      }
      std::size_t j = i + 1;
      while (j < s.size() && !is_ascii_space(s[j]) &&
             !(s[j] == '\xC2' && j + 1 < s.size() && s[j + 1] == '\xA0')) {
        ++j;
      }
      begin_content();
      out_.append(s.substr(i, j - i));
      i = j;
    }
  }

  // A piece written as it is, e.g. a code span or an image.
  void atom(std::string_view s) {
    if (s.empty()) return;
    begin_content();
    out_.append(s);
  }

  void space() { pending_space_ = true; }

  // A block boundary. Breaks within one request merge: the larger wins.
  void request(Gap gap) {
    if (inline_only()) {
      pending_space_ = true;
      return;
    }
    if (pending_firsts_ > 0) return;  // a list item's first block goes on its marker's line
    close_marks();
    if (gap_ == Gap::kNone) gap_depth_ = prefixes_.size();
    gap_depth_ = std::min(gap_depth_, prefixes_.size());
    gap_ = std::max(gap_, gap);
    pending_space_ = false;
  }

  // A pending blank line becomes a line break.
  void tighten() {
    if (gap_ == Gap::kBlank) gap_ = Gap::kLine;
  }

  // <br>: a new line; two in a row, a blank line.
  void line_break() {
    if (inline_only()) {
      pending_space_ = true;
    } else if (gap_ == Gap::kLine) {
      gap_ = Gap::kBlank;
    } else if (gap_ == Gap::kNone && !at_start_) {
      request(Gap::kLine);
    }
  }

  // A whole line written verbatim after the current prefix (code blocks, table rows).
  void raw_line(std::string_view line) {
    if (!at_start_) {
      out_ += '\n';
      if (gap_ == Gap::kBlank) blank_line();
    }
    const std::size_t before = out_.size();
    write_prefix();
    if (line.empty()) {
      while (out_.size() > before && out_.back() == ' ') out_.pop_back();
    }
    out_.append(line);
    at_start_ = false;
    gap_ = Gap::kNone;
    pending_space_ = false;
  }

  // Written once before the next content, after the line prefix ("## ").
  void set_lead(std::string lead) { lead_ = std::move(lead); }

  // A line prefix for the lines of a block: `first` on its first line, `rest` after.
  void push_prefix(std::string first, std::string rest) {
    const bool pending = first != rest;
    prefixes_.push_back({std::move(first), std::move(rest), pending});
    if (pending) ++pending_firsts_;
  }
  void pop_prefix() {
    if (prefixes_.back().first_pending) --pending_firsts_;
    prefixes_.pop_back();
  }

  // Inline markup around content: written only if content follows, closed at block breaks
  // (and reopened after them unless `reopen` is false).
  void open_mark(std::string open, std::string close, bool reopen, std::string url = {}) {
    marks_.push_back({std::move(open), std::move(close), std::move(url), reopen});
  }
  void close_mark() {
    Mark mark = std::move(marks_.back());
    marks_.pop_back();
    if (!mark.emitted) return;
    // A link whose text is its own address reads better as <address>.
    if (!mark.url.empty() && out_.size() - mark.position - 1 == mark.url.size() &&
        out_.compare(mark.position + 1, std::string::npos, mark.url) == 0) {
      out_[mark.position] = '<';
      out_ += '>';
      return;
    }
    out_.append(mark.close);
  }

  std::string finish() {
    while (!out_.empty() && is_ascii_space(out_.back())) out_.pop_back();
    return std::move(out_);
  }

 private:
  struct LinePrefix {
    std::string first;
    std::string rest;
    bool first_pending;
  };
  struct Mark {
    std::string open;
    std::string close;
    std::string url;  // links: for the <address> form
    bool reopen = true;
    bool emitted = false;
    bool dead = false;
    std::size_t position = 0;
  };

  void begin_content() {
    if (single_line_) {
      if (pending_space_ && !out_.empty()) out_ += ' ';
    } else if (at_start_) {
      write_prefix();
      out_.append(lead_);
      lead_.clear();
    } else if (gap_ != Gap::kNone) {
      out_ += '\n';
      if (gap_ == Gap::kBlank) blank_line();
      write_prefix();
      out_.append(lead_);
      lead_.clear();
    } else if (pending_space_) {
      out_ += ' ';
    }
    at_start_ = false;
    gap_ = Gap::kNone;
    pending_space_ = false;
    for (Mark& mark : marks_) {
      if (mark.emitted || mark.dead) continue;
      mark.position = out_.size();
      out_.append(mark.open);
      mark.emitted = true;
    }
  }

  void close_marks() {
    for (auto it = marks_.rbegin(); it != marks_.rend(); ++it) {
      if (!it->emitted) continue;
      out_.append(it->close);
      it->emitted = false;
      it->dead = !it->reopen;
    }
  }

  void write_prefix() {
    for (LinePrefix& p : prefixes_) {
      if (p.first_pending) {
        out_.append(p.first);
        p.first_pending = false;
        --pending_firsts_;
      } else {
        out_.append(p.rest);
      }
    }
  }

  // The empty line between blocks, carrying the prefixes the two blocks share (">").
  void blank_line() {
    const std::size_t before = out_.size();
    const std::size_t depth = std::min(gap_depth_, prefixes_.size());
    for (std::size_t i = 0; i < depth; ++i) out_.append(prefixes_[i].rest);
    while (out_.size() > before && out_.back() == ' ') out_.pop_back();
    out_ += '\n';
  }

  std::string out_;
  bool single_line_;
  int flat_ = 0;
  bool at_start_ = true;
  bool pending_space_ = false;
  Gap gap_ = Gap::kNone;
  std::size_t gap_depth_ = 0;
  std::string lead_;
  std::vector<LinePrefix> prefixes_;
  int pending_firsts_ = 0;
  std::vector<Mark> marks_;
};

// ================================================================ the DOM, read

constexpr int kMaxDepth = 1024;  // the parse tree's depth, after pruning; a guard only

std::string_view attribute(const GumboElement& element, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&element.attributes, name);
  return a ? std::string_view(a->value) : std::string_view{};
}

bool has_attribute(const GumboElement& element, const char* name) {
  return gumbo_get_attribute(&element.attributes, name) != nullptr;
}

bool is_element(const GumboNode* node, GumboTag tag) {
  return node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == tag;
}

// The tag name of an element gumbo does not know (custom elements, <dialog>, <picture>).
std::string unknown_tag_name(const GumboElement& element) {
  GumboStringPiece piece = element.original_tag;
  gumbo_tag_from_original_text(&piece);
  std::string name(piece.data ? piece.data : "", piece.data ? piece.length : 0);
  for (char& c : name) c = ascii_lower(c);
  return name;
}

// The page's own content: never dropped for a class name, however chrome-like.
bool holds_content(const GumboNode* node) {
  if (node->type != GUMBO_NODE_ELEMENT) return false;
  const GumboTag tag = node->v.element.tag;
  if (tag == GUMBO_TAG_MAIN || tag == GUMBO_TAG_ARTICLE || tag == GUMBO_TAG_H1) return true;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    if (holds_content(static_cast<const GumboNode*>(children.data[i]))) return true;
  }
  return false;
}

bool is_hidden(const GumboElement& element) {
  if (has_attribute(element, "hidden")) return true;
  if (equals_ci(trim(attribute(element, "aria-hidden")), "true")) return true;
  const std::string_view style = attribute(element, "style");
  if (!style.empty()) {
    std::string compact;
    for (char c : style) {
      if (!is_ascii_space(c)) compact += ascii_lower(c);
    }
    if (compact.find("display:none") != std::string::npos ||
        compact.find("visibility:hidden") != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool has_chrome_role(const GumboElement& element) {
  const std::string_view role = trim(attribute(element, "role"));
  for (std::string_view r : {"navigation", "banner", "contentinfo", "search", "complementary",
                             "menu", "menubar"}) {
    if (equals_ci(role, r)) return true;
  }
  return false;
}

bool is_main(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT &&
         (node->v.element.tag == GUMBO_TAG_MAIN ||
          equals_ci(trim(attribute(node->v.element, "role")), "main"));
}

// <header> and <footer> are page chrome unless they belong to a section of content.
bool is_page_level(const GumboNode* node) {
  for (const GumboNode* p = node->parent; p; p = p->parent) {
    if (p->type != GUMBO_NODE_ELEMENT) continue;
    if (is_main(p)) return false;
    switch (p->v.element.tag) {
      case GUMBO_TAG_ARTICLE:
      case GUMBO_TAG_ASIDE:
      case GUMBO_TAG_MAIN:
      case GUMBO_TAG_NAV:
      case GUMBO_TAG_SECTION:
        return false;
      default:
        break;
    }
  }
  return true;
}

// Depth-first search, not entering hidden elements or what is never content.
const GumboNode* find_first(const GumboNode* node, bool (*match)(const GumboNode*)) {
  if (node->type != GUMBO_NODE_ELEMENT) return nullptr;
  const GumboElement& e = node->v.element;
  if (e.tag == GUMBO_TAG_SCRIPT || e.tag == GUMBO_TAG_TEMPLATE || e.tag == GUMBO_TAG_SVG ||
      is_hidden(e)) {
    return nullptr;
  }
  if (match(node)) return node;
  for (unsigned i = 0; i < e.children.length; ++i) {
    if (const GumboNode* found = find_first(static_cast<const GumboNode*>(e.children.data[i]),
                                            match)) {
      return found;
    }
  }
  return nullptr;
}

// Outermost <article> elements, up to two (all we need to know is whether there is one).
void find_articles(const GumboNode* node, std::vector<const GumboNode*>& found) {
  if (node->type != GUMBO_NODE_ELEMENT || found.size() > 1) return;
  const GumboElement& e = node->v.element;
  if (e.tag == GUMBO_TAG_ARTICLE) {
    found.push_back(node);
    return;
  }
  if (e.tag == GUMBO_TAG_NAV || e.tag == GUMBO_TAG_ASIDE || e.tag == GUMBO_TAG_TEMPLATE ||
      is_hidden(e)) {
    return;
  }
  for (unsigned i = 0; i < e.children.length; ++i) {
    find_articles(static_cast<const GumboNode*>(e.children.data[i]), found);
  }
}

const GumboNode* child_element(const GumboNode* node, GumboTag tag) {
  if (node->type != GUMBO_NODE_ELEMENT) return nullptr;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(children.data[i]);
    if (is_element(child, tag)) return child;
  }
  return nullptr;
}

bool is_text(const GumboNode* node) {
  return node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
         node->type == GUMBO_NODE_CDATA;
}

// All the text under `node`, as written (stashed runs put back).
void append_text(const GumboNode* node, const PrunedMarkup& pruned, std::string& out) {
  if (is_text(node)) {
    unstash_text(node->v.text.text, pruned, out);
  } else if (node->type == GUMBO_NODE_ELEMENT) {
    const GumboElement& e = node->v.element;
    if (e.tag == GUMBO_TAG_SCRIPT || e.tag == GUMBO_TAG_STYLE) return;
    for (unsigned i = 0; i < e.children.length; ++i) {
      append_text(static_cast<const GumboNode*>(e.children.data[i]), pruned, out);
    }
  }
}

// Class names that are a language on their own: rustdoc's <pre class="rust">, Pandoc's
// <pre class="sourceCode python">, older highlight.js's <code class="hljs go">.
bool is_language_name(std::string_view token) {
  static constexpr std::string_view kNames[] = {
      "bash",   "c",      "clojure", "cpp",        "csharp", "css",    "dart",   "diff",
      "elixir", "erlang", "go",      "graphql",    "haskell", "html",  "ini",    "java",
      "javascript", "js", "json",    "julia",      "kotlin", "lua",    "makefile", "perl",
      "php",    "powershell", "python", "ruby",    "rust",   "scala",  "scss",   "sh",
      "shell",  "sql",    "swift",   "toml",       "ts",     "typescript", "xml", "yaml"};
  return std::find(std::begin(kNames), std::end(kNames), token) != std::end(kNames);
}

// The language of a code block, from the attributes highlighters and Markdown renderers use.
// Bare language names count only on the <pre> and <code> themselves, not on wrappers.
std::string code_language(const GumboNode* node, bool bare_names) {
  if (!node || node->type != GUMBO_NODE_ELEMENT) return {};
  const GumboElement& e = node->v.element;
  for (const char* name : {"data-lang", "data-language"}) {
    const std::string_view value = trim(attribute(e, name));
    if (!value.empty()) return std::string(value);
  }
  const std::string_view classes = attribute(e, "class");
  std::string_view bare;
  std::size_t i = 0;
  while (i < classes.size()) {
    while (i < classes.size() && is_ascii_space(classes[i])) ++i;
    std::size_t j = i;
    while (j < classes.size() && !is_ascii_space(classes[j])) ++j;
    const std::string_view token = classes.substr(i, j - i);
    // GitHub: highlight-source-x; Sphinx: highlight-x (with "default" and "none" for none).
    for (std::string_view prefix : {"language-", "lang-", "highlight-source-", "highlight-"}) {
      if (token.size() > prefix.size() && token.starts_with(prefix)) {
        std::string lang;
        for (char c : token.substr(prefix.size())) {
          if (is_ascii_alnum(c) || c == '+' || c == '#' || c == '-' || c == '_' || c == '.') {
            lang += c;
          }
        }
        if (lang == "default" || lang == "none") lang.clear();
        if (!lang.empty()) return lang;
        break;
      }
    }
    if (bare_names && bare.empty() && is_language_name(token)) bare = token;
    i = j;
  }
  return std::string(bare);
}

// A code span whose fence is longer than any run of backticks inside it.
std::string code_span(std::string_view code) {
  std::size_t longest = 0, run = 0;
  for (char c : code) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  const bool pad = code.front() == '`' || code.back() == '`';
  std::string out = fence;
  if (pad) out += ' ';
  out.append(code);
  if (pad) out += ' ';
  out += fence;
  return out;
}

// ================================================================ the converter

class Converter {
 public:
  Converter(std::string base, const PrunedMarkup& pruned)
      : base_(std::move(base)), pruned_(pruned) {}

  void allow_noscript() { allow_noscript_ = true; }

  std::string convert(const GumboNode* root) {
    MarkdownWriter w(false);
    if (root->type == GUMBO_NODE_ELEMENT) children(root->v.element, w, 0);
    return w.finish();
  }

 private:
  struct List {
    bool ordered;
    long next;
    int items = 0;
  };

  void node(const GumboNode* n, MarkdownWriter& w, int depth) {
    switch (n->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        if (has_stashed_text(n->v.text.text)) {
          scratch_.clear();
          unstash_text(n->v.text.text, pruned_, scratch_);
          w.text(scratch_);
        } else {
          w.text(n->v.text.text);
        }
        break;
      case GUMBO_NODE_ELEMENT:
        if (depth < kMaxDepth) element(n, w, depth + 1);
        break;
      default:  // comments, templates
        break;
    }
  }

  void children(const GumboElement& e, MarkdownWriter& w, int depth) {
    for (unsigned i = 0; i < e.children.length; ++i) {
      node(static_cast<const GumboNode*>(e.children.data[i]), w, depth);
    }
  }

  bool dropped(const GumboNode* n) const {
    const GumboElement& e = n->v.element;
    switch (e.tag) {
      case GUMBO_TAG_SCRIPT:
      case GUMBO_TAG_STYLE:
      case GUMBO_TAG_TEMPLATE:
      case GUMBO_TAG_SVG:
      case GUMBO_TAG_CANVAS:
      case GUMBO_TAG_IFRAME:
      case GUMBO_TAG_OBJECT:
      case GUMBO_TAG_EMBED:
      case GUMBO_TAG_APPLET:
      case GUMBO_TAG_VIDEO:
      case GUMBO_TAG_AUDIO:
      case GUMBO_TAG_MAP:
      case GUMBO_TAG_INPUT:
      case GUMBO_TAG_SELECT:
      case GUMBO_TAG_BUTTON:
      case GUMBO_TAG_TEXTAREA:
      case GUMBO_TAG_DATALIST:
      case GUMBO_TAG_KEYGEN:
      case GUMBO_TAG_OUTPUT:
      case GUMBO_TAG_PROGRESS:
      case GUMBO_TAG_METER:
      case GUMBO_TAG_NAV:
      case GUMBO_TAG_ASIDE:
      case GUMBO_TAG_HEAD:
      case GUMBO_TAG_TITLE:
      case GUMBO_TAG_FRAMESET:
      case GUMBO_TAG_NOFRAMES:
      case GUMBO_TAG_NOEMBED:
        return true;
      case GUMBO_TAG_NOSCRIPT:
        return !allow_noscript_;
      case GUMBO_TAG_HEADER:
      case GUMBO_TAG_FOOTER:
        if (is_page_level(n)) return true;
        break;
      case GUMBO_TAG_UNKNOWN:
        // A <dialog> is not shown until opened (cookie and newsletter pop-ups).
        if (!has_attribute(e, "open") && unknown_tag_name(e) == "dialog") return true;
        break;
      default:
        break;
    }
    if (is_hidden(e) || has_chrome_role(e)) return true;
    if (e.tag == GUMBO_TAG_BODY || e.tag == GUMBO_TAG_MAIN || e.tag == GUMBO_TAG_ARTICLE) {
      return false;
    }
    return (names_page_chrome(attribute(e, "class")) || names_page_chrome(attribute(e, "id"))) &&
           !holds_content(n);
  }

  void block(const GumboElement& e, MarkdownWriter& w, int depth) {
    w.request(Gap::kBlank);
    children(e, w, depth);
    w.request(Gap::kBlank);
  }

  void element(const GumboNode* n, MarkdownWriter& w, int depth) {
    const GumboElement& e = n->v.element;
    if (e.tag_namespace == GUMBO_NAMESPACE_SVG) return;
    if (dropped(n)) return;
    switch (e.tag) {
      case GUMBO_TAG_H1:
      case GUMBO_TAG_H2:
      case GUMBO_TAG_H3:
      case GUMBO_TAG_H4:
      case GUMBO_TAG_H5:
      case GUMBO_TAG_H6:
        heading(e, w, depth, 1 + (e.tag - GUMBO_TAG_H1));
        return;
      case GUMBO_TAG_P:
      case GUMBO_TAG_DIV:
      case GUMBO_TAG_SECTION:
      case GUMBO_TAG_ARTICLE:
      case GUMBO_TAG_MAIN:
      case GUMBO_TAG_HEADER:
      case GUMBO_TAG_FOOTER:
      case GUMBO_TAG_ADDRESS:
      case GUMBO_TAG_CENTER:
      case GUMBO_TAG_FIGURE:
      case GUMBO_TAG_FIGCAPTION:
      case GUMBO_TAG_DETAILS:
      case GUMBO_TAG_SUMMARY:
      case GUMBO_TAG_FIELDSET:
      case GUMBO_TAG_LEGEND:
      case GUMBO_TAG_HGROUP:
      case GUMBO_TAG_FORM:
      case GUMBO_TAG_BODY:
      case GUMBO_TAG_HTML:
      case GUMBO_TAG_NOSCRIPT:
      case GUMBO_TAG_CAPTION:
      case GUMBO_TAG_TBODY:
      case GUMBO_TAG_THEAD:
      case GUMBO_TAG_TFOOT:
      case GUMBO_TAG_TR:
      case GUMBO_TAG_TD:
      case GUMBO_TAG_TH:
      case GUMBO_TAG_DL:
        block(e, w, depth);
        return;
      case GUMBO_TAG_BR:
        w.line_break();
        return;
      case GUMBO_TAG_HR:
        if (w.inline_only()) {
          w.space();
          return;
        }
        w.request(Gap::kBlank);
        w.raw_line("---");
        w.request(Gap::kBlank);
        return;
      case GUMBO_TAG_PRE:
      case GUMBO_TAG_LISTING:
      case GUMBO_TAG_XMP:
      case GUMBO_TAG_PLAINTEXT:
        preformatted(n, w);
        return;
      case GUMBO_TAG_BLOCKQUOTE:
        if (w.inline_only()) {
          children(e, w, depth);
          return;
        }
        w.request(Gap::kBlank);
        w.push_prefix("> ", "> ");
        children(e, w, depth);
        w.pop_prefix();
        w.request(Gap::kBlank);
        return;
      case GUMBO_TAG_UL:
      case GUMBO_TAG_MENU:
      case GUMBO_TAG_DIR:
      case GUMBO_TAG_OL:
        list(n, w, depth, e.tag == GUMBO_TAG_OL);
        return;
      case GUMBO_TAG_LI:
        item(e, w, depth);
        return;
      case GUMBO_TAG_DT:
        definition_term(n, w, depth);
        return;
      case GUMBO_TAG_DD:
        definition(e, w, depth);
        return;
      case GUMBO_TAG_TABLE:
        table(n, w, depth);
        return;
      case GUMBO_TAG_A:
        link(n, w, depth);
        return;
      case GUMBO_TAG_STRONG:
      case GUMBO_TAG_B:
        marked(e, w, depth, strong_, "**");
        return;
      case GUMBO_TAG_EM:
      case GUMBO_TAG_I:
        marked(e, w, depth, emphasis_, "*");
        return;
      case GUMBO_TAG_S:
      case GUMBO_TAG_STRIKE:
      case GUMBO_TAG_DEL:
        marked(e, w, depth, strike_, "~~");
        return;
      case GUMBO_TAG_Q:
        w.open_mark("\"", "\"", true);
        children(e, w, depth);
        w.close_mark();
        return;
      case GUMBO_TAG_SUP:
        ++superscripts_;
        children(e, w, depth);
        --superscripts_;
        return;
      case GUMBO_TAG_CODE:
      case GUMBO_TAG_KBD:
      case GUMBO_TAG_SAMP:
      case GUMBO_TAG_TT:
        inline_code(n, w);
        return;
      case GUMBO_TAG_IMG:
      case GUMBO_TAG_IMAGE:
        image(e, w);
        return;
      default:
        children(e, w, depth);  // inline: span, abbr, time, label, custom elements…
        return;
    }
  }

  void heading(const GumboElement& e, MarkdownWriter& w, int depth, int level) {
    if (w.inline_only()) {
      w.space();
      children(e, w, depth);
      w.space();
      return;
    }
    w.request(Gap::kBlank);
    w.set_lead(std::string(level, '#') + ' ');
    w.begin_flat();
    ++strong_;  // a heading is already strong
    ++headings_;
    children(e, w, depth);
    --headings_;
    --strong_;
    w.end_flat();
    w.set_lead({});
    w.request(Gap::kBlank);
  }

  void marked(const GumboElement& e, MarkdownWriter& w, int depth, int& open,
              const char* marker) {
    if (open > 0) {
      children(e, w, depth);
      return;
    }
    ++open;
    w.open_mark(marker, marker, true);
    children(e, w, depth);
    w.close_mark();
    --open;
  }

  // An href as a link target, or empty when the link should be dropped (keeping its text).
  std::string link_target(std::string_view href) const {
    const std::string cleaned = url_attribute(href);
    if (cleaned.empty() || cleaned == "#") return {};
    if (starts_with_ci(cleaned, "javascript:") || starts_with_ci(cleaned, "vbscript:") ||
        starts_with_ci(cleaned, "data:")) {
      return {};
    }
    return base_.empty() ? cleaned : resolve_url(base_, cleaned);
  }

  // The "¶" or "#" a documentation site puts beside each heading to link to it.
  bool is_self_anchor(const GumboNode* n, std::string_view href) const {
    if (!trim(href).starts_with("#")) return false;
    std::string text;
    append_text(n, pruned_, text);
    const std::string_view mark = trim(text);
    return mark == "\xC2\xB6" || mark == "#" || mark == "\xC2\xA7" || mark == "\xF0\x9F\x94\x97";
  }

  void link(const GumboNode* n, MarkdownWriter& w, int depth) {
    const GumboElement& e = n->v.element;
    const std::string_view href = trim(attribute(e, "href"));
    if (is_self_anchor(n, href)) return;
    // A heading linked to its own anchor (mdBook, rustdoc, many blogs) is just the heading, and
    // a footnote mark is just the mark: "[1]", not "[[1]](https://…#cite_note-1)".
    const bool in_page = href.starts_with("#");
    const std::string url = in_page && (headings_ > 0 || superscripts_ > 0) ? std::string()
                                                                            : link_target(href);
    if (url.empty()) {
      children(e, w, depth);
      return;
    }
    const std::string target = markdown_url(url);
    w.open_mark("[", "](" + target + ")", false, target);
    children(e, w, depth);
    w.close_mark();
  }

  void image(const GumboElement& e, MarkdownWriter& w) {
    std::string alt = collapse_whitespace(attribute(e, "alt"));
    if (alt.empty()) return;
    std::string escaped;
    for (char c : alt) {
      if (c == '[' || c == ']') escaped += '\\';
      escaped += c;
    }
    std::string src;
    for (const char* name : {"src", "data-src", "data-lazy-src"}) {
      src = link_target(attribute(e, name));
      if (!src.empty()) break;
    }
    w.atom("![" + escaped + "](" + markdown_url(src) + ")");
  }

  void inline_code(const GumboNode* n, MarkdownWriter& w) {
    std::string raw;
    append_text(n, pruned_, raw);
    const std::string code = collapse_whitespace(raw);
    if (code.empty()) return;
    // API docs link whole code spans: <code><a href="…">name</a></code>.
    const GumboNode* only_link = nullptr;
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      const auto* child = static_cast<const GumboNode*>(kids.data[i]);
      if (child->type == GUMBO_NODE_WHITESPACE) continue;
      only_link = is_element(child, GUMBO_TAG_A) && !only_link ? child : nullptr;
      if (!only_link) break;
    }
    const std::string url =
        only_link ? link_target(attribute(only_link->v.element, "href")) : std::string();
    if (url.empty()) {
      w.atom(code_span(code));
      return;
    }
    const std::string target = markdown_url(url);
    w.open_mark("[", "](" + target + ")", false);
    w.atom(code_span(code));
    w.close_mark();
  }

  // The text of a <pre> exactly, with <br> and line-per-element markup as newlines.
  void preformatted_text(const GumboNode* n, std::string& out) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      unstash_text(n->v.text.text, pruned_, out);
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT || dropped(n)) return;
    const GumboElement& e = n->v.element;
    if (e.tag == GUMBO_TAG_BR) {
      out += '\n';
      return;
    }
    const bool line = e.tag == GUMBO_TAG_DIV || e.tag == GUMBO_TAG_P || e.tag == GUMBO_TAG_LI ||
                      e.tag == GUMBO_TAG_TR;
    if (line && !out.empty() && out.back() != '\n') out += '\n';
    for (unsigned i = 0; i < e.children.length; ++i) {
      preformatted_text(static_cast<const GumboNode*>(e.children.data[i]), out);
    }
    if (line && !out.empty() && out.back() != '\n') out += '\n';
  }

  void preformatted(const GumboNode* n, MarkdownWriter& w) {
    std::string code;
    const GumboElement& e = n->v.element;
    for (unsigned i = 0; i < e.children.length; ++i) {
      preformatted_text(static_cast<const GumboNode*>(e.children.data[i]), code);
    }
    // Blank lines at either end show nothing; the lines in between stay exactly as written.
    std::size_t start = 0;
    while (true) {
      std::size_t nl = code.find('\n', start);
      if (nl == std::string::npos) break;
      if (!trim(std::string_view(code).substr(start, nl - start)).empty()) break;
      start = nl + 1;
    }
    code.erase(0, start);
    while (!code.empty() && is_ascii_space(code.back())) code.pop_back();
    if (trim(code).empty()) return;
    if (w.inline_only()) {
      w.atom(code_span(collapse_whitespace(code)));
      return;
    }
    std::string language = code_language(n, true);
    if (language.empty()) language = code_language(child_element(n, GUMBO_TAG_CODE), true);
    // Highlighters wrap the <pre> in one or two <div>s that carry the language.
    const GumboNode* wrapper = n->parent;
    for (int up = 0; language.empty() && wrapper && up < 2; ++up, wrapper = wrapper->parent) {
      language = code_language(wrapper, false);
    }
    std::size_t longest = 0, run = 0;
    for (char c : code) {
      run = c == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
    w.request(Gap::kBlank);
    w.raw_line(fence + language);
    std::size_t pos = 0;
    while (pos <= code.size()) {
      std::size_t nl = code.find('\n', pos);
      if (nl == std::string::npos) nl = code.size();
      w.raw_line(std::string_view(code).substr(pos, nl - pos));
      pos = nl + 1;
    }
    w.raw_line(fence);
    w.request(Gap::kBlank);
  }

  static bool is_list(const GumboNode* n) {
    return n && (is_element(n, GUMBO_TAG_UL) || is_element(n, GUMBO_TAG_OL) ||
                 is_element(n, GUMBO_TAG_MENU) || is_element(n, GUMBO_TAG_DIR));
  }

  void list(const GumboNode* n, MarkdownWriter& w, int depth, bool ordered) {
    const GumboElement& e = n->v.element;
    if (w.inline_only()) {
      w.space();
      children(e, w, depth);
      w.space();
      return;
    }
    // A list right inside a list (not in an item) is invalid but common, and browsers show it
    // nested like one in an item.
    const bool in_list = is_list(n->parent);
    const Gap gap = items_open_ > 0 || in_list ? Gap::kLine : Gap::kBlank;
    long start = 1;
    if (ordered) {
      const std::string value(trim(attribute(e, "start")));
      if (!value.empty()) start = std::strtol(value.c_str(), nullptr, 10);
    }
    w.request(gap);
    if (in_list) w.push_prefix("  ", "  ");
    lists_.push_back({ordered, start});
    children(e, w, depth);
    lists_.pop_back();
    if (in_list) w.pop_prefix();
    w.request(gap);
  }

  void item(const GumboElement& e, MarkdownWriter& w, int depth) {
    if (w.inline_only()) {
      w.space();
      children(e, w, depth);
      w.space();
      return;
    }
    std::string marker = "- ";
    // Items follow one another on the next line, even when they hold paragraphs: a loose
    // list reads the same and costs a blank line per item.
    if (!lists_.empty() && lists_.back().items++ > 0) w.tighten();
    if (!lists_.empty() && lists_.back().ordered) {
      List& list = lists_.back();
      const std::string value(trim(attribute(e, "value")));
      if (!value.empty()) list.next = std::strtol(value.c_str(), nullptr, 10);
      marker = std::to_string(list.next++) + ". ";
    }
    // Continuation lines align with the item's text, as CommonMark nests them.
    std::string indent(marker.size(), ' ');
    w.request(Gap::kLine);
    w.push_prefix(std::move(marker), std::move(indent));
    ++items_open_;
    children(e, w, depth);
    --items_open_;
    w.pop_prefix();
    w.request(Gap::kLine);
  }

  void definition_term(const GumboNode* n, MarkdownWriter& w, int depth) {
    // Terms sharing one definition stay together.
    const GumboNode* previous = nullptr;
    const GumboVector* siblings = n->parent ? &n->parent->v.element.children : nullptr;
    for (unsigned i = n->index_within_parent; siblings && i-- > 0;) {
      const auto* s = static_cast<const GumboNode*>(siblings->data[i]);
      if (s->type == GUMBO_NODE_ELEMENT) {
        previous = s;
        break;
      }
    }
    w.request(previous && is_element(previous, GUMBO_TAG_DT) ? Gap::kLine : Gap::kBlank);
    children(n->v.element, w, depth);
    w.request(Gap::kLine);
  }

  void definition(const GumboElement& e, MarkdownWriter& w, int depth) {
    if (w.inline_only()) {
      w.space();
      children(e, w, depth);
      return;
    }
    w.request(Gap::kLine);
    w.push_prefix(": ", "  ");
    children(e, w, depth);
    w.pop_prefix();
    w.request(Gap::kLine);
  }

  // ---------------------------------------------------------------- tables

  static void table_rows(const GumboNode* n, std::vector<const GumboNode*>& rows,
                         const GumboNode** caption) {
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      const auto* child = static_cast<const GumboNode*>(kids.data[i]);
      if (child->type != GUMBO_NODE_ELEMENT || is_hidden(child->v.element)) continue;
      switch (child->v.element.tag) {
        case GUMBO_TAG_TR:
          rows.push_back(child);
          break;
        case GUMBO_TAG_THEAD:
        case GUMBO_TAG_TBODY:
        case GUMBO_TAG_TFOOT:
          table_rows(child, rows, caption);
          break;
        case GUMBO_TAG_CAPTION:
          if (caption && !*caption) *caption = child;
          break;
        default:
          break;
      }
    }
  }

  static bool is_cell(const GumboNode* n) {
    return is_element(n, GUMBO_TAG_TD) || is_element(n, GUMBO_TAG_TH);
  }

  // Tables used for layout hold blocks, not data: they are read as blocks.
  static bool holds_blocks(const GumboNode* n) {
    if (n->type != GUMBO_NODE_ELEMENT) return false;
    const GumboElement& e = n->v.element;
    switch (e.tag) {
      case GUMBO_TAG_TABLE:
      case GUMBO_TAG_PRE:
      case GUMBO_TAG_H1:
      case GUMBO_TAG_H2:
      case GUMBO_TAG_H3:
      case GUMBO_TAG_H4:
      case GUMBO_TAG_H5:
      case GUMBO_TAG_H6:
        return true;
      default:
        break;
    }
    for (unsigned i = 0; i < e.children.length; ++i) {
      if (holds_blocks(static_cast<const GumboNode*>(e.children.data[i]))) return true;
    }
    return false;
  }

  void table(const GumboNode* n, MarkdownWriter& w, int depth) {
    const GumboElement& e = n->v.element;
    std::vector<const GumboNode*> rows;
    const GumboNode* caption = nullptr;
    table_rows(n, rows, &caption);
    std::size_t widest = 0;
    for (const GumboNode* row : rows) {
      std::size_t cells = 0;
      const GumboVector& kids = row->v.element.children;
      for (unsigned i = 0; i < kids.length; ++i) {
        cells += is_cell(static_cast<const GumboNode*>(kids.data[i]));
      }
      widest = std::max(widest, cells);
    }
    const std::string_view role = trim(attribute(e, "role"));
    bool layout = widest <= 1 || equals_ci(role, "presentation") || equals_ci(role, "none");
    for (const GumboNode* row : rows) {
      if (!layout && holds_blocks(row)) layout = true;
    }
    if (layout || w.inline_only()) {
      block(e, w, depth);
      return;
    }

    std::vector<std::vector<std::string>> grid;
    std::size_t columns = 0;
    for (const GumboNode* row : rows) {
      std::vector<std::string> cells;
      bool any = false;
      const GumboVector& kids = row->v.element.children;
      for (unsigned i = 0; i < kids.length; ++i) {
        const auto* cell = static_cast<const GumboNode*>(kids.data[i]);
        if (!is_cell(cell)) continue;
        std::string text = cell_text(cell, depth);
        any = any || !text.empty();
        cells.push_back(std::move(text));
        const long span = std::strtol(std::string(attribute(cell->v.element, "colspan")).c_str(),
                                      nullptr, 10);
        for (long s = 1; s < std::min(span, 64L); ++s) cells.emplace_back();
      }
      if (!any) continue;
      columns = std::max(columns, cells.size());
      grid.push_back(std::move(cells));
    }
    if (grid.empty()) return;

    if (caption) block(caption->v.element, w, depth);
    w.request(Gap::kBlank);
    for (std::size_t r = 0; r < grid.size(); ++r) {
      grid[r].resize(columns);
      std::string line = "|";
      for (const std::string& cell : grid[r]) line += cell.empty() ? " |" : " " + cell + " |";
      w.raw_line(line);
      if (r == 0) {
        std::string rule = "|";
        for (std::size_t c = 0; c < columns; ++c) rule += " --- |";
        w.raw_line(rule);
      }
    }
    w.request(Gap::kBlank);
  }

  std::string cell_text(const GumboNode* cell, int depth) {
    if (dropped(cell)) return {};
    MarkdownWriter cw(true);
    children(cell->v.element, cw, depth);
    std::string text = cw.finish();
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
      if (c == '|') out += '\\';
      out += c == '\n' ? ' ' : c;
    }
    return out;
  }

  std::string base_;
  const PrunedMarkup& pruned_;
  std::string scratch_;  // a text node with its stashed runs put back
  bool allow_noscript_ = false;
  int strong_ = 0;
  int emphasis_ = 0;
  int strike_ = 0;
  int items_open_ = 0;
  int headings_ = 0;
  int superscripts_ = 0;
  std::vector<List> lists_;
};

const GumboNode* find_in_head(const GumboNode* html, GumboTag tag) {
  const GumboNode* head = child_element(html, GUMBO_TAG_HEAD);
  return head ? child_element(head, tag) : nullptr;
}

struct GumboOutputDeleter {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  }
};

// ---------------------------------------------------------------- the parse, guarded
//
// Debian builds gumbo 0.10 with its assert()s on, and fuzzing trips one (CDATA in SVG or
// MathML inside a table; the pruning pass removes CDATA for that reason). Any other would
// abort the whole proxy over one page. So the parse runs under a SIGABRT handler that jumps
// back out of gumbo, on this thread and during the parse only: the page then converts to
// nothing, and what gumbo had allocated for it leaks. Any other abort goes on as before.

thread_local sigjmp_buf* t_parse_recovery = nullptr;
struct sigaction g_previous_abort_action;

extern "C" void recover_from_parser_abort(int signal_number) {
  if (t_parse_recovery) siglongjmp(*t_parse_recovery, 1);
  sigaction(SIGABRT, &g_previous_abort_action, nullptr);
  raise(signal_number);  // delivered once this handler returns, as if never installed
}

GumboOutput* parse_html(const GumboOptions& options, std::string_view html) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction action = {};
    action.sa_handler = recover_from_parser_abort;
    sigemptyset(&action.sa_mask);
    sigaction(SIGABRT, &action, &g_previous_abort_action);
  });
  sigjmp_buf recovery;
  if (sigsetjmp(recovery, 1) != 0) {
    t_parse_recovery = nullptr;
    return nullptr;
  }
  t_parse_recovery = &recovery;
  GumboOutput* output = gumbo_parse_with_options(&options, html.data(), html.size());
  t_parse_recovery = nullptr;
  return output;
}

}  // namespace

MarkdownPage html_to_markdown(std::string_view html, std::string_view base_url) {
  const PrunedMarkup pruned = prune_markup(html);
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // parse errors are not recorded: nothing reads them
  std::unique_ptr<GumboOutput, GumboOutputDeleter> output(parse_html(options, pruned.html));
  MarkdownPage page;
  if (!output || !output->root) return page;
  const GumboNode* root = output->root;

  if (const GumboNode* title = find_in_head(root, GUMBO_TAG_TITLE)) {
    std::string text;
    append_text(title, pruned, text);
    page.title = collapse_whitespace(text);
  }

  // <base href> changes what relative links are relative to.
  std::string base(base_url);
  if (const GumboNode* base_element = find_in_head(root, GUMBO_TAG_BASE)) {
    const std::string href = url_attribute(attribute(base_element->v.element, "href"));
    if (href.empty()) {
      // nothing to change
    } else if (!base.empty()) {
      base = resolve_url(base, href);
    } else if (has_url_scheme(href)) {
      base = std::string(href);
    }
  }

  const GumboNode* body = child_element(root, GUMBO_TAG_BODY);
  if (!body) body = root;
  const GumboNode* content = find_first(body, is_main);
  if (!content) {
    std::vector<const GumboNode*> articles;
    find_articles(body, articles);
    if (articles.size() == 1) content = articles.front();
  }

  if (content) page.markdown = Converter(base, pruned).convert(content);
  if (page.markdown.empty()) page.markdown = Converter(base, pruned).convert(body);
  if (page.markdown.empty()) {
    // A page whose only words are in <noscript> ("This app needs JavaScript") says so.
    Converter converter(base, pruned);
    converter.allow_noscript();
    page.markdown = converter.convert(body);
  }
  // gumbo 0.10 turns a numeric character reference past 32 bits ("&#xF8888888") into a lone
  // byte that is not UTF-8; the page's text goes into JSON.
  page.title = well_formed_utf8(page.title);
  page.markdown = well_formed_utf8(page.markdown);
  return page;
}

}  // namespace claudegpt
