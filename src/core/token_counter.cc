// o200k_base token counting, the way tiktoken counts (`encode_ordinary`):
//   1. pre-tokenise: split the text into pieces with o200k's regex (PCRE2, JIT-compiled);
//   2. each piece that is itself a token counts 1; otherwise its bytes are merged pairwise,
//      always the pair with the lowest rank first (leftmost on ties), until no pair is a token;
//      what is left is the piece's token count.
// Counting needs only the ranks, never the token ids, so nothing is decoded or returned.
#include "core/token_counter.h"
#include "core/json_fields.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <queue>
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
std::size_t utf8_sequence(const unsigned char* p, std::size_t avail, std::size_t* bad) {
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

std::string replace_invalid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t bad;
    const std::size_t len = utf8_sequence(p + i, text.size() - i, &bad);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      i += bad;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  return out;
}

// --- The rank table ----------------------------------------------------------------------

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline std::uint64_t hash_bytes(const char* p, std::size_t n) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull * (n + 1);
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = mix(h ^ word);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = mix(h ^ word);
  }
  return h;
}

// Token bytes → rank: an open-addressing table (linear probing, load ≤ 1/2) over one byte
// arena. About 200k tokens: ~1.4 MB of bytes plus 4 MB of slots, built in one pass with no
// per-token allocation; a lookup is one hash and usually one memcmp.
class RankTable {
 public:
  void reserve(std::size_t tokens, std::size_t bytes) {
    bytes_.reserve(bytes);
    begin_.reserve(tokens + 1);
    rank_.reserve(tokens);
  }

  void add(std::string_view token, std::uint32_t rank) {
    if (begin_.empty()) begin_.push_back(0);
    bytes_.append(token);
    begin_.push_back(static_cast<std::uint32_t>(bytes_.size()));
    rank_.push_back(rank);
    max_length_ = std::max(max_length_, token.size());
  }

  // Indexes what was added. Later duplicates of a token are ignored.
  void seal() {
    std::size_t capacity = 1024;
    while (capacity < 2 * rank_.size()) capacity *= 2;
    mask_ = capacity - 1;
    slots_.assign(capacity, 0);
    for (std::size_t entry = 0; entry < rank_.size(); ++entry) {
      const char* p = bytes_.data() + begin_[entry];
      const std::size_t n = begin_[entry + 1] - begin_[entry];
      if (find(p, n) != kNoRank) continue;
      const std::uint64_t h = hash_bytes(p, n);
      std::size_t i = h & mask_;
      while (slots_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = (h >> 32 << 32) | (entry + 1);
    }
  }

  std::size_t size() const { return rank_.size(); }

  std::uint32_t find(const char* p, std::size_t n) const {
    if (n > max_length_ || slots_.empty()) return kNoRank;
    const std::uint64_t h = hash_bytes(p, n);
    const std::uint64_t tag = h >> 32;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t slot = slots_[i];
      if (slot == 0) return kNoRank;
      if (slot >> 32 != tag) continue;
      const std::size_t entry = static_cast<std::uint32_t>(slot) - 1;
      const std::size_t begin = begin_[entry];
      if (begin_[entry + 1] - begin == n && std::memcmp(bytes_.data() + begin, p, n) == 0) {
        return rank_[entry];
      }
    }
  }

 private:
  std::string bytes_;                 // all tokens back to back
  std::vector<std::uint32_t> begin_;  // entry i is bytes_[begin_[i], begin_[i + 1])
  std::vector<std::uint32_t> rank_;
  std::vector<std::uint64_t> slots_;  // (hash >> 32) << 32 | (entry + 1); 0 = empty
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
        table.add(token, rank++);
      }
      ++field;
    }
  }
  if (table.size() == 0) bad_vocabulary("no tokens");
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

// Pieces up to this long are merged with tiktoken's own quadratic scan (fast on short pieces,
// no allocation); longer ones with a heap, so a megabyte-long piece is not quadratic.
constexpr std::size_t kShortPiece = 128;

}  // namespace

