#include "web/html_to_markdown.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <climits>
#include <cstdint>
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
//
// libxml2's tree: elements and text nodes (comments and CDATA never reach it, see
// web/markup_prune.h). Element names are lower case, as the HTML parser writes them; each
// element's Tag is looked up once after the parse and kept in its _private field (libxml2's
// slot for the application), since the converter asks for it many times per element.

using Node = xmlNode;

constexpr int kMaxDepth = 1024;  // the parse tree's depth, after pruning; a guard only

// The elements the converter tells apart; every other element is kOther (read as inline).
enum class Tag : unsigned char {
  kNone,  // not an element
  kOther,
  kA, kAddress, kApplet, kArticle, kAside, kAudio, kB, kBase, kBlockquote, kBody, kBr,
  kButton, kCanvas, kCaption, kCenter, kCode, kDatalist, kDd, kDel, kDetails, kDialog, kDir,
  kDiv, kDl, kDt, kEm, kEmbed, kFieldset, kFigcaption, kFigure, kFooter, kForm, kFrameset,
  kH1, kH2, kH3, kH4, kH5, kH6,  // in order: heading levels are counted from kH1
  kHead, kHeader, kHgroup, kHr, kHtml, kI, kIframe, kImg, kInput, kKbd, kKeygen, kLegend,
  kLi, kListing, kMain, kMap, kMenu, kMeter, kNav, kNoembed, kNoframes, kNoscript, kObject,
  kOl, kOutput, kP, kPlaintext, kPre, kProgress, kQ, kS, kSamp, kScript, kSection, kSelect,
  kStrike, kStrong, kStyle, kSummary, kSup, kSvg, kTable, kTbody, kTd, kTemplate, kTextarea,
  kTfoot, kTh, kThead, kTitle, kTr, kTt, kUl, kVideo, kXmp,
};

Tag tag_named(std::string_view name) {
  // Sorted by name, for a binary search.
  static constexpr std::pair<std::string_view, Tag> kTags[] = {
      {"a", Tag::kA}, {"address", Tag::kAddress}, {"applet", Tag::kApplet},
      {"article", Tag::kArticle}, {"aside", Tag::kAside}, {"audio", Tag::kAudio},
      {"b", Tag::kB}, {"base", Tag::kBase}, {"blockquote", Tag::kBlockquote},
      {"body", Tag::kBody}, {"br", Tag::kBr}, {"button", Tag::kButton},
      {"canvas", Tag::kCanvas}, {"caption", Tag::kCaption}, {"center", Tag::kCenter},
      {"code", Tag::kCode}, {"datalist", Tag::kDatalist}, {"dd", Tag::kDd}, {"del", Tag::kDel},
      {"details", Tag::kDetails}, {"dialog", Tag::kDialog}, {"dir", Tag::kDir},
      {"div", Tag::kDiv}, {"dl", Tag::kDl}, {"dt", Tag::kDt}, {"em", Tag::kEm},
      {"embed", Tag::kEmbed}, {"fieldset", Tag::kFieldset}, {"figcaption", Tag::kFigcaption},
      {"figure", Tag::kFigure}, {"footer", Tag::kFooter}, {"form", Tag::kForm},
      {"frameset", Tag::kFrameset}, {"h1", Tag::kH1}, {"h2", Tag::kH2}, {"h3", Tag::kH3},
      {"h4", Tag::kH4}, {"h5", Tag::kH5}, {"h6", Tag::kH6}, {"head", Tag::kHead},
      {"header", Tag::kHeader}, {"hgroup", Tag::kHgroup}, {"hr", Tag::kHr},
      {"html", Tag::kHtml}, {"i", Tag::kI}, {"iframe", Tag::kIframe},
      {"image", Tag::kImg},  // browsers read <image> as <img>
      {"img", Tag::kImg}, {"input", Tag::kInput}, {"kbd", Tag::kKbd},
      {"keygen", Tag::kKeygen}, {"legend", Tag::kLegend}, {"li", Tag::kLi},
      {"listing", Tag::kListing}, {"main", Tag::kMain}, {"map", Tag::kMap},
      {"menu", Tag::kMenu}, {"meter", Tag::kMeter}, {"nav", Tag::kNav},
      {"noembed", Tag::kNoembed}, {"noframes", Tag::kNoframes}, {"noscript", Tag::kNoscript},
      {"object", Tag::kObject}, {"ol", Tag::kOl}, {"output", Tag::kOutput}, {"p", Tag::kP},
      {"plaintext", Tag::kPlaintext}, {"pre", Tag::kPre}, {"progress", Tag::kProgress},
      {"q", Tag::kQ}, {"s", Tag::kS}, {"samp", Tag::kSamp}, {"script", Tag::kScript},
      {"section", Tag::kSection}, {"select", Tag::kSelect}, {"strike", Tag::kStrike},
      {"strong", Tag::kStrong}, {"style", Tag::kStyle}, {"summary", Tag::kSummary},
      {"sup", Tag::kSup}, {"svg", Tag::kSvg}, {"table", Tag::kTable}, {"tbody", Tag::kTbody},
      {"td", Tag::kTd}, {"template", Tag::kTemplate}, {"textarea", Tag::kTextarea},
      {"tfoot", Tag::kTfoot}, {"th", Tag::kTh}, {"thead", Tag::kThead}, {"title", Tag::kTitle},
      {"tr", Tag::kTr}, {"tt", Tag::kTt}, {"ul", Tag::kUl}, {"video", Tag::kVideo},
      {"xmp", Tag::kXmp}};
  const auto* it = std::lower_bound(std::begin(kTags), std::end(kTags), name,
                                    [](const auto& entry, std::string_view n) {
                                      return entry.first < n;
                                    });
  return it != std::end(kTags) && it->first == name ? it->second : Tag::kOther;
}

