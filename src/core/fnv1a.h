// The 32-bit FNV-1a hash: tiny, stable across versions and platforms, good enough to tell
// names apart in ids and directory names (not for anything adversarial).
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

}  // namespace claudegpt
