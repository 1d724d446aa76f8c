// The FNV-1a hash: tiny, stable across versions and platforms, good enough to tell names
// apart in ids and directory names, or a text from another (not for anything adversarial).
#pragma once

#include <cstdint>
#include <string_view>

namespace claudegpt {

inline std::uint32_t fnv1a32(std::string_view bytes) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

// 64-bit, and resumable: fnv1a64(b, fnv1a64(a)) == fnv1a64(a + b).
constexpr std::uint64_t kFnv1a64Start = 14695981039346656037ull;

inline std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = kFnv1a64Start) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace claudegpt