std::string_view chars(const xmlChar* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

// Looks up every element's Tag once. Iterative: the tree may be deep.
void tag_elements(Node* root) {
  Node* n = root;
  while (n) {
    if (n->type == XML_ELEMENT_NODE) {
      n->_private = reinterpret_cast<void*>(static_cast<std::uintptr_t>(tag_named(chars(n->name))));
      if (n->children) {
        n = n->children;
        continue;
      }
    }
    while (n != root && !n->next) n = n->parent;
    n = n == root ? nullptr : n->next;
  }
}

Tag tag(const Node* node) {
  return node->type == XML_ELEMENT_NODE
             ? static_cast<Tag>(reinterpret_cast<std::uintptr_t>(node->_private))
             : Tag::kNone;
}

bool is_element(const Node* node, Tag t) { return tag(node) == t; }

bool is_text(const Node* node) {
  return node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE;
}

std::string_view node_text(const Node* node) { return chars(node->content); }

const xmlAttr* find_attribute(const Node* element, std::string_view name) {
  for (const xmlAttr* a = element->properties; a; a = a->next) {
    if (chars(a->name) == name) return a;
  }
  return nullptr;
}

// The HTML parser stores an attribute's value as one text node, none when it has no value.
std::string_view attribute(const Node* element, std::string_view name) {
  const xmlAttr* a = find_attribute(element, name);
  return a && a->children ? chars(a->children->content) : std::string_view();
}

bool has_attribute(const Node* element, std::string_view name) {
  return find_attribute(element, name) != nullptr;
}

// The page's own content: never dropped for a class name, however chrome-like.
bool holds_content(const Node* node) {
  const Tag t = tag(node);
  if (t == Tag::kMain || t == Tag::kArticle || t == Tag::kH1) return true;
  if (t == Tag::kNone) return false;
  for (const Node* child = node->children; child; child = child->next) {
    if (holds_content(child)) return true;
  }
  return false;
}

bool is_hidden(const Node* element) {
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

bool has_chrome_role(const Node* element) {
  const std::string_view role = trim(attribute(element, "role"));
  for (std::string_view r : {"navigation", "banner", "contentinfo", "search", "complementary",
                             "menu", "menubar"}) {
    if (equals_ci(role, r)) return true;
  }
  return false;
}

bool is_main(const Node* node) {
  return node->type == XML_ELEMENT_NODE &&
         (tag(node) == Tag::kMain || equals_ci(trim(attribute(node, "role")), "main"));
}

// <header> and <footer> are page chrome unless they belong to a section of content.
bool is_page_level(const Node* node) {
  for (const Node* p = node->parent; p; p = p->parent) {
    if (p->type != XML_ELEMENT_NODE) continue;
    if (is_main(p)) return false;
    switch (tag(p)) {
      case Tag::kArticle:
      case Tag::kAside:
      case Tag::kMain:
      case Tag::kNav:
      case Tag::kSection:
        return false;
      default:
        break;
    }
  }
  return true;
}

// Depth-first search, not entering hidden elements or what is never content.
const Node* find_first(const Node* node, bool (*match)(const Node*)) {
  const Tag t = tag(node);
  if (t == Tag::kNone || t == Tag::kScript || t == Tag::kTemplate || t == Tag::kSvg ||
      is_hidden(node)) {
    return nullptr;
  }
  if (match(node)) return node;
  for (const Node* child = node->children; child; child = child->next) {
    if (const Node* found = find_first(child, match)) return found;
  }
  return nullptr;
}

// Outermost <article> elements, up to two (all we need to know is whether there is one).
void find_articles(const Node* node, std::vector<const Node*>& found) {
  const Tag t = tag(node);
  if (t == Tag::kNone || found.size() > 1) return;
  if (t == Tag::kArticle) {
    found.push_back(node);
    return;
  }
  if (t == Tag::kNav || t == Tag::kAside || t == Tag::kTemplate || is_hidden(node)) return;
  for (const Node* child = node->children; child; child = child->next) {
    find_articles(child, found);
  }
}

const Node* child_element(const Node* node, Tag t) {
  if (!node || node->type != XML_ELEMENT_NODE) return nullptr;
  for (const Node* child = node->children; child; child = child->next) {
    if (is_element(child, t)) return child;
  }
  return nullptr;
}

// All the text under `node`, as written (stashed runs put back).
void append_text(const Node* node, const PrunedMarkup& pruned, std::string& out) {
  if (is_text(node)) {
    unstash_text(node_text(node), pruned, out);
    return;
  }
  const Tag t = tag(node);
  if (t == Tag::kNone || t == Tag::kScript || t == Tag::kStyle) return;
  for (const Node* child = node->children; child; child = child->next) {
    append_text(child, pruned, out);
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
std::string code_language(const Node* e, bool bare_names) {
  if (!e || e->type != XML_ELEMENT_NODE) return {};
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

  std::string convert(const Node* root) {
    MarkdownWriter w(false);
    children(root, w, 0);
    return w.finish();
  }

 private:
  struct List {
    bool ordered;
    long next;
    int items = 0;
  };

  void node(const Node* n, MarkdownWriter& w, int depth) {
    if (is_text(n)) {
      const std::string_view s = node_text(n);
      if (has_stashed_text(s)) {
        scratch_.clear();
        unstash_text(s, pruned_, scratch_);
        w.text(scratch_);
      } else {
        w.text(s);
      }
    } else if (n->type == XML_ELEMENT_NODE && depth < kMaxDepth) {
      element(n, w, depth + 1);
    }
  }

  void children(const Node* e, MarkdownWriter& w, int depth) {
    for (const Node* child = e->children; child; child = child->next) node(child, w, depth);
  }

  bool dropped(const Node* e) const {
    const Tag t = tag(e);
    switch (t) {
      case Tag::kScript:
      case Tag::kStyle:
      case Tag::kTemplate:
      case Tag::kSvg:
      case Tag::kCanvas:
      case Tag::kIframe:
      case Tag::kObject:
      case Tag::kEmbed:
      case Tag::kApplet:
      case Tag::kVideo:
      case Tag::kAudio:
      case Tag::kMap:
      case Tag::kInput:
      case Tag::kSelect:
      case Tag::kButton:
      case Tag::kTextarea:
      case Tag::kDatalist:
      case Tag::kKeygen:
      case Tag::kOutput:
      case Tag::kProgress:
      case Tag::kMeter:
      case Tag::kNav:
      case Tag::kAside:
      case Tag::kHead:
      case Tag::kTitle:
      case Tag::kFrameset:
      case Tag::kNoframes:
      case Tag::kNoembed:
        return true;
      case Tag::kNoscript:
        return !allow_noscript_;
      case Tag::kHeader:
      case Tag::kFooter:
        if (is_page_level(e)) return true;
        break;
      case Tag::kDialog:
        // A <dialog> is not shown until opened (cookie and newsletter pop-ups).
        if (!has_attribute(e, "open")) return true;
        break;
      default:
        break;
    }
    if (is_hidden(e) || has_chrome_role(e)) return true;
    if (t == Tag::kBody || t == Tag::kMain || t == Tag::kArticle) return false;
    return (names_page_chrome(attribute(e, "class")) || names_page_chrome(attribute(e, "id"))) &&
           !holds_content(e);
  }

  void block(const Node* e, MarkdownWriter& w, int depth) {
    w.request(Gap::kBlank);
    children(e, w, depth);
    w.request(Gap::kBlank);
  }

  void element(const Node* e, MarkdownWriter& w, int depth) {
    if (dropped(e)) return;
    const Tag t = tag(e);
    switch (t) {
      case Tag::kH1:
      case Tag::kH2:
      case Tag::kH3:
      case Tag::kH4:
      case Tag::kH5:
      case Tag::kH6:
        heading(e, w, depth, 1 + (static_cast<int>(t) - static_cast<int>(Tag::kH1)));
        return;
      case Tag::kP:
      case Tag::kDiv:
      case Tag::kSection:
      case Tag::kArticle:
      case Tag::kMain:
      case Tag::kHeader:
      case Tag::kFooter:
      case Tag::kAddress:
      case Tag::kCenter:
      case Tag::kFigure:
      case Tag::kFigcaption:
      case Tag::kDetails:
      case Tag::kSummary:
      case Tag::kFieldset:
      case Tag::kLegend:
      case Tag::kHgroup:
      case Tag::kForm:
      case Tag::kBody:
      case Tag::kHtml:
      case Tag::kNoscript:
      case Tag::kCaption:
      case Tag::kTbody:
      case Tag::kThead:
      case Tag::kTfoot:
      case Tag::kTr:
      case Tag::kTd:
      case Tag::kTh:
      case Tag::kDl:
        block(e, w, depth);
        return;
      case Tag::kBr:
        w.line_break();
        return;
      case Tag::kHr:
        if (w.inline_only()) {
          w.space();
          return;
        }
        w.request(Gap::kBlank);
        w.raw_line("---");
        w.request(Gap::kBlank);
        return;
      case Tag::kPre:
      case Tag::kListing:
      case Tag::kXmp:
      case Tag::kPlaintext:
        preformatted(e, w);
        return;
      case Tag::kBlockquote:
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
      case Tag::kUl:
      case Tag::kMenu:
      case Tag::kDir:
      case Tag::kOl:
        list(e, w, depth, t == Tag::kOl);
        return;
      case Tag::kLi:
        item(e, w, depth);
        return;
      case Tag::kDt:
        definition_term(e, w, depth);
        return;
      case Tag::kDd:
        definition(e, w, depth);
        return;
      case Tag::kTable:
        table(e, w, depth);
        return;
      case Tag::kA:
        link(e, w, depth);
        return;
      case Tag::kStrong:
      case Tag::kB:
        marked(e, w, depth, strong_, "**");
        return;
      case Tag::kEm:
      case Tag::kI:
        marked(e, w, depth, emphasis_, "*");
        return;
      case Tag::kS:
      case Tag::kStrike:
      case Tag::kDel:
        marked(e, w, depth, strike_, "~~");
        return;
      case Tag::kQ:
        w.open_mark("\"", "\"", true);
        children(e, w, depth);
        w.close_mark();
        return;
      case Tag::kSup:
        ++superscripts_;
        children(e, w, depth);
        --superscripts_;
        return;
      case Tag::kCode:
      case Tag::kKbd:
      case Tag::kSamp:
      case Tag::kTt:
        inline_code(e, w);
        return;
      case Tag::kImg:
        image(e, w);
        return;
      default:
        children(e, w, depth);  // inline: span, abbr, time, label, custom elements…
        return;
    }
  }

  void heading(const Node* e, MarkdownWriter& w, int depth, int level) {
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

  void marked(const Node* e, MarkdownWriter& w, int depth, int& open, const char* marker) {
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
  bool is_self_anchor(const Node* e, std::string_view href) const {
    if (!trim(href).starts_with("#")) return false;
    std::string text;
    append_text(e, pruned_, text);
    const std::string_view mark = trim(text);
    return mark == "\xC2\xB6" || mark == "#" || mark == "\xC2\xA7" || mark == "\xF0\x9F\x94\x97";
  }

  void link(const Node* e, MarkdownWriter& w, int depth) {
    const std::string_view href = trim(attribute(e, "href"));
    if (is_self_anchor(e, href)) return;
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

  void image(const Node* e, MarkdownWriter& w) {
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

  void inline_code(const Node* e, MarkdownWriter& w) {
    std::string raw;
    append_text(e, pruned_, raw);
    const std::string code = collapse_whitespace(raw);
    if (code.empty()) return;
    // API docs link whole code spans: <code><a href="…">name</a></code>.
    const Node* only_link = nullptr;
    for (const Node* child = e->children; child; child = child->next) {
      if (is_text(child) && trim(node_text(child)).empty()) continue;
      only_link = is_element(child, Tag::kA) && !only_link ? child : nullptr;
      if (!only_link) break;
    }
    const std::string url = only_link ? link_target(attribute(only_link, "href")) : std::string();
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
  void preformatted_text(const Node* n, std::string& out) {
    if (is_text(n)) {
      unstash_text(node_text(n), pruned_, out);
      return;
    }
    if (n->type != XML_ELEMENT_NODE || dropped(n)) return;
    const Tag t = tag(n);
    if (t == Tag::kBr) {
      out += '\n';
      return;
    }
    const bool line = t == Tag::kDiv || t == Tag::kP || t == Tag::kLi || t == Tag::kTr;
    if (line && !out.empty() && out.back() != '\n') out += '\n';
    for (const Node* child = n->children; child; child = child->next) {
      preformatted_text(child, out);
    }
    if (line && !out.empty() && out.back() != '\n') out += '\n';
  }

  void preformatted(const Node* e, MarkdownWriter& w) {
    std::string code;
    for (const Node* child = e->children; child; child = child->next) {
      preformatted_text(child, code);
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
    std::string language = code_language(e, true);
    if (language.empty()) language = code_language(child_element(e, Tag::kCode), true);
    // Highlighters wrap the <pre> in one or two <div>s that carry the language.
    const Node* wrapper = e->parent;
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

  static bool is_list(const Node* n) {
    if (!n) return false;
    const Tag t = tag(n);
    return t == Tag::kUl || t == Tag::kOl || t == Tag::kMenu || t == Tag::kDir;
  }

  void list(const Node* e, MarkdownWriter& w, int depth, bool ordered) {
    if (w.inline_only()) {
      w.space();
      children(e, w, depth);
      w.space();
      return;
    }
    // A list right inside a list (not in an item) is invalid but common, and browsers show it
    // nested like one in an item.
    const bool in_list = is_list(e->parent);
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

  void item(const Node* e, MarkdownWriter& w, int depth) {
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

  void definition_term(const Node* e, MarkdownWriter& w, int depth) {
    // Terms sharing one definition stay together.
    const Node* previous = e->prev;
    while (previous && previous->type != XML_ELEMENT_NODE) previous = previous->prev;
    w.request(previous && is_element(previous, Tag::kDt) ? Gap::kLine : Gap::kBlank);
    children(e, w, depth);
    w.request(Gap::kLine);
  }

  void definition(const Node* e, MarkdownWriter& w, int depth) {
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

  // A table as a browser builds it: its rows (in sections or not; cells outside any row make
  // one), its caption, and what the HTML parser leaves between the rows that a browser moves
  // out, to just before the table ("foster parenting": text, or a <div> between two rows).
  // The parser also leaves a <form> wrapping rows where it stands: they are still rows.
  struct TableParts {
    std::vector<const Node*> rows;
    const Node* caption = nullptr;
    std::vector<const Node*> outside;
  };

  static void table_parts(const Node* e, TableParts& parts) {
    bool cells_here = false;
    for (const Node* child = e->children; child; child = child->next) {
      if (is_text(child)) {
        if (!trim(node_text(child)).empty()) parts.outside.push_back(child);
        continue;
      }
      if (child->type != XML_ELEMENT_NODE || is_hidden(child)) continue;
      switch (tag(child)) {
        case Tag::kTr:
          parts.rows.push_back(child);
          for (const Node* cell = child->children; cell; cell = cell->next) {
            if (is_cell(cell)) continue;
            if (is_text(cell) ? !trim(node_text(cell)).empty() : cell->type == XML_ELEMENT_NODE) {
              parts.outside.push_back(cell);
            }
          }
          break;
        case Tag::kTd:
        case Tag::kTh:
          if (!cells_here) parts.rows.push_back(e);
          cells_here = true;
          break;
        case Tag::kCaption:
          if (!parts.caption) parts.caption = child;
          break;
        case Tag::kThead:
        case Tag::kTbody:
        case Tag::kTfoot:
        case Tag::kForm:
          table_parts(child, parts);
          break;
        default:  // <colgroup> too, which shows nothing
          parts.outside.push_back(child);
          break;
      }
    }
  }

  static bool is_cell(const Node* n) { return is_element(n, Tag::kTd) || is_element(n, Tag::kTh); }

  // Tables used for layout hold blocks, not data: they are read as blocks.
  static bool holds_blocks(const Node* n) {
    switch (tag(n)) {
      case Tag::kNone:
        return false;
      case Tag::kTable:
      case Tag::kPre:
      case Tag::kH1:
      case Tag::kH2:
      case Tag::kH3:
      case Tag::kH4:
      case Tag::kH5:
      case Tag::kH6:
        return true;
      default:
        break;
    }
    for (const Node* child = n->children; child; child = child->next) {
      if (holds_blocks(child)) return true;
    }
    return false;
  }

  void table(const Node* e, MarkdownWriter& w, int depth) {
    TableParts parts;
    table_parts(e, parts);
    const std::vector<const Node*>& rows = parts.rows;
    std::size_t widest = 0;
    for (const Node* row : rows) {
      std::size_t cells = 0;
      for (const Node* cell = row->children; cell; cell = cell->next) cells += is_cell(cell);
      widest = std::max(widest, cells);
    }
    const std::string_view role = trim(attribute(e, "role"));
    bool layout = widest <= 1 || equals_ci(role, "presentation") || equals_ci(role, "none");
    for (const Node* row : rows) {
      for (const Node* cell = row->children; cell && !layout; cell = cell->next) {
        layout = is_cell(cell) && holds_blocks(cell);
      }
    }
    if (layout || w.inline_only()) {
      block(e, w, depth);
      return;
    }

    std::vector<std::vector<std::string>> grid;
    std::size_t columns = 0;
    for (const Node* row : rows) {
      std::vector<std::string> cells;
      bool any = false;
      for (const Node* cell = row->children; cell; cell = cell->next) {
        if (!is_cell(cell)) continue;
        std::string text = cell_text(cell, depth);
        any = any || !text.empty();
        cells.push_back(std::move(text));
        const long span =
            std::strtol(std::string(attribute(cell, "colspan")).c_str(), nullptr, 10);
        for (long s = 1; s < std::min(span, 64L); ++s) cells.emplace_back();
      }
      if (!any) continue;
      columns = std::max(columns, cells.size());
      grid.push_back(std::move(cells));
    }
    for (const Node* n : parts.outside) node(n, w, depth);
    if (grid.empty()) return;

    if (parts.caption) block(parts.caption, w, depth);
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

  std::string cell_text(const Node* cell, int depth) {
    if (dropped(cell)) return {};
    MarkdownWriter cw(true);
    children(cell, cw, depth);
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

const Node* find_in_head(const Node* html, Tag t) {
  return child_element(child_element(html, Tag::kHead), t);
}

// ---------------------------------------------------------------- the parse
//
// libxml2's HTML parser recovers from any markup and reports what it finds wrong instead of
// asserting. The options (htmlParserOption in libxml/HTMLparser.h, and XML_PARSE_HUGE, which
// htmlCtxtUseOptions accepts too; libxml2 2.9.14's HTMLparser.c,
// https://gitlab.gnome.org/GNOME/libxml2/-/blob/v2.9.14/HTMLparser.c):
// - RECOVER, NOERROR, NOWARNING: a tree from any input, and no report: with no error callback
//   in the context, libxml2 prints nothing either;
// - NONET: nothing is ever fetched;
// - IGNORE_ENC: the bytes are UTF-8 (web/page_text.h decodes), whatever a <meta charset> says;
// - NODEFDTD: no default doctype node, which nothing reads;
// - COMPACT: short text stored in its node, fewer allocations;
// - XML_PARSE_HUGE: without it, an element nested deeper than 256 levels ends the parse and
//   the page is lost (nodePush in parser.c; web/markup_prune.h flattens beyond 512).
// Not NOIMPLIED: the implied <html> and <body> put what follows the head where the converter
// looks for it. Once xmlInitParser has run, libxml2 parses on several threads at once; its
// error state is per thread.

struct DocumentDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using Document = std::unique_ptr<xmlDoc, DocumentDeleter>;

Document parse_html(std::string_view html) {
  static std::once_flag initialized;
  std::call_once(initialized, xmlInitParser);
  if (html.empty() || html.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  constexpr int kOptions = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                           HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_NODEFDTD |
                           HTML_PARSE_COMPACT | XML_PARSE_HUGE;
  return Document(htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
                                 kOptions));
}

// The input as the parser should read it, as a browser's tokenizer would have it: NUL bytes
// dropped (libxml2 ends the document at one between tags), CR and CR LF as LF (it keeps them),
// ill-formed UTF-8 as U+FFFD. Most pages need none of it: `html` is then returned as is.
std::string_view parser_input(std::string_view html, std::string& storage) {
  const bool clean = html.find('\0') == std::string_view::npos &&
                     html.find('\r') == std::string_view::npos && is_well_formed_utf8(html);
  if (clean) return html;
  const std::string repaired = well_formed_utf8(html);
  storage.clear();
  storage.reserve(repaired.size());
  for (std::size_t i = 0; i < repaired.size(); ++i) {
    const char c = repaired[i];
    if (c == '\0') continue;
    if (c == '\r') {
      storage += '\n';
      if (i + 1 < repaired.size() && repaired[i + 1] == '\n') ++i;
      continue;
    }
    storage += c;
  }
  return storage;
}

}  // namespace

MarkdownPage html_to_markdown(std::string_view html, std::string_view base_url) {
  std::string repaired;
  const PrunedMarkup pruned = prune_markup(parser_input(html, repaired));
  const Document document = parse_html(pruned.html);
  MarkdownPage page;
  Node* root = document ? xmlDocGetRootElement(document.get()) : nullptr;
  if (!root) return page;  // nothing the parser could read: an empty page
  tag_elements(root);

  if (const Node* title = find_in_head(root, Tag::kTitle)) {
    std::string text;
    append_text(title, pruned, text);
    page.title = collapse_whitespace(text);
  }

  // <base href> changes what relative links are relative to.
  std::string base(base_url);
  if (const Node* base_element = find_in_head(root, Tag::kBase)) {
    const std::string href = url_attribute(attribute(base_element, "href"));
    if (href.empty()) {
      // nothing to change
    } else if (!base.empty()) {
      base = resolve_url(base, href);
    } else if (has_url_scheme(href)) {
      base = std::string(href);
    }
  }

  const Node* body = child_element(root, Tag::kBody);
  if (!body) body = root;
  const Node* content = find_first(body, is_main);
  if (!content) {
    std::vector<const Node*> articles;
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
  return page;
}

}  // namespace claudegpt
