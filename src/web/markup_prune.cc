#include "web/markup_prune.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "web/ascii.h"
#include "web/character_references.h"
#include "web/page_chrome.h"
#include "text/utf8.h"

namespace claudegpt {
namespace {

// Blink builds no deeper than 512 levels; deeper start tags are dropped, their content kept.
constexpr std::size_t kMaxNesting = 512;

// Shorter runs of text cost the parser less than the placeholder that would replace them.
constexpr std::size_t kMinStashed = 16;

// Private-use code points (U+F0000, U+F0001): the parser passes them through untouched, and
// pages all but never contain them.
constexpr std::string_view kStashOpen = kStashedTextOpen;
constexpr std::string_view kStashClose = "\xF3\xB0\x80\x81";

// At most so many elements are reopened after one end tag (the tree builder's inner loop
// stops at 3 too), so that markup cannot make the output grow by more than a constant factor.
constexpr std::size_t kMaxReopened = 3;

// Items (<li>, <dd>, <dt>) and cells are closed with what is open in them only when that is
// at most so many elements: a guard against markup built to make every item scan deep.
constexpr std::size_t kMaxClosedInside = 32;

bool is_tag_name_end(char c) { return is_ascii_space(c) || c == '/' || c == '>'; }

// ---------------------------------------------------------------- elements
//
// What the pass needs to know of an element, by name: kinds from WHATWG HTML's parsing
// section (§13.2), and what the parser (libxml2, an HTML 4 parser) does otherwise.

enum Kind : unsigned {
  // Never stays open in the parser's tree: void elements, and those whose start tag closes
  // the previous one there, or whose end its parent's implies. Counting them would overstate
  // the depth (which the others must count: the parser nests "<dd><dd>" or "<button><button>"
  // as deep as they go).
  kNeverNests = 1u << 0,
  // Void: never any content, whether or not the tag ends in "/>". The parser knows only
  // HTML 4's, and would nest what follows an <embed>, <source>, <track>, <wbr>, <keygen>,
  // <bgsound> or <image> inside it.
  kVoid = 1u << 1,
  // Belongs in the head: until another start tag comes (or text), the body has not begun.
  kInHead = 1u << 2,
  // Its start tag closes an open <p> ("close a p element" in the "in body" insertion mode).
  kClosesParagraph = 1u << 3,
  // "Special": ends the search for an item to close before a new <li>, <dd> or <dt>.
  kSpecial = 1u << 4,
  // A table part: ignored (start and end tags) outside a table.
  kTablePart = 1u << 5,
  // Bounds a scope: end tags do not reach past it (</div> inside a cell is ignored).
  kBoundsScope = 1u << 6,
  // Its content is not markup (or the pass removes it whole).
  kRawText = 1u << 7,
  // Raw text holding character references (RCDATA); in the others an '&' is an '&'.
  kRcdata = 1u << 8,
  kPreformatted = 1u << 9,
  // Reopened by the adoption agency when its end tag is misnested ("<b>1<i>2</b>3</i>": 3 is
  // in italics, not bold).
  kFormatting = 1u << 10,
  // Its start tag ends an unclosed <svg> (outside the SVG's HTML integration points).
  kEndsSvg = 1u << 11,
  kHeading = 1u << 12,
  kItem = 1u << 13,  // <li>, <dd>, <dt>
};

// Element names are short: compared inline, byte by byte, rather than through memcmp.
bool name_less(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

constexpr std::size_t kLongestName = 10;  // "blockquote", "figcaption"

unsigned element_kind(std::string_view name) {
  if (name.size() > kLongestName) return 0;  // custom elements, mostly
  // Sorted by name, for a binary search.
  static constexpr std::pair<std::string_view, unsigned> kElements[] = {
      {"a", kFormatting},
      {"address", kClosesParagraph},
      {"applet", kSpecial | kBoundsScope},
      {"area", kNeverNests | kVoid},
      {"article", kClosesParagraph | kSpecial},
      {"aside", kClosesParagraph | kSpecial},
      {"b", kFormatting | kEndsSvg},
      {"base", kNeverNests | kVoid | kInHead},
      {"basefont", kNeverNests | kVoid | kInHead},
      {"bgsound", kNeverNests | kVoid | kInHead},
      {"big", kFormatting | kEndsSvg},
      {"blockquote", kClosesParagraph | kSpecial | kEndsSvg},
      {"body", kNeverNests | kSpecial | kEndsSvg},
      {"br", kNeverNests | kVoid | kEndsSvg},
      {"button", kSpecial},
      {"caption", kSpecial | kTablePart},
      {"center", kClosesParagraph | kSpecial | kEndsSvg},
      {"code", kFormatting | kEndsSvg},
      {"col", kNeverNests | kVoid | kTablePart},
      {"colgroup", kNeverNests | kTablePart},
      {"dd", kClosesParagraph | kEndsSvg | kItem},
      {"details", kClosesParagraph | kSpecial},
      {"dialog", kClosesParagraph | kSpecial},
      {"dir", kClosesParagraph | kSpecial},
      {"div", kClosesParagraph | kEndsSvg},
      {"dl", kClosesParagraph | kSpecial | kEndsSvg},
      {"dt", kClosesParagraph | kEndsSvg | kItem},
      {"em", kFormatting | kEndsSvg},
      {"embed", kNeverNests | kVoid | kEndsSvg},
      {"fieldset", kClosesParagraph | kSpecial},
      {"figcaption", kClosesParagraph | kSpecial},
      {"figure", kClosesParagraph | kSpecial},
      {"font", kFormatting},
      {"footer", kClosesParagraph | kSpecial},
      {"form", kNeverNests | kClosesParagraph | kSpecial},
      {"frame", kNeverNests | kVoid},
      {"frameset", kSpecial},
      {"h1", kClosesParagraph | kSpecial | kEndsSvg | kHeading},
      {"h2", kClosesParagraph | kSpecial | kEndsSvg | kHeading},
      {"h3", kClosesParagraph | kSpecial | kEndsSvg | kHeading},
      {"h4", kClosesParagraph | kSpecial | kEndsSvg | kHeading},
      {"h5", kClosesParagraph | kSpecial | kEndsSvg | kHeading},
      {"h6", kClosesParagraph | kSpecial | kEndsSvg | kHeading},
      {"head", kNeverNests | kInHead | kEndsSvg},
      {"header", kClosesParagraph | kSpecial},
      {"hgroup", kClosesParagraph | kSpecial},
      {"hr", kNeverNests | kVoid | kClosesParagraph | kEndsSvg},
      {"html", kNeverNests | kInHead},
      {"i", kFormatting | kEndsSvg},
      {"iframe", kSpecial | kRawText},
      {"image", kNeverNests | kVoid},
      {"img", kNeverNests | kVoid | kEndsSvg},
      {"input", kNeverNests | kVoid},
      {"keygen", kNeverNests | kVoid},
      {"li", kClosesParagraph | kEndsSvg | kItem},
      {"link", kNeverNests | kVoid | kInHead},
      {"listing", kClosesParagraph | kSpecial | kPreformatted | kEndsSvg},
      {"main", kClosesParagraph | kSpecial},
      {"marquee", kSpecial | kBoundsScope},
      {"menu", kClosesParagraph | kSpecial | kEndsSvg},
      {"meta", kNeverNests | kVoid | kInHead | kEndsSvg},
      {"nav", kClosesParagraph | kSpecial},
      {"nobr", kEndsSvg},
      {"noembed", kSpecial | kRawText},
      {"noframes", kSpecial | kRawText},
      {"noscript", kInHead | kSpecial},
      {"object", kSpecial | kBoundsScope},
      {"ol", kClosesParagraph | kSpecial | kEndsSvg},
      {"p", kNeverNests | kClosesParagraph | kEndsSvg},
      {"param", kNeverNests | kVoid},
      {"plaintext", kClosesParagraph | kSpecial | kRawText},
      {"pre", kClosesParagraph | kSpecial | kPreformatted | kEndsSvg},
      {"ruby", kEndsSvg},
      {"s", kFormatting | kEndsSvg},
      {"script", kInHead | kRawText},
      {"search", kSpecial},
      {"section", kClosesParagraph | kSpecial},
      {"select", kSpecial},
      {"small", kFormatting | kEndsSvg},
      {"source", kNeverNests | kVoid},
      {"span", kEndsSvg},
      {"strike", kFormatting | kEndsSvg},
      {"strong", kFormatting | kEndsSvg},
      {"style", kInHead | kRawText},
      {"sub", kEndsSvg},
      {"summary", kClosesParagraph | kSpecial},
      {"sup", kEndsSvg},
      {"svg", kRawText},
      {"table", kClosesParagraph | kSpecial | kBoundsScope | kEndsSvg},
      {"tbody", kSpecial | kTablePart},
      {"td", kSpecial | kTablePart},
      {"template", kInHead | kSpecial | kBoundsScope},
      {"textarea", kSpecial | kRawText | kRcdata},
      {"tfoot", kSpecial | kTablePart},
      {"th", kSpecial | kTablePart},
      {"thead", kSpecial | kTablePart},
      {"title", kInHead | kSpecial | kRawText | kRcdata},
      {"tr", kSpecial | kTablePart},
      {"track", kNeverNests | kVoid},
      {"tt", kFormatting | kEndsSvg},
      {"u", kFormatting | kEndsSvg},
      {"ul", kClosesParagraph | kSpecial | kEndsSvg},
      {"var", kEndsSvg},
      {"wbr", kNeverNests | kVoid},
      {"xmp", kClosesParagraph | kSpecial | kRawText},
  };
  const auto* it = std::lower_bound(std::begin(kElements), std::end(kElements), name,
                                    [](const auto& entry, std::string_view n) {
                                      return name_less(entry.first, n);
                                    });
  return it != std::end(kElements) && it->first == name ? it->second : 0;
}

// ---------------------------------------------------------------- tokens

// Reads the attributes of a tag whose name ends at `pos` as the HTML tokenizer does, calling
// `on_attribute(name, whole)` for each ("whole" is name=value as written). Returns the index
// just past the '>' ending the tag, or npos when the input ends first (the tag is then lost).
template <typename F>
std::size_t scan_tag(std::string_view html, std::size_t pos, bool* self_closing, F on_attribute) {
  const std::size_t n = html.size();
  *self_closing = false;
  while (true) {
    while (pos < n && (is_ascii_space(html[pos]) || html[pos] == '/')) {
      *self_closing = html[pos] == '/';
      ++pos;
    }
    if (pos >= n) return std::string_view::npos;
    if (html[pos] == '>') return pos + 1;
    *self_closing = false;
    const std::size_t name_start = pos;
    if (html[pos] == '=') ++pos;  // an '=' opening a name belongs to the name
    while (pos < n && !is_ascii_space(html[pos]) && html[pos] != '/' && html[pos] != '>' &&
           html[pos] != '=') {
      ++pos;
    }
    const std::size_t name_end = pos;
    std::size_t end = name_end;
    std::size_t after = pos;
    while (after < n && is_ascii_space(html[after])) ++after;
    if (after < n && html[after] == '=') {
      pos = after + 1;
      while (pos < n && is_ascii_space(html[pos])) ++pos;
      if (pos < n && (html[pos] == '"' || html[pos] == '\'')) {
        const std::size_t close = html.find(html[pos], pos + 1);
        if (close == std::string_view::npos) return std::string_view::npos;
        pos = close + 1;
      } else {
        while (pos < n && !is_ascii_space(html[pos]) && html[pos] != '>') ++pos;
      }
      end = pos;
    }
    on_attribute(html.substr(name_start, name_end - name_start),
                 html.substr(name_start, end - name_start));
  }
}

// Index just past the tag whose attributes start at `pos`; the end of the input if unclosed.
std::size_t tag_end(std::string_view html, std::size_t pos, bool* self_closing = nullptr) {
  bool closing = false;
  const std::size_t end = scan_tag(html, pos, &closing, [](std::string_view, std::string_view) {});
  if (self_closing) *self_closing = closing;
  return end == std::string_view::npos ? html.size() : end;
}

// Index just past the comment starting at `lt` ("<!--"); the end of input if unterminated.
std::size_t comment_end(std::string_view html, std::size_t lt) {
  std::size_t pos = lt + 4;
  if (html.substr(pos, 1) == ">") return pos + 1;   // <!-->
  if (html.substr(pos, 2) == "->") return pos + 2;  // <!--->
  while (true) {
    pos = html.find("--", pos);
    if (pos == std::string_view::npos) return html.size();
    if (html.substr(pos + 2, 1) == ">") return pos + 3;
    if (html.substr(pos + 2, 2) == "!>") return pos + 4;
    ++pos;
  }
}

// Index of the end tag </name> at or after `pos`; the end of input if there is none (a
// raw-text element runs to the end of the document).
std::size_t raw_text_close(std::string_view html, std::size_t pos, std::string_view name) {
  while (true) {
    pos = html.find("</", pos);
    if (pos == std::string_view::npos) return html.size();
    const std::size_t after = pos + 2 + name.size();
    if (starts_with_ci(html.substr(pos + 2), name) &&
        (after >= html.size() || is_tag_name_end(html[after]))) {
      return pos;
    }
    pos += 2;
  }
}

// Index just past the end tag </name> at or after `pos`; the end of input if there is none.
std::size_t raw_text_end(std::string_view html, std::size_t pos, std::string_view name) {
  const std::size_t close = raw_text_close(html, pos, name);
  return close == html.size() ? close : tag_end(html, close + 2 + name.size());
}

struct TagToken {
  bool end = false;
  std::string_view name;  // lower-case, in `storage`
  std::string storage;
  unsigned kind = 0;
  std::size_t name_end = 0;
  bool self_closing = false;
};

// Reads the name of the tag at `lt` if it is one ('<' then an optional '/' then a letter).
bool read_tag_name(std::string_view html, std::size_t lt, TagToken* tag) {
  std::size_t pos = lt + 1;
  tag->end = pos < html.size() && html[pos] == '/';
  if (tag->end) ++pos;
  if (pos >= html.size() || !is_ascii_alpha(html[pos])) return false;
  const std::size_t name_start = pos;
  while (pos < html.size() && !is_tag_name_end(html[pos])) ++pos;
  tag->storage.assign(html.substr(name_start, pos - name_start));
  for (char& c : tag->storage) c = ascii_lower(c);
  tag->name = tag->storage;
  tag->kind = element_kind(tag->name);
  tag->name_end = pos;
  return true;
}

// Index just past the </svg> closing the <svg> whose start tag ends at `pos`, or npos when an
// HTML element breaks out of it first (`breakout` is then set to where that element's tag
// starts). Inside <foreignObject>, <desc> and <title> (HTML integration points), HTML elements
// belong to the SVG.
std::size_t svg_end(std::string_view html, std::size_t pos, std::size_t* breakout) {
  int depth = 1;
  int integration = 0;
  TagToken tag;
  while (true) {
    const std::size_t lt = html.find('<', pos);
    if (lt == std::string_view::npos) return html.size();
    if (html.substr(lt, 4) == "<!--") {
      pos = comment_end(html, lt);
      continue;
    }
    if (html.substr(lt, 9) == "<![CDATA[") {  // text, however tag-like
      pos = html.find("]]>", lt + 9);
      if (pos == std::string_view::npos) return html.size();
      continue;
    }
    if (!read_tag_name(html, lt, &tag)) {
      pos = lt + 1;
      continue;
    }
    pos = tag_end(html, tag.name_end, &tag.self_closing);
    if (tag.name == "svg") {
      if (tag.end) {
        if (--depth == 0) return pos;
      } else if (!tag.self_closing) {
        ++depth;
      }
    } else if (tag.name == "foreignobject" || tag.name == "desc" || tag.name == "title") {
      if (tag.end) {
        integration = std::max(integration - 1, 0);
      } else if (!tag.self_closing) {
        ++integration;
      }
    } else if (!tag.end && integration == 0 && (tag.kind & kEndsSvg)) {
      *breakout = lt;
      return std::string_view::npos;
    }
  }
}

// ---------------------------------------------------------------- attributes

// The value of an attribute as written ("name=value", quoted or not), entities left alone.
std::string_view attribute_value(std::string_view whole) {
  const std::size_t equals = whole.find('=', 1);
  if (equals == std::string_view::npos) return {};
  std::string_view value = whole.substr(equals + 1);
  while (!value.empty() && is_ascii_space(value.front())) value.remove_prefix(1);
  if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
    value = value.substr(1, value.size() - 2);
  }
  return value;
}

// Whether the converter reads this attribute of a `tag` element.
bool attribute_is_read(std::string_view tag, std::string_view name, std::string_view whole) {
  static constexpr std::string_view kRead[] = {
      "href",  "src",   "data-src", "data-lazy-src", "alt",       "role",         "hidden",
      "aria-hidden", "start", "value", "colspan",  "open", "data-lang", "data-language"};
  if (name.size() > 13) return false;
  char buffer[16];
  for (std::size_t i = 0; i < name.size(); ++i) buffer[i] = ascii_lower(name[i]);
  const std::string_view lower(buffer, name.size());
  if (lower == "class") {  // page chrome, or a code block's language
    if (tag == "pre" || tag == "code") return true;
    const std::string_view value = attribute_value(whole);
    return names_page_chrome(value) || contains_ci(value, "lang") ||
           contains_ci(value, "highlight");
  }
  if (lower == "id") return names_page_chrome(attribute_value(whole));
  if (lower == "style") {  // display: none, visibility: hidden
    const std::string_view value = attribute_value(whole);
    return contains_ci(value, "none") || contains_ci(value, "hidden");
  }
  return std::find(std::begin(kRead), std::end(kRead), lower) != std::end(kRead);
}

// ---------------------------------------------------------------- text

// Text the parser would pass through unchanged: well-formed UTF-8 without NUL or CR (which it
// replaces or normalises).
bool is_plain_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '\0' || s[i] == '\r') return false;
    const Utf8Sequence sequence = next_utf8_sequence(s, i);
    if (!sequence.valid) return false;
    i += sequence.size;
  }
  return true;
}

