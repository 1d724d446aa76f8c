// o200k_base token counting, the way tiktoken counts (`encode_ordinary`):
//   1. pre-tokenise: split the text into pieces with o200k's regex (PCRE2, JIT-compiled), or
//      the same split done by hand for characters of the BMP (fast_piece);
//   2. each piece that is itself a token counts 1; otherwise its bytes are merged pairwise,
//      always the pair with the lowest rank first (leftmost on ties), until no pair is a token;
//      what is left is the piece's token count.
// Counting needs only the ranks, never the token ids, so nothing is decoded or returned.
// Pathological text (a 32 MiB run of one character, random bytes) is kept linear in time and
// small in memory by the bounds described under "Bounds that keep any text linear".
#include "core/token_counter.h"
#include "core/json_fields.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/o200k_vocabulary.h"

namespace claudegpt {
namespace {

constexpr std::uint32_t kNoRank = UINT32_MAX;

// --- UTF-8 -------------------------------------------------------------------------------
//
// PCRE2 is run with PCRE2_NO_UTF_CHECK (it would otherwise re-validate the subject on every
// match, which is quadratic over a long text), so its input must be valid UTF-8. Text that is
// not is counted as a lossy decoder would see it: each maximal ill-formed subsequence becomes
// U+FFFD (as Unicode §3.9 and the WHATWG decoder do, and so what `tiktoken` in node counts
// for such bytes).

// Length of the well-formed sequence at `p` (1–4), or 0 when ill-formed, with `*bad` set to
// the length of the maximal subpart to replace (at least 1). Table 3-7 of the Unicode Standard.
inline std::size_t utf8_sequence(const unsigned char* p, std::size_t avail, std::size_t* bad) {
  const unsigned char lead = p[0];
  if (lead < 0x80) return 1;
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    if (lead == 0xE0) lo = 0xA0;       // no overlongs
    if (lead == 0xED) hi = 0x9F;       // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    if (lead == 0xF0) lo = 0x90;       // no overlongs
    if (lead == 0xF4) hi = 0x8F;       // nothing above U+10FFFF
  } else {
    *bad = 1;
    return 0;
  }
  for (std::size_t k = 1; k < need; ++k) {
    if (k >= avail || p[k] < lo || p[k] > hi) {
      *bad = k;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
  }
  return need;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    // Most text is ASCII: skip it eight bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    std::size_t bad;
    const std::size_t len = utf8_sequence(p + i, n - i, &bad);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

template <typename T>
inline T load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

// Appends `raw` to `out` with each maximal ill-formed subsequence as U+FFFD, until `out` holds
// at least `target` bytes or `raw` is used up; returns how many bytes of `raw` it used. Unless
// `last`, a sequence cut short by the end of `raw` is left unused, for the next call to see with
// what follows it.
std::size_t repair_utf8(std::string_view raw, bool last, std::string& out, std::size_t target) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t n = raw.size();
  std::size_t i = 0;
  while (i < n && out.size() < target) {
    // Valid text is copied a run at a time, ASCII skipped eight bytes at a time.
    const std::size_t valid = i;
    const std::size_t room = target - out.size();
    const std::size_t stop = room >= n - i ? n : i + room;
    std::size_t len = 0, bad = 0;
    while (i < stop) {
      if (i + 8 <= stop && (load<std::uint64_t>(raw.data() + i) & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
      len = utf8_sequence(p + i, n - i, &bad);
      if (len == 0) break;
      i += len;
    }
    out.append(raw.data() + valid, i - valid);
    if (i >= stop) break;
    if (!last && i + bad == n) break;  // cut short by the end of `raw`: wait for more
    out.append("\xEF\xBF\xBD", 3);
    i += bad;
  }
  return i;
}

// The largest character boundary at or before `at` in valid UTF-8 `text` (at < text.size()).
std::size_t char_floor(std::string_view text, std::size_t at) {
  while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) --at;
  return at;
}

// --- The rank table ----------------------------------------------------------------------

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The first eight bytes of p[0, n), zero-padded (n ≥ 1). Loads are whole words, overlapping
// when n is not a power of two, never a partial copy (which stalls on store-to-load
// forwarding).
inline std::uint64_t head_bytes(const char* p, std::size_t n) {
  if (n >= 8) return load<std::uint64_t>(p);
  if (n >= 4) {
    return load<std::uint32_t>(p) | std::uint64_t{load<std::uint32_t>(p + n - 4)} << 8 * (n - 4);
  }
  if (n >= 2) {
    return load<std::uint16_t>(p) | std::uint64_t{load<std::uint16_t>(p + n - 2)} << 8 * (n - 2);
  }
  return static_cast<unsigned char>(p[0]);
}

// Hash of p[0, n) whose head is `head`.
inline std::uint64_t hash_bytes(const char* p, std::size_t n, std::uint64_t head) {
  std::uint64_t h = (0x9e3779b97f4a7c15ull * (n + 1)) ^ head;
  for (std::size_t i = 8; i < n; i += 8) {
    const std::size_t at = std::min(i, n - 8);  // the last word overlaps the one before
    h = (h * 0xff51afd7ed558ccdull) ^ load<std::uint64_t>(p + at);
  }
  return mix(h);
}

// Token bytes → rank. Every merge step is a lookup here, and on pathological text (32 MiB of
// random letters) there are tens of millions of them, most missing, so a lookup is built to
// touch little memory:
//  - strings of one or two bytes (every merge starts by pairing bytes) index a flat table
//    (256 KB, stays in L2);
//  - longer ones first ask a Bloom filter (256 KB, two bits per token in one 64-bit word: it
//    turns away ~97% of the strings that are not tokens), then hash into open addressing
//    (linear probing, load ≤ 4/5) whose 16-byte slot holds the token's first eight bytes, its
//    length and rank: a lookup of a token of up to eight bytes, most of them, reads one slot;
//    a longer one compares the rest in the byte arena.
// About 200k tokens: 4 MB of slots, 1.4 MB of bytes, 0.5 MB for the rest.
class RankTable {
 public:
  void reserve(std::size_t tokens, std::size_t bytes) {
    bytes_.reserve(bytes);
    added_.reserve(tokens);
  }

  void add(std::string_view token, std::uint32_t rank) {
    added_.push_back({static_cast<std::uint32_t>(bytes_.size()),
                      static_cast<std::uint32_t>(token.size()), rank});
    bytes_.append(token);
    max_length_ = std::max(max_length_, token.size());
  }

  // Indexes what was added. Later duplicates of a token are ignored.
  void seal() {
    if (bytes_.size() >= 1u << 24 || max_length_ >= 256) bad_table();  // Slot::meta's fields
    short_.assign(256 + 65536, kNoRank);
    std::size_t capacity = 1024;
    while (capacity * 4 < added_.size() * 5) capacity *= 2;  // load ≤ 4/5
    mask_ = capacity - 1;
    slots_.assign(capacity, Slot{});
    filter_.assign(kFilterWords, 0);
    for (const Added& token : added_) {
      const char* p = bytes_.data() + token.begin;
      const std::size_t n = token.length;
      if (n == 0 || find(p, n) != kNoRank) continue;
      if (n <= 2) {
        short_[short_index(p, n)] = token.rank;
        continue;
      }
      const std::uint64_t head = head_bytes(p, n);
      const std::uint64_t h = hash_bytes(p, n, head);
      filter_[filter_word(h)] |= filter_bits(h);
      std::size_t i = h & mask_;
      while (slots_[i].meta != 0) i = (i + 1) & mask_;
      slots_[i] = {head, token.rank, static_cast<std::uint32_t>(n << 24 | token.begin)};
    }
    std::vector<Added>().swap(added_);  // its memory, not just its elements
  }

  bool empty() const { return added_.empty(); }  // before seal()

  std::uint32_t find(const char* p, std::size_t n) const {
    if (n <= 2) return n == 0 || short_.empty() ? kNoRank : short_[short_index(p, n)];
    if (n > max_length_ || slots_.empty()) return kNoRank;
    const std::uint64_t head = head_bytes(p, n);
    const std::uint64_t h = hash_bytes(p, n, head);
    const std::uint64_t bits = filter_bits(h);
    if ((filter_[filter_word(h)] & bits) != bits) return kNoRank;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.meta == 0) return kNoRank;
      if (slot.head != head || slot.meta >> 24 != n) continue;
      if (n <= 8 || equal(bytes_.data() + (slot.meta & 0xFFFFFF) + 8, p + 8, n - 8)) {
        return slot.rank;
      }
    }
  }

