// What the fuzz targets share: choices drawn from the input itself (so that a saved crash input
// replays exactly, with the same chunking and options), and a check that turns a broken
// property into a crash libFuzzer records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace claudegpt::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// FNV-1a (64 bits) of the input: the seed of every choice a target makes besides the bytes.
inline std::uint64_t input_hash(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// splitmix64: a small deterministic generator for those choices.
class Choices {
 public:
  explicit Choices(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool flip() { return next() & 1; }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

 private:
  std::uint64_t state_;
};

// `bytes` cut into pieces as a network might deliver them: mostly tiny reads (splitting CRLFs,
// field names and UTF-8 sequences), sometimes large ones.
inline std::vector<std::string_view> random_chunks(std::string_view bytes, Choices& choices) {
  std::vector<std::string_view> chunks;
  while (!bytes.empty()) {
    std::size_t limit = choices.below(4) == 0 ? 4096 : 8;
    std::size_t size = 1 + choices.below(limit);
    if (size > bytes.size()) size = bytes.size();
    chunks.push_back(bytes.substr(0, size));
    bytes.remove_prefix(size);
  }
  return chunks;
}

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF), checked here independently of the code under test.
inline bool is_well_formed_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;  // range of the second byte
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) length = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > s.size()) return false;
    const unsigned char second = static_cast<unsigned char>(s[i + 1]);
    if (second < low || second > high) return false;
    for (std::size_t k = 2; k < length; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += length;
  }
  return true;
}

// A property the target checks does not hold: say which, and abort so that libFuzzer saves the
// input as a crash.
[[noreturn]] inline void property_broken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "\n==fuzz== property broken at %s:%d: %s\n", file, line, what);
  std::abort();
}

}  // namespace claudegpt::fuzz

#define FUZZ_CHECK(condition, what)                                                \
  do {                                                                             \
    if (!(condition)) ::claudegpt::fuzz::property_broken(what, __FILE__, __LINE__); \
  } while (0)