// Index just past the character reference starting at `amp` ('&'), as far as it can reach.
std::size_t reference_end(std::string_view s, std::size_t amp) {
  std::size_t i = amp + 1;
  while (i < s.size() && (is_ascii_alnum(s[i]) || s[i] == '#')) ++i;
  if (i < s.size() && s[i] == ';') ++i;
  return i;
}

class Pruner {
 public:
  explicit Pruner(std::string_view html) : html_(html), reopen_budget_(html.size()) {
    out_.html.reserve(html.size() / 2);
    stash_ = html.find(kStashOpen) == std::string_view::npos &&
             html.find(kStashClose) == std::string_view::npos;
  }

  PrunedMarkup run() {
    const std::size_t n = html_.size();
    std::size_t pos = 0;
    std::size_t text_start = 0;  // where the text before the next tag begins
    while (true) {
      const std::size_t lt = html_.find('<', pos);
      if (lt == std::string_view::npos) break;
      const char next = lt + 1 < n ? html_[lt + 1] : '\0';
      if (next == '!' || next == '?' ||
          (next == '/' && !(lt + 2 < n && is_ascii_alpha(html_[lt + 2])))) {
        // A comment, a doctype, or a bogus comment (<?php … ?>, </ >).
        text(text_start, lt);
        if (html_.substr(lt, 4) == "<!--") {
          pos = comment_end(html_, lt);
        } else if (html_.substr(lt, 9) == "<![CDATA[") {
          // Text only in SVG and MathML, both dropped; elsewhere a bogus comment.
          const std::size_t close = html_.find("]]>", lt + 9);
          pos = close == std::string_view::npos ? n : close + 3;
        } else {
          const std::size_t gt = html_.find('>', lt);
          pos = gt == std::string_view::npos ? n : gt + 1;
        }
        // Only a doctype before the first tag means anything. What is a bogus comment to a
        // browser is not always one to the parser (it reads "<?x?>" as a processing
        // instruction, "</ x>" as text).
        if (tag_seen_ || !starts_with_ci(html_.substr(lt), "<!doctype")) drop(lt, pos);
        text_start = pos;
        continue;
      }
      if (!read_tag_name(html_, lt, &tag_)) {
        pos = lt + 1;  // a '<' in text
        continue;
      }
      tag_seen_ = true;
      text(text_start, lt);
      if (!tag(lt, &pos)) return std::move(out_);  // the rest is not markup
      text_start = pos;
    }
    text(text_start, n);
    copy(n);
    return std::move(out_);
  }