 private:
  struct Added {
    std::uint32_t begin, length, rank;
  };
  struct Slot {
    std::uint64_t head = 0;  // the token's first eight bytes, zero-padded
    std::uint32_t rank = 0;
    std::uint32_t meta = 0;  // length << 24 | where its bytes start in bytes_; 0 = empty
  };

  [[noreturn]] static void bad_table() {
    throw std::runtime_error("embedded o200k_base vocabulary: too large for the rank table");
  }

  // The filter uses hash bits the slot index does not (it takes the low 19 or so).
  static constexpr std::size_t kFilterWords = 32 * 1024;
  static std::size_t filter_word(std::uint64_t h) { return (h >> 24) & (kFilterWords - 1); }
  static std::uint64_t filter_bits(std::uint64_t h) {
    return std::uint64_t{1} << (h >> 40 & 63) | std::uint64_t{1} << (h >> 46 & 63);
  }

  // Index in short_: one byte at [0, 256), two bytes at 256 + (first << 8 | second).
  static std::size_t short_index(const char* p, std::size_t n) {
    const auto byte = [&](std::size_t i) {
      return static_cast<std::size_t>(static_cast<unsigned char>(p[i]));
    };
    return n == 1 ? byte(0) : 256 + (byte(0) << 8 | byte(1));
  }

