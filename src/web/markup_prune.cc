#include "web/markup_prune.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>

#include "web/ascii.h"
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

bool name_in(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_tag_name_end(char c) { return is_ascii_space(c) || c == '/' || c == '>'; }

// ---------------------------------------------------------------- elements

// Elements that never stay open: void elements, and those whose start tag closes the previous
// one or whose end is implied by their parent's. Counting them would overstate the depth.
bool never_nests(std::string_view name) {
  return name_in(name, {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                        "meta", "param", "source", "track", "wbr", "keygen", "basefont",
                        "bgsound", "frame", "image", "p", "li", "dt", "dd", "option",
                        "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "caption",
                        "colgroup", "rb", "rt", "rtc", "rp", "html", "head", "body", "a",
                        "nobr", "button", "form"});
}

// Elements whose content is not markup (or that the pass removes whole).
bool is_raw_text(std::string_view name) {
  return name_in(name, {"script", "style", "svg", "title", "textarea", "xmp", "iframe",
                        "noembed", "noframes", "plaintext"});
}

bool is_preformatted(std::string_view name) { return name == "pre" || name == "listing"; }

// HTML start tags that end foreign content: an unclosed <svg> followed by one of these is
// closed by the parser, so the pass must not swallow what follows.
bool breaks_out_of_svg(std::string_view name) {
  return name_in(name, {"b", "big", "blockquote", "body", "br", "center", "code", "dd", "div",
                        "dl", "dt", "em", "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head",
                        "hr", "i", "img", "li", "listing", "menu", "meta", "nobr", "ol", "p",
                        "pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup",
                        "table", "tt", "u", "ul", "var"});
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

// Index just past the end tag </name> at or after `pos`; the end of input if there is none
// (a raw-text element runs to the end of the document).
std::size_t raw_text_end(std::string_view html, std::size_t pos, std::string_view name) {
  while (true) {
    pos = html.find("</", pos);
    if (pos == std::string_view::npos) return html.size();
    const std::size_t after = pos + 2 + name.size();
    if (starts_with_ci(html.substr(pos + 2), name) &&
        (after >= html.size() || is_tag_name_end(html[after]))) {
      return tag_end(html, after);
    }
    pos += 2;
  }
}

struct TagToken {
  bool end = false;
  std::string name;  // lower-case
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
  tag->name.assign(html.substr(name_start, pos - name_start));
  for (char& c : tag->name) c = ascii_lower(c);
  tag->name_end = pos;
  return true;
}

// Index just past the </svg> closing the <svg> whose start tag ends at `pos`, or npos when an
// HTML element breaks out of it first (then the parser decides; `breakout` is set to where).
std::size_t svg_end(std::string_view html, std::size_t pos, std::size_t* breakout) {
  int depth = 1;
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
    } else if (!tag.end && breaks_out_of_svg(tag.name)) {
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
  explicit Pruner(std::string_view html) : html_(html) {
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
          drop(lt, pos);
        } else if (html_.substr(lt, 9) == "<![CDATA[") {
          // Text only in SVG and MathML, both dropped; and gumbo 0.10 asserts on CDATA in
          // foreign content inside a table.
          const std::size_t close = html_.find("]]>", lt + 9);
          pos = close == std::string_view::npos ? n : close + 3;
          drop(lt, pos);
        } else {
          const std::size_t gt = html_.find('>', lt);
          pos = gt == std::string_view::npos ? n : gt + 1;
          // A doctype after the first tag means nothing, and gumbo 0.10 leaks the one it
          // meets inside a <noscript> in the head (its name and identifiers: a page could
          // leak its own size on every fetch).
          if (tag_seen_ && starts_with_ci(html_.substr(lt), "<!doctype")) drop(lt, pos);
        }
        text_start = pos;
        continue;
      }
      if (!read_tag_name(html_, lt, &tag_)) {
        pos = lt + 1;  // a '<' in text
        continue;
      }
      tag_seen_ = true;
      text(text_start, lt);
      if (!tag(lt, &pos)) {
        copy(n);  // the rest is not markup: <plaintext>, or a tag the input cuts off
        return std::move(out_);
      }
      text_start = pos;
    }
    text(text_start, n);
    copy(n);
    return std::move(out_);
  }

 private:
  // Handles the tag read into tag_ at `lt`; sets `pos` past it (and past its content when
  // that is not markup). False when the rest of the input is not markup.
  bool tag(std::size_t lt, std::size_t* pos) {
    if (tag_.end) {
      *pos = tag_end(html_, tag_.name_end);
      if (tag_.name == "form") {
        // gumbo 0.10 closes a form before flushing the text just ahead of </form>, which so
        // lands after the form; a comment token flushes it in place.
        copy(lt);
        out_.html.append("<!---->");
      }
      pop_to(tag_.name);
      return true;
    }

    // In SVG and MathML only script and style hold no markup: a <title> there is an element.
    if (is_raw_text(tag_.name) &&
        (foreign_ == 0 || tag_.name == "script" || tag_.name == "style" || tag_.name == "svg")) {
      *pos = tag_end(html_, tag_.name_end, &tag_.self_closing);
      if (tag_.name == "script" || tag_.name == "style") {
        *pos = raw_text_end(html_, *pos, tag_.name);
        drop(lt, *pos);
      } else if (tag_.name == "svg") {
        // An <svg> inside one the parser ends is left to it too: no second scan of the same
        // stretch, which would make a run of unclosed <svg>s quadratic.
        std::size_t end = *pos;
        if (!tag_.self_closing) {
          end = lt < svg_unclosed_until_ ? std::string_view::npos
                                         : svg_end(html_, *pos, &svg_unclosed_until_);
        }
        if (end != std::string_view::npos) {
          *pos = end;
          drop(lt, *pos);
        } else if (open_.size() < kMaxNesting) {
          push(tag_.name);
        } else {
          drop(lt, *pos);  // flattened, as below
        }
      } else if (tag_.name == "plaintext") {
        return false;
      } else {
        *pos = raw_text_end(html_, *pos, tag_.name);  // kept whole: no tags inside
      }
      return true;
    }

    // An ordinary start tag, written again with only the attributes the converter reads.
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
    if (end == std::string_view::npos) return false;  // cut off by the end of the input
    *pos = end;
    if (!never_nests(tag_.name)) {
      if (open_.size() >= kMaxNesting) {
        drop(lt, end);  // flattened: the content stays, the element does not
        return true;
      }
      push(tag_.name);
    }
    if (unread) {
      copy(tag_.name_end);
      copied_ = end;
      for (std::string_view attribute : kept_) out_.html.append(" ").append(attribute);
      out_.html.append(tag_.self_closing ? "/>" : ">");
    }
    return true;
  }

  // html_[from, to) is text between tags: copied, or stashed in pieces between references.
  // Its leading and trailing whitespace are always copied: the parser treats whitespace-only
  // text apart (in tables, after <pre>, in <head>).
  void text(std::size_t from, std::size_t to) {
    copy(from);
    if (!stash_ || to - from < kMinStashed) {
      copy(to);  // now, while it is known whether a <pre> holds it
      return;
    }
    while (from < to && is_ascii_space(html_[from])) ++from;
    std::size_t end = to;
    while (end > from && is_ascii_space(html_[end - 1])) --end;
    std::size_t pos = from;
    while (pos < end) {
      std::size_t amp = html_.substr(pos, end - pos).find('&');
      amp = amp == std::string_view::npos ? end : pos + amp;
      const std::string_view piece = html_.substr(pos, amp - pos);
      if (piece.size() >= kMinStashed && is_plain_text(piece)) {
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
      pos = amp < end ? reference_end(html_, amp) : end;
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

  static bool is_foreign(std::string_view name) { return name == "svg" || name == "math"; }

  void push(const std::string& name) {
    if (is_preformatted(name)) ++preformatted_;
    if (is_foreign(name)) ++foreign_;
    open_.push_back(name);
  }

  // An end tag closes the nearest open element of its name, and what was opened after it.
  void pop_to(const std::string& name) {
    const auto it = std::find(open_.rbegin(), open_.rend(), name);
    if (it == open_.rend()) return;
    for (auto e = std::next(it).base(); e != open_.end(); ++e) {
      if (is_preformatted(*e)) --preformatted_;
      if (is_foreign(*e)) --foreign_;
    }
    open_.erase(std::next(it).base(), open_.end());
  }

  std::string_view html_;
  PrunedMarkup out_;
  bool stash_ = true;
  std::size_t copied_ = 0;          // html_[copied_, …) is not yet in the output
  bool tag_seen_ = false;           // a start or end tag has been read
  std::vector<std::string> open_;   // approximate stack of open elements
  int preformatted_ = 0;            // <pre> and <listing> elements in open_
  int foreign_ = 0;                 // <svg> and <math> elements in open_
  std::size_t svg_unclosed_until_ = 0;  // where the last unclosed <svg> was broken out of
  TagToken tag_;
  std::vector<std::string_view> kept_;  // attributes of the current start tag
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