 private:
  struct OpenElement {
    std::string name;
    unsigned kind;
    std::string start_tag;  // formatting elements only: the tag that reopens them
  };
  struct Item {
    std::size_t index;  // in open_
    bool li;            // <li>, or <dd>/<dt>
  };

  // Handles the tag read into tag_ at `lt`; sets `pos` past it (and past its content when
  // that is not markup). False when the rest of the input is not markup.
  bool tag(std::size_t lt, std::size_t* pos) {
    if (tag_.kind & kTablePart) {
      if (tables_.empty() || tag_.name == "col" || tag_.name == "colgroup") {
        // Browsers ignore table parts outside a table, which the parser would make elements
        // of; and <colgroup> and <col> show nothing.
        *pos = tag_end(html_, tag_.name_end);
        drop(lt, *pos);
        return true;
      }
      if (!tag_.end) close_table_parts(lt);
    }
    if (tag_.end) {
      *pos = tag_end(html_, tag_.name_end);
      end_tag(lt, *pos);
      return true;
    }

    // In MathML only script and style hold no markup: a <title> there is an element.
    if ((tag_.kind & kRawText) &&
        (math_ == 0 || tag_.name == "script" || tag_.name == "style" || tag_.name == "svg")) {
      *pos = tag_end(html_, tag_.name_end, &tag_.self_closing);
      if (tag_.name == "script" || tag_.name == "style") {
        *pos = raw_text_end(html_, *pos, tag_.name);
        drop(lt, *pos);
      } else if (tag_.name == "svg") {
        // Dropped whole, up to its end tag or to the first HTML element that ends it in a
        // browser: the parser knows nothing of SVG, and would nest that HTML inside it.
        std::size_t breakout = 0;
        const std::size_t end = tag_.self_closing ? *pos : svg_end(html_, *pos, &breakout);
        *pos = end == std::string_view::npos ? breakout : end;
        drop(lt, *pos);
      } else if (tag_.name == "plaintext") {
        body_ = true;
        copy(*pos);
        raw_text(*pos, html_.size(), false);
        return false;
      } else {
        // Kept, with what a browser reads as text made text to the parser too: it reads
        // only <script> and <style> as raw text.
        if (tag_.name != "title") body_ = true;
        const std::size_t close = raw_text_close(html_, *pos, tag_.name);
        copy(*pos);
        raw_text(*pos, close, tag_.kind & kRcdata);
        *pos = close == html_.size() ? close : tag_end(html_, close + 2 + tag_.name.size());
      }
      return true;
    }
    return start_tag(lt, pos);
  }