  // memcmp for the short strings compared here, without a call per lookup.
  static bool equal(const char* a, const char* b, std::size_t n) {
    for (; n >= 8; a += 8, b += 8, n -= 8) {
      if (load<std::uint64_t>(a) != load<std::uint64_t>(b)) return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }

  std::string bytes_;                  // all tokens back to back
  std::vector<Added> added_;           // until seal()
  std::vector<std::uint32_t> short_;   // ranks of one- and two-byte strings (kNoRank: none)
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> filter_;  // Bloom filter of the strings in slots_
  std::size_t mask_ = 0;
  std::size_t max_length_ = 0;
};

// --- Loading the embedded vocabulary -----------------------------------------------------

constexpr std::int8_t kBase64Invalid = -1;

struct Base64Table {
  std::int8_t value[256];
  constexpr Base64Table() : value() {
    for (auto& v : value) v = kBase64Invalid;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(alphabet[i])] = std::int8_t(i);
  }
};
constexpr Base64Table kBase64;

// Appends the bytes of standard base64 `text` (with or without '=' padding) to `out`.
bool decode_base64(std::string_view text, std::string& out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const std::int8_t v = kBase64.value[static_cast<unsigned char>(c)];
    if (v == kBase64Invalid) return false;
    bits = bits << 6 | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return true;
}

[[noreturn]] void bad_vocabulary(const char* what) {
  throw std::runtime_error(std::string("embedded o200k_base vocabulary: ") + what);
}

// The "bpe_ranks" string of the embedded JSON. It is base64, digits, '!', ' ' and "\n" (the
// JSON escape, two characters), so it is sliced out directly instead of parsing 2.3 MB of
// JSON into a DOM: the value has no other escapes, which is checked.
std::string_view bpe_ranks_text(std::string_view json) {
  constexpr std::string_view key = "\"bpe_ranks\":\"";
  const std::size_t at = json.find(key);
  if (at == std::string_view::npos) bad_vocabulary("no bpe_ranks");
  const std::size_t begin = at + key.size();
  const std::size_t end = json.find('"', begin);
  if (end == std::string_view::npos) bad_vocabulary("unterminated bpe_ranks");
  return json.substr(begin, end - begin);
}

RankTable load_ranks(std::string_view ranks_text) {
  RankTable table;
  table.reserve(200'000, 1'500'000);
  std::string token;
  std::size_t line_start = 0;
  while (line_start < ranks_text.size()) {
    std::size_t line_end = ranks_text.find("\\n", line_start);
    if (line_end == std::string_view::npos) line_end = ranks_text.size();
    const std::string_view line = ranks_text.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (line.empty()) continue;

    // `<ignored> <first rank> <token>…`
    std::size_t field_start = 0;
    int field = 0;
    std::uint32_t rank = 0;
    while (field_start <= line.size()) {
      std::size_t field_end = line.find(' ', field_start);
      if (field_end == std::string_view::npos) field_end = line.size();
      const std::string_view text = line.substr(field_start, field_end - field_start);
      field_start = field_end + 1;
      if (field == 1) {
        if (text.empty()) bad_vocabulary("empty first rank");
        for (const char c : text) {
          if (c < '0' || c > '9') bad_vocabulary("bad first rank");
          rank = rank * 10 + static_cast<std::uint32_t>(c - '0');
        }
      } else if (field > 1 && !text.empty()) {
        token.clear();
        if (!decode_base64(text, token) || token.empty()) bad_vocabulary("bad base64 token");
        // merge_long packs a rank into 20 bits (o200k's go up to 200k).
        if (rank >= 1u << 20) bad_vocabulary("rank too large");
        table.add(token, rank++);
      }
      ++field;
    }
  }
  if (table.empty()) bad_vocabulary("no tokens");
  table.seal();
  return table;
}

// --- Pre-tokenisation --------------------------------------------------------------------
//
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
// character classes, which the counter takes from PCRE2 itself for every BMP character when it
// is built (char_classes), so the two agree by construction; a piece that depends on a
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

// --- Bounds that keep any text linear ----------------------------------------------------
//
// A count_tokens body may be 32 MiB of anything: all spaces, one "word", random bytes. Such a
// text can be a single pre-token, and merging it whole, as tiktoken would, holds per-byte state
// for all of it (hundreds of MB) and takes tens of seconds; and even text of ordinary pieces
// costs up to ~100 ns a byte to merge exactly when it is random (base64, random bytes). The
// count is an estimate for a context meter, so past these bounds (TokenCounter's kWindow,
// kMaxMerge, kExactMergeBytes, kSampleEvery) it is approximated; within them it is exactly
// tiktoken's.
//
// kWindow: the regex is shown at most this much text from where a match starts, so one match
// costs at most this much however long a run of spaces or letters is (and PCRE2's match limit
// is out of reach). A pre-token that reaches the end of its window is cut there and the text
// after it matched afresh; shorter pre-tokens, i.e. those of any real text, are tiktoken's.
//
// kMaxMerge: a pre-token longer than this is merged in consecutive chunks of at most this many
// bytes, cut at character boundaries, and the chunks' counts added. o200k's longest tokens are
// 128 bytes, so a cut costs about one token per chunk (under 0.1% of a run of letters), while
// every pre-token of real text (a long identifier, a line of '=') is still merged whole; and
// the merge's scratch stays a few tens of KB, in cache, however long the pre-token is.
//
// kExactMergeBytes, kSampleEvery: once this many bytes have been merged exactly, only every
// kSampleEvery-th piece that needs merging is merged, and each of the others is taken to have
// the tokens per byte of all those merged so far. A text with that much to merge has well
// over half a million tokens, and with its pieces that are tokens themselves more than any
// context window holds; a request's texts share the allowance. That bounds the merging of
// 32 MiB of anything to the allowance plus a sixteenth of the rest. Pieces that are a token
// themselves (most of ordinary text) and runs that repeat the previous piece cost next to
// nothing and are always counted exactly.

// Pieces up to this long are merged with tiktoken's own quadratic scan (fast on short pieces,
// no allocation); longer ones with a heap, so that a 4 KiB chunk is not quadratic.
constexpr std::size_t kShortPiece = 128;

// A merged piece at least this long is remembered, and the same piece next (a chunk of a run of
// one character, a repeated line) reuses its count. Shorter ones merge about as fast as they
// compare.
constexpr std::size_t kMemoPiece = 64;

constexpr std::size_t kWindow = TokenCounter::kWindow;
constexpr std::size_t kMaxMerge = TokenCounter::kMaxMerge;

// Text that is not valid UTF-8 (or JSON serialised on the fly) is repaired and counted through
// a buffer of about this size, not copied whole: two windows, so that every match still sees a
// full window.
constexpr std::size_t kRepairBuffer = 2 * kWindow;

}  // namespace

struct TokenCounter::Impl {
  RankTable ranks;
  std::vector<std::uint8_t> classes = char_classes();
  pcre2_code* pattern = nullptr;
  bool jit = false;