struct TokenCounter::Impl {
  RankTable ranks;
  pcre2_code* pattern = nullptr;
  bool jit = false;

  ~Impl() { pcre2_code_free(pattern); }

  std::uint32_t rank(std::string_view piece, std::size_t begin, std::size_t end) const {
    return ranks.find(piece.data() + begin, end - begin);
  }

  std::size_t count_piece(std::string_view piece) const {
    if (piece.size() <= 1) return piece.size();  // every single byte is a token
    if (ranks.find(piece.data(), piece.size()) != kNoRank) return 1;
    return piece.size() <= kShortPiece ? merge_short(piece) : merge_long(piece);
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

  // The same merges in the same order, found with a min-heap of (rank, start) instead of a
  // scan: parts form a linked list by start offset; a heap entry is stale once its left part
  // is gone or that part's pair no longer ends where it did (pair ends only ever grow).
  std::size_t merge_long(std::string_view piece) const {
    const std::uint32_t n = static_cast<std::uint32_t>(piece.size());
    constexpr std::uint32_t kGone = UINT32_MAX;
    std::vector<std::uint32_t> next(n + 1), prev(n + 1);
    for (std::uint32_t i = 0; i <= n; ++i) {
      next[i] = i + 1;
      prev[i] = i == 0 ? kGone : i - 1;
    }
    next[n] = n;
    struct Candidate {
      std::uint32_t rank, start, end;
      bool operator>(const Candidate& o) const {
        return rank != o.rank ? rank > o.rank : start > o.start;
      }
    };
    std::vector<Candidate> storage;
    storage.reserve(n);
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap(
        std::greater<>(), std::move(storage));
    const auto consider = [&](std::uint32_t start) {
      const std::uint32_t middle = next[start];
      if (middle >= n) return;
      const std::uint32_t end = next[middle];
      const std::uint32_t r = rank(piece, start, end);
      if (r != kNoRank) heap.push({r, start, end});
    };
    for (std::uint32_t i = 0; i + 1 < n; ++i) consider(i);
    std::size_t parts = n;
    while (!heap.empty()) {
      const Candidate c = heap.top();
      heap.pop();
      const std::uint32_t middle = next[c.start];
      if (middle == kGone || middle >= n || next[middle] != c.end) continue;  // stale
      // Merge the part at `middle` into the part at `c.start`.
      next[c.start] = c.end;
      if (c.end < n) prev[c.end] = c.start;
      next[middle] = kGone;
      --parts;
      if (prev[c.start] != kGone) consider(prev[c.start]);
      consider(c.start);
    }
    return parts;
  }

  std::size_t count_valid_utf8(std::string_view text) const {
    std::unique_ptr<pcre2_match_data, MatchDataFree> match(
        pcre2_match_data_create_from_pattern(pattern, nullptr));
    if (!match) throw std::bad_alloc();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
    std::size_t total = 0;
    std::size_t at = 0;
    while (at < text.size()) {
      const int rc = jit ? pcre2_jit_match(pattern, subject, text.size(), at, 0, match.get(),
                                           nullptr)
                         : pcre2_match(pattern, subject, text.size(), at, PCRE2_NO_UTF_CHECK,
                                       match.get(), nullptr);
      if (rc < 0) {
        // Every character is matched by some branch, so this is only PCRE2's match limit
        // (a whitespace run of some ten million characters backtracks that often): count
        // what is left as one piece rather than fail the request.
        total += count_piece(text.substr(at));
        break;
      }
      std::size_t begin = ovector[0];
      std::size_t end = ovector[1];
      // Defensive, as above: unmatched text is counted, not dropped; an empty match moves on
      // by one character.
      if (begin > at) total += count_piece(text.substr(at, begin - at));
      if (end <= begin) {
        if (begin >= text.size()) break;
        std::size_t bad;
        end = begin + std::max<std::size_t>(
                          1, utf8_sequence(subject + begin, text.size() - begin, &bad));
      }
      total += count_piece(text.substr(begin, end - begin));
      at = end;
    }
    return total;
  }
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
  if (text.empty()) return 0;
  if (is_valid_utf8(text)) return impl_->count_valid_utf8(text);
  return impl_->count_valid_utf8(replace_invalid_utf8(text));
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

std::size_t count_text(std::string_view text) { return TokenCounter::o200k().count(text); }

// Serialised JSON of a value that is usually small (a schema); strings count as they are.
std::size_t count_json(const json::value* value) {
  if (value == nullptr || value->is_null()) return 0;
  if (value->is_string()) return count_text(value->get_string());
  return count_text(json::serialize(*value));
}

std::size_t count_image(const json::object& part) {
  return string_field(part, "detail") == "low" ? kLowDetailImageTokens : kImageTokens;
}

// One content part of a message or of a function_call_output: input_text, output_text,
// refusal, input_image, input_file.
std::size_t count_part(const json::value& part_value) {
  if (part_value.is_string()) return count_text(part_value.get_string());
  if (!part_value.is_object()) return 0;
  const json::object& part = part_value.get_object();
  const std::string_view type = string_field(part, "type");
  if (type == "input_image" || type == "image") return count_image(part);
  if (type == "input_file" || type == "file") return kFileTokens;
  if (type == "refusal") return count_text(string_field(part, "refusal"));
  return count_text(string_field(part, "text"));
}

// A content field that is either a string or an array of parts.
std::size_t count_content(const json::value* content) {
  if (content == nullptr) return 0;
  if (content->is_string()) return count_text(content->get_string());
  if (!content->is_array()) return 0;
  std::size_t total = 0;
  for (const json::value& part : content->get_array()) total += count_part(part);
  return total;
}

std::size_t count_item(const json::object& item) {
  const std::string_view type = string_field(item, "type");
  std::size_t total = kTokensPerItem;
  if (type == "function_call") {
    total += count_text(string_field(item, "name")) + count_text(string_field(item, "arguments"));
  } else if (type == "custom_tool_call") {
    total += count_text(string_field(item, "name")) + count_text(string_field(item, "input"));
  } else if (type == "function_call_output" || type == "custom_tool_call_output") {
    total += count_content(item.if_contains("output"));
  } else if (type == "reasoning") {
    // The summary is what is readable; encrypted_content is opaque and not counted.
    if (const json::value* summary = item.if_contains("summary"); summary && summary->is_array()) {
      for (const json::value& part : summary->get_array()) total += count_part(part);
    }
  } else {
    // "message", or an item without a type (EasyInputMessage).
    total += count_content(item.if_contains("content"));
  }
  return total;
}

std::size_t count_tool(const json::object& tool) {
  std::size_t total = kTokensPerTool;
  total += count_text(string_field(tool, "name"));
  total += count_text(string_field(tool, "description"));
  total += count_json(tool.if_contains("parameters"));
  return total;
}

}  // namespace

std::size_t count_request_tokens(const json::object& request) {
  std::size_t total = kReplyPriming;
  if (const std::string_view instructions = string_field(request, "instructions");
      !instructions.empty()) {
    total += kTokensPerItem + count_text(instructions);
  }
  if (const json::value* tools = request.if_contains("tools"); tools && tools->is_array()) {
    for (const json::value& tool : tools->get_array()) {
      if (tool.is_object()) total += count_tool(tool.get_object());
    }
  }
  if (const json::value* input = request.if_contains("input")) {
    if (input->is_string()) {
      total += kTokensPerItem + count_text(input->get_string());
    } else if (input->is_array()) {
      for (const json::value& item : input->get_array()) {
        if (item.is_object()) total += count_item(item.get_object());
      }
    }
  }
  // A structured-output schema is part of the prompt too.
  if (const json::value* text = request.if_contains("text"); text && text->is_object()) {
    if (const json::value* format = text->get_object().if_contains("format");
        format && format->is_object()) {
      total += count_json(format->get_object().if_contains("schema"));
    }
  }
  return total;
}

}  // namespace claudegpt
