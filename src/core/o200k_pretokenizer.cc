// The pre-tokeniser: o200k's regex for PCRE2, the character classes the scanner reads,
// the scanner (fast_piece), and the split that runs it with the regex as its fallback.
#include "core/o200k_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "text/utf8.h"

namespace claudegpt {
namespace {

// o200k's pat_str (see o200k_vocabulary.h), checked against the embedded file by the unit
// tests. One translation for PCRE2: tiktoken's regex engine takes `\s` as Unicode White_Space,
// which includes U+0085 (NEL); PCRE2's `\s` with UCP does not. So `\s` is spelled `[\s\x{85}]`
// (`\s\x{85}` inside a class) and `\S` is `[^\s\x{85}]`.
constexpr std::string_view kPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+)"
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*)"
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|\p{N}{1,3})"
    R"(| ?[^\s\x{85}\p{L}\p{N}]+[\r\n/]*)"
    R"(|[\s\x{85}]*[\r\n]+)"
    R"(|[\s\x{85}]+(?![^\s\x{85}]))"
    R"(|[\s\x{85}]+)";

struct MatchDataFree {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

// The same pieces without the regex. PCRE2's JIT spends ~70 ns a piece on this pattern
// (Unicode properties, nine branches), as much as everything else together on text of short
// pieces (base64, code, English, random bytes). Its branches reduce to scans over a handful of
// character classes, which the pretokenizer takes from PCRE2 itself for every BMP character
// when it is built (char_classes), so the two agree by construction; a piece that depends on a
// character outside the BMP (emoji, rare CJK) goes to the regex. The unit tests check the two
// against each other.
enum : std::uint8_t {
  kUpper = 1,     // \p{Lu}, \p{Lt}: letters the pattern's first class takes, not its second
  kLower = 2,     // \p{Ll}: the second class's only
  kBoth = 4,      // \p{Lm}, \p{Lo}: letters in both classes
  kMark = 8,      // \p{M}: in both classes too, but no letter (so also a prefix or a symbol)
  kDigit = 16,    // \p{N}
  kSpace = 32,    // \s (and U+0085), CR and LF included
  kOther = 64,    // none of those
  kUnknown = 128, // outside the BMP: not classified, the regex decides
};
constexpr unsigned kFirst = kUpper | kBoth | kMark;   // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
constexpr unsigned kSecond = kLower | kBoth | kMark;  // [\p{Ll}\p{Lm}\p{Lo}\p{M}]

// Classes of U+0000…U+FFFF, from the regex engine the pattern runs on.
std::vector<std::uint8_t> char_classes() {
  constexpr std::string_view kClassify =
      R"((\p{Lu}|\p{Lt})|(\p{Ll})|([\p{Lm}\p{Lo}])|(\p{M})|(\p{N})|([\s\x{85}]))";
  constexpr std::uint8_t kByGroup[] = {kUpper, kLower, kBoth, kMark, kDigit, kSpace};
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)> code(
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kClassify.data()), kClassify.size(),
                    PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &error, &error_offset, nullptr),
      &pcre2_code_free);
  if (!code) throw std::runtime_error("o200k character classes: bad pattern");
  pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE);  // 63k matches; the interpreter is fine too
  std::unique_ptr<pcre2_match_data, MatchDataFree> match(
      pcre2_match_data_create_from_pattern(code.get(), nullptr));
  if (!match) throw std::bad_alloc();
  std::vector<std::uint8_t> classes(0x10000, kOther);
  for (std::uint32_t cp = 0; cp < 0x10000; ++cp) {
    if (cp >= 0xD800 && cp < 0xE000) continue;  // surrogates: not in valid UTF-8
    unsigned char utf8[3];
    std::size_t n;
    if (cp < 0x80) {
      utf8[0] = static_cast<unsigned char>(cp);
      n = 1;
    } else if (cp < 0x800) {
      utf8[0] = static_cast<unsigned char>(0xC0 | cp >> 6);
      utf8[1] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
      n = 2;
    } else {
      utf8[0] = static_cast<unsigned char>(0xE0 | cp >> 12);
      utf8[1] = static_cast<unsigned char>(0x80 | (cp >> 6 & 0x3F));
      utf8[2] = static_cast<unsigned char>(0x80 | (cp & 0x3F));
      n = 3;
    }
    const int rc = pcre2_match(code.get(), utf8, n, 0, 0, match.get(), nullptr);
    if (rc >= 2) classes[cp] = kByGroup[rc - 2];  // rc is 1 + the group that matched
  }
  return classes;
}