  ~Impl() { pcre2_code_free(pattern); }

  std::uint32_t rank(std::string_view piece, std::size_t begin, std::size_t end) const {
    return ranks.find(piece.data() + begin, end - begin);
  }

  // tiktoken's byte_pair_merge: parts[k] starts at `start` and `rank` is the rank of parts k
  // and k+1 merged. Merging k and k+1 changes only the ranks at k-1 and k.
  std::size_t merge_short(std::string_view piece) const {
    struct Part {
      std::uint32_t start;
      std::uint32_t rank;
    };
    Part parts[kShortPiece + 1];
    const std::size_t n = piece.size();
    for (std::size_t i = 0; i + 1 < n; ++i) {
      parts[i] = {static_cast<std::uint32_t>(i), rank(piece, i, i + 2)};
    }
    parts[n - 1] = {static_cast<std::uint32_t>(n - 1), kNoRank};
    parts[n] = {static_cast<std::uint32_t>(n), kNoRank};
    std::size_t size = n + 1;  // parts, counting the end sentinel
    const auto rank_after_merge = [&](std::size_t k) {
      return k + 3 < size ? rank(piece, parts[k].start, parts[k + 3].start) : kNoRank;
    };
    for (;;) {
      std::uint32_t best = kNoRank;
      std::size_t at = 0;
      for (std::size_t k = 0; k + 1 < size; ++k) {
        if (parts[k].rank < best) {
          best = parts[k].rank;
          at = k;
        }
      }
      if (best == kNoRank) break;
      if (at > 0) parts[at - 1].rank = rank_after_merge(at - 1);
      parts[at].rank = rank_after_merge(at);
      std::memmove(&parts[at + 1], &parts[at + 2], (size - at - 2) * sizeof(Part));
      --size;
    }
    return size - 1;
  }