  // A start tag, written again with only the attributes the converter reads, after the end
  // tags a browser implies before it.
  bool start_tag(std::size_t lt, std::size_t* pos) {
    if (!(tag_.kind & kInHead)) body_ = true;
    if ((tag_.kind & kHeading) && !open_.empty() && (open_.back().kind & kHeading)) {
      // A heading right inside a heading: browsers close the first, the parser nests them.
      write_end_tags(lt, open_.size() - 1);
    }
    if (tag_.kind & kClosesParagraph) paragraph_at_ = -1;
    if (tag_.name == "p") paragraph_at_ = static_cast<int>(open_.size());
    if (tag_.kind & kItem) open_item(lt);
    if (tag_.name == "option") close_option(lt);
    if (tag_.name == "a") close_formatting(lt, lt);  // browsers close an open <a> first

    kept_.clear();
    bool unread = false;
    const std::size_t end = scan_tag(html_, tag_.name_end, &tag_.self_closing,
                                     [&](std::string_view name, std::string_view whole) {
                                       if (attribute_is_read(tag_.name, name, whole)) {
                                         kept_.push_back(whole);
                                       } else {
                                         unread = true;
                                       }
                                     });
    if (end == std::string_view::npos) {  // cut off by the end of the input: browsers drop it
      drop(lt, html_.size());
      return false;
    }
    *pos = end;
    // Browsers ignore the "/" of "<div/>" but for void elements (and in MathML); the parser
    // ends any element so written.
    const bool self_closing = (tag_.kind & kVoid) || (tag_.self_closing && math_ > 0);
    if (!(tag_.kind & kNeverNests)) {
      if (open_.size() >= kMaxNesting) {
        drop(lt, end);  // flattened: the content stays, the element does not
        return true;
      }
      push();
    }
    if (unread || self_closing != tag_.self_closing) {
      copy(tag_.name_end);
      copied_ = end;
      for (std::string_view attribute : kept_) out_.html.append(" ").append(attribute);
      // After an unquoted value, a "/" would be part of the value.
      const bool unquoted = !kept_.empty() && kept_.back().find('=') != std::string_view::npos &&
                            kept_.back().back() != '"' && kept_.back().back() != '\'';
      out_.html.append(!self_closing ? ">" : unquoted ? " />" : "/>");
    }
    return true;
  }