// Reads characters of valid UTF-8 s[0, end) for fast_piece.
struct Scanner {
  const unsigned char* s;
  std::size_t end;
  const std::uint8_t* classes;

  // The class of the character at `i` (0 at the end) and where the next one starts.
  unsigned at(std::size_t i, std::size_t* next) const {
    if (i >= end) {
      *next = i;
      return 0;
    }
    const unsigned b = s[i];
    if (b < 0x80) {
      *next = i + 1;
      return classes[b];
    }
    if (b < 0xE0) {
      *next = i + 2;
      return classes[(b & 0x1F) << 6 | (s[i + 1] & 0x3F)];
    }
    if (b < 0xF0) {
      *next = i + 3;
      return classes[(b & 0x0F) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3F)];
    }
    *next = i + 4;
    return kUnknown;
  }

  // Past the characters from `i` in `wanted`; `*stop` is the class of the one that is not.
  std::size_t run(std::size_t i, unsigned wanted, unsigned* stop) const {
    for (;;) {
      std::size_t next;
      const unsigned c = at(i, &next);
      if (!(c & wanted)) {
        *stop = c;
        return i;
      }
      i = next;
    }
  }
};

constexpr std::size_t kNoPiece = 0;  // fast_piece's "the regex decides"; pieces are never empty

// The end of the piece the pattern matches at `at` in s[0, end), or kNoPiece when that may
// depend on a character outside the BMP. Branch by branch, in the pattern's order:
std::size_t fast_piece(const Scanner& scan, std::size_t at) {
  const unsigned char* s = scan.s;
  const std::size_t end = scan.end;
  std::size_t after_first;
  const unsigned first = scan.at(at, &after_first);
  if (first & kUnknown) return kNoPiece;
  unsigned stop;

  // 1: [^\r\n\p{L}\p{N}]?[first]*[second]+ and 2: [^\r\n\p{L}\p{N}]?[first]+[second]*, each
  // with an optional prefix tried first, then without it. The first greedy run backtracks
  // until the second class matches: the piece ends after the run's last character in the
  // second class, or takes a run of small letters after it.
  const auto branch1 = [&](std::size_t q) -> std::size_t {  // end, 0 if no match, 1 unknown
    std::size_t r = q, after_last_second = 0, next;
    unsigned c;
    for (;; r = next) {
      c = scan.at(r, &next);
      if (!(c & kFirst)) break;
      if (c & kSecond) after_last_second = next;
    }
    if (c & kUnknown) return 1;
    if (c & kSecond) {  // a small letter
      r = scan.run(r, kSecond, &stop);
      return stop & kUnknown ? 1 : r;
    }
    return after_last_second;
  };
  const auto branch2 = [&](std::size_t q) -> std::size_t {
    std::size_t next;
    const unsigned c = scan.at(q, &next);
    if (c & kUnknown) return 1;
    if (!(c & kFirst)) return 0;
    std::size_t r = scan.run(q, kFirst, &stop);
    if (stop & kUnknown) return 1;
    r = scan.run(r, kSecond, &stop);
    return stop & kUnknown ? 1 : r;
  };
  const bool prefix = (first & (kOther | kMark | kSpace)) && s[at] != '\r' && s[at] != '\n';
  std::size_t e = 0;
  if (prefix) e = branch1(after_first);
  if (e == 0) e = branch1(at);
  if (e == 0 && prefix) e = branch2(after_first);
  if (e == 0) e = branch2(at);
  if (e == 1) return kNoPiece;
  if (e != 0) {
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)?  Caseless as Unicode folds: ſ (U+017F) is an s too.
    if (e + 1 >= end || s[e] != '\'') return e;
    std::size_t next;
    if (scan.at(e + 1, &next) & kUnknown) return kNoPiece;
    if (s[e + 1] == 0xC5 && s[e + 2] == 0xBF) return e + 3;
    const int x = s[e + 1] | 0x20;
    if (x == 's' || x == 't' || x == 'm' || x == 'd') return e + 2;
    if ((x != 'r' && x != 'v' && x != 'l') || e + 2 >= end) return e;
    if (scan.at(e + 2, &next) & kUnknown) return kNoPiece;
    return (s[e + 2] | 0x20) == (x == 'l' ? 'l' : 'e') ? e + 3 : e;
  }

  // 3: \p{N}{1,3}
  if (first & kDigit) {
    e = after_first;
    for (int more = 0; more < 2; ++more) {
      std::size_t next;
      const unsigned c = scan.at(e, &next);
      if (c & kUnknown) return kNoPiece;
      if (!(c & kDigit)) break;
      e = next;
    }
    return e;
  }

  // 4: ' '?[^\s\p{L}\p{N}]+[\r\n/]*  (the run takes any '/'; the tail, CR, LF and '/' after)
  std::size_t symbols = at;
  if (s[at] == ' ') {
    std::size_t next;
    const unsigned c = scan.at(after_first, &next);
    if (c & kUnknown) return kNoPiece;
    if (c & (kOther | kMark)) symbols = after_first;
  }
  if (symbols != at || (first & (kOther | kMark))) {
    e = scan.run(symbols, kOther | kMark, &stop);
    if (stop & kUnknown) return kNoPiece;
    while (e < end && (s[e] == '\r' || s[e] == '\n' || s[e] == '/')) ++e;
    return e;
  }

  // 5: \s*[\r\n]+, 6: \s+(?!\S), 7: \s+, over a run of white space: up to its last CR or LF
  // if it has one; else all of it at the end of the text, all but its last character before
  // something else (which that character then prefixes), or the one character it is.
  std::size_t after_newline = 0, last = at;
  e = at;
  for (;;) {
    std::size_t next;
    const unsigned c = scan.at(e, &next);
    if (c & kUnknown) return kNoPiece;
    if (!(c & kSpace)) break;
    if (s[e] == '\r' || s[e] == '\n') after_newline = next;
    last = e;
    e = next;
  }
  if (after_newline != 0) return after_newline;
  if (e == end || last == at) return e;
  return last;
}

}  // namespace

