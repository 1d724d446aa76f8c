// o200k_base token counting, the way tiktoken counts (`encode_ordinary`):
//   1. pre-tokenise: split the text into pieces with o200k's regex (o200k_pretokenizer.h);
//   2. each piece that is itself a token counts 1; otherwise its bytes are merged pairwise,
//      always the pair with the lowest rank first (leftmost on ties), until no pair is a token;
//      what is left is the piece's token count (ranks from o200k_ranks.h).
// Counting needs only the ranks, never the token ids, so nothing is decoded or returned.
// Pathological text (a 32 MiB run of one character, random bytes) is kept linear in time and
// small in memory by the bounds described under "Bounds that keep any text linear".
//
// Text must be valid UTF-8 to be pre-tokenised (PCRE2 runs with PCRE2_NO_UTF_CHECK: it would
// otherwise re-validate the subject on every match, which is quadratic over a long text). Text
// that is not is counted as a lossy decoder would see it: each maximal ill-formed subsequence
// becomes U+FFFD (as Unicode §3.9 and the WHATWG decoder do, and so what `tiktoken` in node
// counts for such bytes).
#include "core/token_counter.h"
#include "core/json_fields.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/o200k_pretokenizer.h"
#include "core/o200k_ranks.h"
#include "text/utf8.h"

namespace claudegpt {
namespace {

constexpr std::uint32_t kNoRank = RankTable::kNoRank;

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
// kWindow: the pre-tokeniser is shown at most this much text from where a match starts, so one
// match costs at most this much however long a run of spaces or letters is (and PCRE2's match
// limit is out of reach). A pre-token that reaches the end of its window is cut there and the
// text after it matched afresh; shorter pre-tokens, i.e. those of any real text, are tiktoken's.
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

// Text that is not valid UTF-8 (or JSON serialised on the fly) is repaired and counted through
// a buffer of about this size, not copied whole: two windows, so that every match still sees a
// full window.
constexpr std::size_t kRepairBuffer = 2 * TokenCounter::kWindow;

}  // namespace

struct TokenCounter::Impl {
  RankTable ranks = load_o200k_ranks();
  O200kPretokenizer pretokenizer;

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

  // The state of one count: the pre-tokeniser's cursor, the heap merge's scratch (kept
  // between pieces, so a text of many long pieces allocates it once), the running total.
  struct Counting {
    const Impl& impl;
    Work& work;
    O200kPretokenizer::Cursor pieces;
    std::vector<std::uint32_t> next, prev, pair_rank, heap;
    std::string memo;  // the last long piece merged, and its count
    std::size_t memo_tokens = 0;
    std::size_t total = 0;
    std::size_t estimated_bytes = 0;  // bytes of this text's pieces left to the estimate

    Counting(const Impl& impl, Work& work)
        : impl(impl), work(work), pieces(impl.pretokenizer, kWindow) {}

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
        std::size_t cut = code_point_floor(piece, kMaxMerge);
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
      return pieces.split(text, more, [this](std::string_view piece) { add_piece(piece); });
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

TokenCounter::TokenCounter() : impl_(std::make_unique<Impl>()) {}

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
  if (is_well_formed_utf8(text)) {
    counting.feed(text, false);
  } else {
    // Repaired a buffer at a time: a copy of the whole text could be three times its size.
    counting.feed_stream([&](std::string& buffer) {
      text.remove_prefix(append_well_formed_utf8(text, true, buffer, kRepairBuffer));
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
      raw.erase(0, append_well_formed_utf8(raw, last, buffer, SIZE_MAX));
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