  // The state of one count: the regex's match data, the heap merge's scratch (kept between
  // pieces, so a text of many long pieces allocates it once), the running total.
  struct Counting {
    const Impl& impl;
    Work& work;
    std::unique_ptr<pcre2_match_data, MatchDataFree> match;
    std::vector<std::uint32_t> next, prev, pair_rank, heap;
    std::string memo;  // the last long piece merged, and its count
    std::size_t memo_tokens = 0;
    std::size_t total = 0;
    std::size_t estimated_bytes = 0;  // bytes of this text's pieces left to the estimate

    Counting(const Impl& impl, Work& work)
        : impl(impl),
          work(work),
          match(pcre2_match_data_create_from_pattern(impl.pattern, nullptr)) {
      if (!match) throw std::bad_alloc();
    }

    // The count: what was merged, plus the pieces past the allowance at the rate of all those
    // merged so far (rounded to nearest).
    std::size_t result() const {
      if (estimated_bytes == 0 || work.merged_bytes == 0) return total;
      return total + static_cast<std::size_t>(
                         (static_cast<double>(estimated_bytes) * work.merged_tokens) /
                             work.merged_bytes +
                         0.5);
    }

    void add_piece(std::string_view piece) {
      ++work.pieces;
      work.longest_piece = std::max(work.longest_piece, piece.size());
      // Past kMaxMerge, chunks cut at character boundaries (the piece is valid UTF-8).
      while (piece.size() > kMaxMerge) {
        std::size_t cut = char_floor(piece, kMaxMerge);
        if (cut == 0) cut = kMaxMerge;  // not reached on valid UTF-8
        total += merge(piece.substr(0, cut));
        piece.remove_prefix(cut);
      }
      total += merge(piece);
    }

    std::size_t merge(std::string_view piece) {
      if (piece.size() <= 1) return piece.size();  // every single byte is a token
      if (impl.ranks.find(piece.data(), piece.size()) != kNoRank) return 1;
      const bool long_piece = piece.size() >= kMemoPiece;
      if (long_piece && piece == memo) return memo_tokens;
      if (work.merged_bytes >= kExactMergeBytes && ++work.unsampled % kSampleEvery != 0) {
        estimated_bytes += piece.size();
        work.estimated_bytes += piece.size();
        return 0;
      }
      work.longest_merge = std::max(work.longest_merge, piece.size());
      const std::size_t tokens =
          piece.size() <= kShortPiece ? impl.merge_short(piece) : merge_long(piece);
      work.merged_bytes += piece.size();
      work.merged_tokens += tokens;
      if (long_piece) {
        memo.assign(piece);
        memo_tokens = tokens;
      }
      return tokens;
    }