  // An end tag, html_[lt, end).
  void end_tag(std::size_t lt, std::size_t end) {
    if (tag_.name == "body" || tag_.name == "html") {
      // Browsers put what follows these back in the body; the parser would put it after.
      drop(lt, end);
    } else if (tag_.name == "br") {
      drop(lt, end);  // browsers read </br> as <br>
      out_.html.append("<br>");
      body_ = true;
    } else if (tag_.name == "p") {
      if (paragraph_at_ < 0 && body_) {
        // No <p> is open: browsers make an empty paragraph of it, the parser nothing. An
        // empty <div> is a paragraph break to the converter too, and unlike a <p> does not
        // make the parser close the inline elements open around it.
        drop(lt, end);
        out_.html.append("<div></div>");
      }
      paragraph_at_ = -1;
    } else if (tag_.kind & kItem) {
      close_item(lt, end);
    } else if (tag_.kind & kFormatting) {
      close_formatting(lt, end);
    } else {
      close_element(lt, end);
    }
  }

  // The end tag of an element that is not an item or a formatting element, html_[lt, end):
  // it closes the nearest open element of its name and all opened after it, unless one of
  // those bounds a scope, when browsers ignore it. The parser would also ignore it when one
  // of them is a <div> or a table part (its "end priority"), leaving what follows inside (a
  // whole page in a <nav> with an unclosed <div>): so those get their end tags written out.
  void close_element(std::size_t lt, std::size_t end) {
    // Any heading's end tag ends the open heading: "<h1>x</h2>".
    const bool heading = tag_.kind & kHeading;
    const auto it = std::find_if(open_.rbegin(), open_.rend(), [&](const OpenElement& e) {
      return e.name == tag_.name || (heading && (e.kind & kHeading));
    });
    if (it == open_.rend() || out_of_reach(it)) return;
    const std::size_t index = static_cast<std::size_t>(open_.rend() - it) - 1;
    if (it->name != tag_.name) {
      write_end_tags(lt, index);
      drop(lt, end);
      return;
    }
    write_end_tags(lt, index + 1);
    pop_to_size(index);
  }

