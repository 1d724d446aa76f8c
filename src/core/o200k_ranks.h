// The ranks of o200k_base's tokens, looked up by their bytes: the question every step of the
// BPE merge asks (token_counter.cc), loaded once from the vocabulary embedded in the binary
// (o200k_vocabulary.h). Counting needs only the ranks, never the token ids.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace claudegpt {

// Token bytes → rank. On pathological text (32 MiB of random letters) the merge makes tens of
// millions of lookups, most of them for strings that are not tokens, so a lookup is built to
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
  static constexpr std::uint32_t kNoRank = UINT32_MAX;  // find(): not a token

  // Filling a table: add() every token, then seal() once, before the first find().
  void reserve(std::size_t tokens, std::size_t bytes);
  void add(std::string_view token, std::uint32_t rank);
  bool empty() const { return added_.empty(); }  // before seal(): nothing added
  // Indexes what was added; later duplicates of a token are ignored. Throws
  // std::runtime_error if the tokens exceed what a slot can describe (16 MiB of token bytes,
  // a token of 256 bytes).
  void seal();

  // The rank of p[0, n), or kNoRank. Inline (below): every merge step is a lookup.
  std::uint32_t find(const char* p, std::size_t n) const;

 private:
  struct Added {
    std::uint32_t begin, length, rank;
  };
  struct Slot {
    std::uint64_t head = 0;  // the token's first eight bytes, zero-padded
    std::uint32_t rank = 0;
    std::uint32_t meta = 0;  // length << 24 | where its bytes start in bytes_; 0 = empty
  };

  template <typename T>
  static T load(const char* p) {
    T value;
    std::memcpy(&value, p, sizeof value);
    return value;
  }
  static std::uint64_t head_bytes(const char* p, std::size_t n);
  static std::uint64_t hash_bytes(const char* p, std::size_t n, std::uint64_t head);

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

  static bool equal(const char* a, const char* b, std::size_t n);

  std::string bytes_;                  // all tokens back to back
  std::vector<Added> added_;           // until seal()
  std::vector<std::uint32_t> short_;   // ranks of one- and two-byte strings (kNoRank: none)
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> filter_;  // Bloom filter of the strings in slots_
  std::size_t mask_ = 0;
  std::size_t max_length_ = 0;
};

// o200k_base's ranks, read from the embedded vocabulary (about 25 ms). Throws
// std::runtime_error if it is malformed.
RankTable load_o200k_ranks();

// --- Inline: what a lookup runs ----------------------------------------------------------

// The first eight bytes of p[0, n), zero-padded (n ≥ 1). Loads are whole words, overlapping
// when n is not a power of two, never a partial copy (which stalls on store-to-load
// forwarding).
inline std::uint64_t RankTable::head_bytes(const char* p, std::size_t n) {
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
inline std::uint64_t RankTable::hash_bytes(const char* p, std::size_t n, std::uint64_t head) {
  std::uint64_t h = (0x9e3779b97f4a7c15ull * (n + 1)) ^ head;
  for (std::size_t i = 8; i < n; i += 8) {
    const std::size_t at = std::min(i, n - 8);  // the last word overlaps the one before
    h = (h * 0xff51afd7ed558ccdull) ^ load<std::uint64_t>(p + at);
  }
  // splitmix64's finaliser
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

// memcmp for the short strings compared here, without a call per lookup.
inline bool RankTable::equal(const char* a, const char* b, std::size_t n) {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    if (load<std::uint64_t>(a) != load<std::uint64_t>(b)) return false;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

inline std::uint32_t RankTable::find(const char* p, std::size_t n) const {
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

}  // namespace claudegpt