    // The same merges as merge_short in the same order, found with a min-heap of
    // rank << 12 | start (a piece is at most kMaxMerge bytes) instead of a scan. Parts form a
    // linked list by start offset; pair_rank[start] is the rank of the part at `start` merged
    // with the next one (kNoRank when there is none, or `start` was merged away), so a heap
    // entry whose rank no longer matches it is stale.
    std::size_t merge_long(std::string_view piece) {
      static_assert(kMaxMerge <= 1u << kStartBits);
      const std::uint32_t n = static_cast<std::uint32_t>(piece.size());
      next.resize(n + 1);
      prev.resize(n + 1);
      pair_rank.resize(n + 1);
      heap.clear();
      for (std::uint32_t i = 0; i <= n; ++i) {
        next[i] = i + 1;
        prev[i] = i - 1;  // wraps for 0; never read
        pair_rank[i] = i + 1 < n ? impl.rank(piece, i, i + 2) : kNoRank;
        if (pair_rank[i] != kNoRank) heap.push_back(pair_rank[i] << kStartBits | i);
      }
      for (std::size_t i = heap.size() / kArity + 1; i-- > 0;) sift_down(i, heap[i]);
      const auto update = [&](std::uint32_t start) {
        const std::uint32_t middle = next[start];
        const std::uint32_t r = middle < n ? impl.rank(piece, start, next[middle]) : kNoRank;
        pair_rank[start] = r;
        if (r != kNoRank) push(r << kStartBits | start);
      };
      std::size_t parts = n;
      while (!heap.empty()) {
        const std::uint32_t key = heap[0];
        const std::uint32_t last = heap.back();
        heap.pop_back();
        if (!heap.empty()) sift_down(0, last);
        const std::uint32_t start = key & ((1u << kStartBits) - 1);
        if (pair_rank[start] != key >> kStartBits) continue;  // stale
        // Merge the part after `start` into it.
        const std::uint32_t middle = next[start];
        next[start] = next[middle];
        if (next[middle] < n) prev[next[middle]] = start;
        pair_rank[middle] = kNoRank;
        --parts;
        if (start > 0) update(prev[start]);
        update(start);
      }
      return parts;
    }

    // The heap is 4-ary: half as deep as a binary one, its keys single integers.
    static constexpr std::size_t kArity = 4;
    static constexpr unsigned kStartBits = 12;

    void push(std::uint32_t key) {
      std::size_t i = heap.size();
      heap.push_back(key);
      while (i > 0) {
        const std::size_t parent = (i - 1) / kArity;
        if (heap[parent] <= key) break;
        heap[i] = heap[parent];
        i = parent;
      }
      heap[i] = key;
    }

    // Puts `key` at `i` or below, where it belongs.
    void sift_down(std::size_t i, std::uint32_t key) {
      const std::size_t size = heap.size();
      for (;;) {
        const std::size_t first = kArity * i + 1;
        if (first >= size) break;
        std::size_t best = first;
        const std::size_t last = std::min(first + kArity, size);
        for (std::size_t child = first + 1; child < last; ++child) {
          if (heap[child] < heap[best]) best = child;
        }
        if (heap[best] >= key) break;
        heap[i] = heap[best];
        i = best;
      }
      heap[i] = key;
    }

    // Counts the pieces of valid UTF-8 `text`. With `more`, the text goes on past the end of
    // this buffer: counting stops while a window's worth is left, so that every match sees as
    // much as it would in the whole text; returns how many bytes it counted.
    std::size_t feed(std::string_view text, bool more) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
      const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
      std::size_t at = 0;
      while (at < text.size()) {
        const std::size_t left = text.size() - at;
        if (more && left < kWindow) break;
        const std::size_t window_end =
            left > kWindow ? char_floor(text, at + kWindow) : text.size();
        if (!work.regex_only) {
          const Scanner scan{subject, window_end, impl.classes.data()};
          if (const std::size_t end = fast_piece(scan, at); end != kNoPiece) {
            add_piece(text.substr(at, end - at));
            at = end;
            continue;
          }
        }
        const int rc =
            impl.jit ? pcre2_jit_match(impl.pattern, subject, window_end, at, 0, match.get(),
                                       nullptr)
                     : pcre2_match(impl.pattern, subject, window_end, at, PCRE2_NO_UTF_CHECK,
                                   match.get(), nullptr);
        if (rc < 0) {
          // Every character is matched by some branch, and a window is far below PCRE2's
          // match limit, so this is not expected: count the window as one piece rather than
          // fail the request.
          add_piece(text.substr(at, window_end - at));
          at = window_end;
          continue;
        }
        const std::size_t begin = ovector[0];
        std::size_t end = ovector[1];
        // Defensive, as above: unmatched text is counted, not dropped; an empty match moves on
        // by one character.
        if (begin > at) add_piece(text.substr(at, begin - at));
        if (end <= begin) {
          if (begin >= window_end) {
            at = window_end;
            continue;
          }
          std::size_t bad;
          end = begin + std::max<std::size_t>(
                            1, utf8_sequence(subject + begin, window_end - begin, &bad));
        }
        add_piece(text.substr(begin, end - begin));
        at = end;
      }
      return at;
    }