  // The end tag of a formatting element, html_[lt, end) (or, with `end` == `lt`, the start
  // tag of an <a> while another is open, which browsers close first). When formatting
  // elements opened after it are still open, a browser closes them with it and opens them
  // again after it; the parser would only close them, so the pass writes them out closed and
  // reopened.
  void close_formatting(std::size_t lt, std::size_t end) {
    const auto it = std::find_if(open_.rbegin(), open_.rend(),
                                 [&](const OpenElement& e) { return e.name == tag_.name; });
    if (it == open_.rend() || out_of_reach(it)) return;
    const std::size_t above = static_cast<std::size_t>(it - open_.rbegin());
    const std::size_t index = open_.size() - 1 - above;
    if (above == 0 && end != lt) {  // well nested
      pop_to_size(index);
      return;
    }
    std::size_t reopened = 0;  // bytes
    const bool formatting_above = std::all_of(open_.rbegin(), it, [&](const OpenElement& e) {
      reopened += e.start_tag.size();
      return (e.kind & kFormatting) != 0;
    });
    const bool reopen =
        above <= kMaxReopened && formatting_above && reopened <= reopen_budget_;
    if (!reopen && end == lt) {
      write_end_tags(lt, index);
      return;
    }
    if (!reopen) {
      // Left to the parser, which ignores an end tag while a <div> or a table part is open
      // above its element, and otherwise closes what is.
      const bool ignored = std::any_of(open_.rbegin(), it, [](const OpenElement& e) {
        return e.name == "div" || ((e.kind & kTablePart) && e.name != "caption");
      });
      if (!ignored) pop_to_size(index);
      return;
    }
    reopen_budget_ -= reopened;
    copy(lt);
    for (std::size_t i = open_.size(); i-- > index;) {
      out_.html.append("</").append(open_[i].name).append(">");
    }
    copied_ = end;
    for (std::size_t i = index + 1; i < open_.size(); ++i) out_.html.append(open_[i].start_tag);
    open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(index));
    closed_to(index);
  }

  // A start tag <li>, <dd> or <dt> at `lt`. Browsers close the item open in the same list
  // first (<dd> and <dt> close each other), with what is open inside it, unless that holds a
  // list or another special element: then the new item nests. The parser closes an <li> only
  // when it is the current element, and never a <dd> or <dt>.
  void open_item(std::size_t lt) {
    if (items_.empty() || items_.back().li != (tag_.name == "li")) return;
    const std::size_t index = items_.back().index;
    const bool closable =
        open_.size() - index <= kMaxClosedInside &&
        std::all_of(open_.begin() + static_cast<std::ptrdiff_t>(index) + 1, open_.end(),
                    [](const OpenElement& e) {
                      return !(e.kind & kSpecial) || e.name == "address";
                    });
    if (closable) write_end_tags(lt, index);
  }

  // A start tag <option> at `lt`. Browsers close an open <option> first when it is the
  // current element, the parser too; but an <option> the parser left open holds what follows
  // (a <p> or <form> the parser nests in it, in which the next <option> nests…), so an open
  // one is closed, with what is open inside it, unless that holds a special element.
  void close_option(std::size_t lt) {
    const auto it = std::find_if(open_.rbegin(), open_.rend(),
                                 [](const OpenElement& e) { return e.name == "option"; });
    if (it == open_.rend() || static_cast<std::size_t>(it - open_.rbegin()) > kMaxClosedInside ||
        std::any_of(open_.rbegin(), it,
                    [](const OpenElement& e) { return (e.kind & kSpecial) != 0; })) {
      return;
    }
    write_end_tags(lt, static_cast<std::size_t>(open_.rend() - it) - 1);
  }

  // An end tag </li>, </dd> or </dt>, html_[lt, end): it closes what is open inside the item
  // too. Browsers ignore it when a list lies in between; the parser would close the list.
  void close_item(std::size_t lt, std::size_t end) {
    if (items_.empty() || open_[items_.back().index].name != tag_.name) return;
    const std::size_t index = items_.back().index;
    if (open_.size() - index > kMaxClosedInside) return;
    const bool li = tag_.name == "li";
    const bool in_list = std::any_of(
        open_.begin() + static_cast<std::ptrdiff_t>(index) + 1, open_.end(), [&](const auto& e) {
          return (e.kind & kBoundsScope) || (li && (e.name == "ul" || e.name == "ol"));
        });
    if (in_list) {
      drop(lt, end);
      return;
    }
    write_end_tags(lt, index + 1);
    pop_to_size(index);
  }

  // The start tag of a table part at `lt`: browsers close the parts of the innermost table
  // it cannot be inside (the open cell before a cell; the cell and the row before a row…),
  // with what is open in them; the parser closes one only when it is the current element,
  // and would nest the next cell inside an unclosed <code> or <div>.
  void close_table_parts(std::size_t lt) {
    const std::size_t table = tables_.back();
    constexpr std::size_t kNone = std::string_view::npos;
    std::size_t section = kNone, row = kNone, cell = kNone;
    for (std::size_t i = table + 1; i < open_.size() && i <= table + kMaxClosedInside; ++i) {
      const std::string_view name = open_[i].name;
      if (name == "tbody" || name == "thead" || name == "tfoot") {
        section = i;
      } else if (name == "tr") {
        row = i;
      } else if (name == "td" || name == "th") {
        cell = i;
        break;
      }
    }
    std::size_t from = cell;
    if (tag_.name == "tr") {
      from = std::min(row, cell);
    } else if (tag_.name == "tbody" || tag_.name == "thead" || tag_.name == "tfoot") {
      from = std::min({section, row, cell});
    } else if (tag_.name == "caption") {
      from = table + 1;
    }
    if (from != kNone) write_end_tags(lt, from);
  }

  // Whether an element the end tag being read names, open_ at `it`, is out of its reach.
  bool out_of_reach(std::vector<OpenElement>::reverse_iterator it) {
    return std::any_of(open_.rbegin(), it, [](const OpenElement& e) {
      return (e.kind & kBoundsScope) != 0;
    });
  }

  // Writes end tags at `lt` for the elements from open_[level] up, top down, and closes them:
  // the parser then closes exactly these.
  void write_end_tags(std::size_t lt, std::size_t level) {
    if (level >= open_.size()) return;
    copy(lt);
    for (std::size_t i = open_.size(); i-- > level;) {
      out_.html.append("</").append(open_[i].name).append(">");
    }
    pop_to_size(level);
  }

  // html_[from, to) is text between tags: copied, or stashed in pieces between references.
  // Its leading and trailing whitespace are always copied: the parser treats whitespace-only
  // text apart (in tables, after <pre>, in <head>).
  void text(std::size_t from, std::size_t to) {
    copy(from);
    std::size_t start = from;
    while (start < to && is_ascii_space(html_[start])) ++start;
    std::size_t end = to;
    while (end > start && is_ascii_space(html_[end - 1])) --end;
    if (start < end) body_ = true;
    std::size_t pos = start;
    while (pos < end) {
      std::size_t amp = html_.substr(pos, end - pos).find('&');
      amp = amp == std::string_view::npos ? end : pos + amp;
      const std::string_view piece = html_.substr(pos, amp - pos);
      if (stash_ && piece.size() >= kMinStashed && is_plain_text(piece)) {
        copy(pos);
        char digits[24];
        const auto result =
            std::to_chars(std::begin(digits), std::end(digits), out_.stashed.size());
        out_.html.append(kStashOpen);
        out_.html.append(digits, result.ptr);
        out_.html.append(kStashClose);
        out_.stashed.push_back(piece);
        copied_ = amp;
      }
      if (amp == end) break;
      pos = reference(amp, to);
    }
    copy(to);  // now, while it is known whether a <pre> holds it
  }

  // The character reference at html_[amp] ('&') in text ending at `to`: rewritten when the
  // parser would read it otherwise than a browser, else left to it. Returns where it ends.
  std::size_t reference(std::size_t amp, std::size_t to) {
    const std::string_view text = html_.substr(0, to);
    copy(amp);
    const std::size_t end = rewrite_character_reference(text, amp, out_.html);
    if (end == amp) return reference_end(text, amp);
    copied_ = end;
    return end;
  }

  // The text of a raw text element (or what follows <plaintext>), html_[from, to), made text
  // to the parser: '<' escaped, and '&' too unless it holds `references` (RCDATA).
  void raw_text(std::size_t from, std::size_t to, bool references) {
    copy(from);
    for (std::size_t i = from; i < to; ++i) {
      if (html_[i] == '<') {
        copy(i);
        out_.html.append("&lt;");
        copied_ = i + 1;
      } else if (html_[i] == '&') {
        if (references) {
          i = reference(i, to) - 1;
        } else {
          copy(i);
          out_.html.append("&amp;");
          copied_ = i + 1;
        }
      }
    }
    copy(to);
  }

  // Copies html_[copied_, to) to the output, whitespace runs collapsed outside <pre>.
  void copy(std::size_t to) {
    if (to <= copied_) return;
    const std::string_view text = html_.substr(copied_, to - copied_);
    copied_ = to;
    if (preformatted_ > 0) {
      out_.html.append(text);
      return;
    }
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t space = i;
      while (space < text.size() && !is_ascii_space(text[space])) ++space;
      std::size_t end = space;
      while (end < text.size() && is_ascii_space(text[end])) ++end;
      out_.html.append(text.substr(i, std::min(space + 1, end) - i));
      i = end;
    }
  }

  void drop(std::size_t from, std::size_t to) {
    copy(from);
    copied_ = std::max(copied_, to);
  }

  // Opens the element of the start tag read.
  void push() {
    if (tag_.kind & kPreformatted) ++preformatted_;
    if (tag_.name == "math") ++math_;
    if (tag_.name == "table") tables_.push_back(open_.size());
    if (tag_.kind & kItem) items_.push_back({open_.size(), tag_.name == "li"});
    std::string start_tag;
    if (tag_.kind & kFormatting) {
      start_tag.append("<").append(tag_.name);
      for (std::string_view attribute : kept_) start_tag.append(" ").append(attribute);
      start_tag.append(">");
    }
    open_.push_back({std::string(tag_.name), tag_.kind, std::move(start_tag)});
  }

  // Closes the elements from open_[size] up.
  void pop_to_size(std::size_t size) {
    for (std::size_t i = size; i < open_.size(); ++i) {
      if (open_[i].kind & kPreformatted) --preformatted_;
      if (open_[i].name == "math") --math_;
    }
    if (size < open_.size()) {
      open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(size), open_.end());
    }
    closed_to(open_.size());
  }

  // Elements from open_[size] up are closed: so are the <p>, items and tables among them or
  // inside them.
  void closed_to(std::size_t size) {
    if (paragraph_at_ > static_cast<int>(size)) paragraph_at_ = -1;
    while (!items_.empty() && items_.back().index >= size) items_.pop_back();
    while (!tables_.empty() && tables_.back() >= size) tables_.pop_back();
  }

  std::string_view html_;
  PrunedMarkup out_;
  bool stash_ = true;
  std::size_t copied_ = 0;         // html_[copied_, …) is not yet in the output
  bool tag_seen_ = false;          // a start or end tag has been read
  bool body_ = false;              // the body has begun (text, or a tag not for the head)
  // Bytes of start tags that reopening may still write: "<b>"×500, an <a> with a long href,
  // then "</b>"×500 would otherwise write the <a> 500 times.
  std::size_t reopen_budget_;
  TagToken tag_;
  std::vector<std::string_view> kept_;  // attributes of the current start tag
  // An approximate stack of open elements (without those that never nest), and where in it
  // some elements are, or began: an element that began at `level` is a child of
  // open_[level - 1].
  std::vector<OpenElement> open_;
  int preformatted_ = 0;              // <pre> and <listing> elements in open_
  int math_ = 0;                      // <math> elements in open_
  std::vector<std::size_t> tables_;   // indices of the <table> elements in open_
  int paragraph_at_ = -1;             // level of the open <p>; -1: none
  std::vector<Item> items_;           // the <li>, <dd> and <dt> elements in open_
};

}  // namespace

PrunedMarkup prune_markup(std::string_view html) { return Pruner(html).run(); }

void unstash_text(std::string_view text, const PrunedMarkup& pruned, std::string& out) {
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find(kStashOpen, pos);
    const std::size_t close = open == std::string_view::npos
                                  ? open
                                  : text.find(kStashClose, open + kStashOpen.size());
    if (close == std::string_view::npos) break;
    const char* digits = text.data() + open + kStashOpen.size();
    std::size_t index = 0;
    const auto result = std::from_chars(digits, text.data() + close, index);
    if (result.ptr != text.data() + close || index >= pruned.stashed.size()) break;
    out.append(text.substr(pos, open - pos));
    out.append(pruned.stashed[index]);
    pos = close + kStashClose.size();
  }
  out.append(text.substr(pos));
}

}  // namespace claudegpt
