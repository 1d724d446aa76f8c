// Pseudo-random input the unit tests make for themselves: deterministic, so a failure replays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace claudegpt::test {

// A deterministic stream of pseudo-random numbers (xorshift64*).
struct Random {
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  std::uint32_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<std::uint32_t>((state * 0x2545f4914f6cdd1dull) >> 32);
  }
  // `n` letters a-z.
  std::string letters(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += static_cast<char>('a' + next() % 26);
    return out;
  }
};

}  // namespace claudegpt::test