    // Counts text that arrives a part at a time: `refill(buffer)` appends valid UTF-8, at least
    // up to kRepairBuffer bytes unless the text ends, and says whether more follows.
    template <typename Refill>
    void feed_stream(Refill refill) {
      std::string buffer;
      for (;;) {
        const bool more = refill(buffer);
        work.largest_buffer = std::max(work.largest_buffer, buffer.size());
        buffer.erase(0, feed(buffer, more));
        if (!more) return;
      }
    }
  };
};

TokenCounter::TokenCounter() : impl_(std::make_unique<Impl>()) {
  impl_->ranks = load_ranks(bpe_ranks_text(o200k_base_json()));

  int error = 0;
  PCRE2_SIZE error_offset = 0;
  impl_->pattern = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern.data()), kPattern.size(),
                                 PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
  if (impl_->pattern == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw std::runtime_error(std::string("o200k pattern: ") + reinterpret_cast<char*>(message));
  }
  // Without JIT (e.g. no executable memory allowed) the interpreter gives the same pieces.
  impl_->jit = pcre2_jit_compile(impl_->pattern, PCRE2_JIT_COMPLETE) == 0;
}

TokenCounter::~TokenCounter() = default;

const TokenCounter& TokenCounter::o200k() {
  static const TokenCounter counter;  // C++ guarantees thread-safe one-time construction
  return counter;
}

std::size_t TokenCounter::count(std::string_view text) const {
  Work work;
  return count(text, work);
}

std::size_t TokenCounter::count(std::string_view text, Work& work) const {
  if (text.empty()) return 0;
  Impl::Counting counting(*impl_, work);
  if (is_valid_utf8(text)) {
    counting.feed(text, false);
  } else {
    // Repaired a buffer at a time: a copy of the whole text could be three times its size.
    counting.feed_stream([&](std::string& buffer) {
      text.remove_prefix(repair_utf8(text, true, buffer, kRepairBuffer));
      return !text.empty();
    });
  }
  return counting.result();
}

std::size_t TokenCounter::count_json(const boost::json::value& value, Work& work) const {
  // Serialised a part at a time rather than into one string as long as the value's text.
  boost::json::serializer serializer;
  serializer.reset(&value);
  std::string raw;  // serialised, not yet repaired (strings may hold any bytes)
  char part[16 * 1024];
  Impl::Counting counting(*impl_, work);
  counting.feed_stream([&](std::string& buffer) {
    while (buffer.size() < kRepairBuffer) {
      if (!serializer.done()) {
        const boost::json::string_view out = serializer.read(part);
        raw.append(out.data(), out.size());
      }
      const bool last = serializer.done();
      raw.erase(0, repair_utf8(raw, last, buffer, SIZE_MAX));
      if (last && raw.empty()) return false;
    }
    return true;
  });
  return counting.result();
}

// --- Whole Responses requests ------------------------------------------------------------
//
// OpenAI does not publish how it frames a Responses request into tokens, so beyond the text
// itself these are estimates, chosen to err slightly high (Claude Code uses the count to decide
// when to compact, and compacting a bit early is better than a "prompt is too long"):
//  - every message or other input item (and the instructions) is framed by a few special
//    tokens: start, role, separator, end. OpenAI's own counting recipe for chat models adds
//    3 per message; with the role that is 4;
//  - the answer is primed with an assistant header: 3;
//  - each tool: its name, description and JSON-serialised parameters, plus 8 for the framing
//    of a function definition (OpenAI renders tools in a compact, TypeScript-like form; the
//    JSON counted here is a little longer, which covers the difference);
//  - images are never tokenised as base64 text: 765 tokens each (a 1024×1024 image at high
//    detail on the tile formula, 85 + 4 × 170), 85 at "low" detail. The real cost depends on
//    the image's size and the model;
//  - files (PDFs) likewise: a fixed 1000 tokens each, about one page of text and its image.
namespace {

constexpr std::size_t kTokensPerItem = 4;
constexpr std::size_t kReplyPriming = 3;
constexpr std::size_t kTokensPerTool = 8;
constexpr std::size_t kImageTokens = 765;
constexpr std::size_t kLowDetailImageTokens = 85;
constexpr std::size_t kFileTokens = 1000;

namespace json = boost::json;

// One request's texts are counted against one TokenCounter::Work, so that they share its
// allowance of exact merging: a 32 MiB body split into many parts costs what one text would.
struct Tally {
  const TokenCounter& counter = TokenCounter::o200k();
  TokenCounter::Work work;