O200kPretokenizer::O200kPretokenizer() : classes_(char_classes()) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pattern_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern.data()), kPattern.size(),
                           PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
  if (pattern_ == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw std::runtime_error(std::string("o200k pattern: ") + reinterpret_cast<char*>(message));
  }
  // Without JIT (e.g. no executable memory allowed) the interpreter gives the same pieces.
  jit_ = pcre2_jit_compile(pattern_, PCRE2_JIT_COMPLETE) == 0;
}

O200kPretokenizer::~O200kPretokenizer() { pcre2_code_free(pattern_); }

O200kPretokenizer::Cursor::Cursor(const O200kPretokenizer& pretokenizer, std::size_t window,
                                  bool regex_only)
    : pretokenizer_(pretokenizer),
      window_(window),
      regex_only_(regex_only),
      match_(pcre2_match_data_create_from_pattern(pretokenizer.pattern_, nullptr)) {
  if (match_ == nullptr) throw std::bad_alloc();
}

O200kPretokenizer::Cursor::~Cursor() { pcre2_match_data_free(match_); }

std::size_t O200kPretokenizer::Cursor::split(std::string_view text, bool more, void* context,
                                             void (*on_piece)(void*, std::string_view)) {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_);
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t left = text.size() - at;
    if (more && left < window_) break;
    const std::size_t window_end =
        left > window_ ? code_point_floor(text, at + window_) : text.size();
    if (!regex_only_) {
      const Scanner scan{subject, window_end, pretokenizer_.classes_.data()};
      if (const std::size_t end = fast_piece(scan, at); end != kNoPiece) {
        on_piece(context, text.substr(at, end - at));
        at = end;
        continue;
      }
    }
    const int rc = pretokenizer_.jit_
                       ? pcre2_jit_match(pretokenizer_.pattern_, subject, window_end, at, 0,
                                         match_, nullptr)
                       : pcre2_match(pretokenizer_.pattern_, subject, window_end, at,
                                     PCRE2_NO_UTF_CHECK, match_, nullptr);
    if (rc < 0) {
      // Every character is matched by some branch, and a window is far below PCRE2's match
      // limit, so this is not expected: the window is one piece rather than a failed request.
      on_piece(context, text.substr(at, window_end - at));
      at = window_end;
      continue;
    }
    const std::size_t begin = ovector[0];
    std::size_t end = ovector[1];
    // Defensive, as above: unmatched text is a piece, not dropped; an empty match moves on by
    // one character.
    if (begin > at) on_piece(context, text.substr(at, begin - at));
    if (end <= begin) {
      if (begin >= window_end) {
        at = window_end;
        continue;
      }
      const Utf8Sequence next = next_utf8_sequence(text.substr(0, window_end), begin);
      end = begin + (next.valid ? next.size : 1);
    }
    on_piece(context, text.substr(begin, end - begin));
    at = end;
  }
  return at;
}

}  // namespace claudegpt