  std::size_t text(std::string_view s) { return counter.count(s, work); }

  // Serialised JSON of a value that is usually small (a schema); strings count as they are.
  std::size_t serialized(const json::value* value) {
    if (value == nullptr || value->is_null()) return 0;
    if (value->is_string()) return text(value->get_string());
    return counter.count_json(*value, work);
  }
};

std::size_t count_image(const json::object& part) {
  return string_field(part, "detail") == "low" ? kLowDetailImageTokens : kImageTokens;
}

// One content part of a message or of a function_call_output: input_text, output_text,
// refusal, input_image, input_file.
std::size_t count_part(Tally& tally, const json::value& part_value) {
  if (part_value.is_string()) return tally.text(part_value.get_string());
  if (!part_value.is_object()) return 0;
  const json::object& part = part_value.get_object();
  const std::string_view type = string_field(part, "type");
  if (type == "input_image" || type == "image") return count_image(part);
  if (type == "input_file" || type == "file") return kFileTokens;
  if (type == "refusal") return tally.text(string_field(part, "refusal"));
  return tally.text(string_field(part, "text"));
}

// A content field that is either a string or an array of parts.
std::size_t count_content(Tally& tally, const json::value* content) {
  if (content == nullptr) return 0;
  if (content->is_string()) return tally.text(content->get_string());
  if (!content->is_array()) return 0;
  std::size_t total = 0;
  for (const json::value& part : content->get_array()) total += count_part(tally, part);
  return total;
}

std::size_t count_item(Tally& tally, const json::object& item) {
  const std::string_view type = string_field(item, "type");
  std::size_t total = kTokensPerItem;
  if (type == "function_call") {
    total += tally.text(string_field(item, "name")) + tally.text(string_field(item, "arguments"));
  } else if (type == "custom_tool_call") {
    total += tally.text(string_field(item, "name")) + tally.text(string_field(item, "input"));
  } else if (type == "function_call_output" || type == "custom_tool_call_output") {
    total += count_content(tally, item.if_contains("output"));
  } else if (type == "reasoning") {
    // The summary is what is readable; encrypted_content is opaque and not counted.
    if (const json::value* summary = item.if_contains("summary"); summary && summary->is_array()) {
      for (const json::value& part : summary->get_array()) total += count_part(tally, part);
    }
  } else {
    // "message", or an item without a type (EasyInputMessage).
    total += count_content(tally, item.if_contains("content"));
  }
  return total;
}

std::size_t count_tool(Tally& tally, const json::object& tool) {
  std::size_t total = kTokensPerTool;
  total += tally.text(string_field(tool, "name"));
  total += tally.text(string_field(tool, "description"));
  total += tally.serialized(tool.if_contains("parameters"));
  return total;
}

}  // namespace

std::size_t count_request_tokens(const json::object& request) {
  Tally tally;
  std::size_t total = kReplyPriming;
  if (const std::string_view instructions = string_field(request, "instructions");
      !instructions.empty()) {
    total += kTokensPerItem + tally.text(instructions);
  }
  if (const json::value* tools = request.if_contains("tools"); tools && tools->is_array()) {
    for (const json::value& tool : tools->get_array()) {
      if (tool.is_object()) total += count_tool(tally, tool.get_object());
    }
  }
  if (const json::value* input = request.if_contains("input")) {
    if (input->is_string()) {
      total += kTokensPerItem + tally.text(input->get_string());
    } else if (input->is_array()) {
      for (const json::value& item : input->get_array()) {
        if (item.is_object()) total += count_item(tally, item.get_object());
      }
    }
  }
  // A structured-output schema is part of the prompt too.
  if (const json::value* text = request.if_contains("text"); text && text->is_object()) {
    if (const json::value* format = text->get_object().if_contains("format");
        format && format->is_object()) {
      total += tally.serialized(format->get_object().if_contains("schema"));
    }
  }
  return total;
}

}  // namespace claudegpt
