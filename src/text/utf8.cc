#include "text/utf8.h"

#include <cstdint>
#include <cstring>

namespace claudegpt {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the well-formed sequence at `p` (1–4, of the `avail` bytes there), or 0 when
// it is ill-formed, with `*bad` set to the length of the unit to replace (at least 1). The lead
// byte fixes the length, and the range of the second byte that keeps the sequence
// shortest-form, not a surrogate and not above U+10FFFF (Table 3-7 of the Unicode Standard).
// Inline in the loops below, which run it for every character of text that is not ASCII.
inline std::size_t sequence_length(const unsigned char* p, std::size_t avail, std::size_t* bad) {
  const unsigned char lead = p[0];
  if (lead < 0x80) return 1;
  std::size_t length;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    *bad = 1;
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (k >= avail || p[k] < low || p[k] > high) {
      *bad = k;  // the well-formed bytes so far are one unit
      return 0;
    }
    low = 0x80;
    high = 0xBF;
  }
  return length;
}

// Whether the eight bytes at `p` are ASCII: most text is, and is skipped a word at a time.
inline bool ascii_word(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return (word & 0x8080808080808080ull) == 0;
}

}  // namespace

Utf8Sequence next_multibyte_utf8_sequence(std::string_view s, std::size_t i) {
  std::size_t bad = 0;
  const std::size_t length =
      sequence_length(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i, &bad);
  return length != 0 ? Utf8Sequence{length, true} : Utf8Sequence{bad, false};
}

std::string well_formed_utf8(std::string_view s, std::size_t* replaced) {
  std::string out;
  std::size_t copied = 0;  // bytes of `s` already in `out`
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    const Utf8Sequence sequence = next_utf8_sequence(s, i);
    if (!sequence.valid) {
      if (count++ == 0) out.reserve(s.size() + 2);
      out.append(s.substr(copied, i - copied)).append("\xEF\xBF\xBD");
      copied = i + sequence.size;
    }
    i += sequence.size;
  }
  if (replaced != nullptr) *replaced = count;
  if (count == 0) return std::string(s);
  out.append(s.substr(copied));
  return out;
}

bool is_well_formed_utf8(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n && ascii_word(s.data() + i)) {
      i += 8;
      continue;
    }
    std::size_t bad;
    const std::size_t length = sequence_length(b + i, n - i, &bad);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::size_t append_well_formed_utf8(std::string_view raw, bool last, std::string& out,
                                    std::size_t target) {
  const auto* b = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t n = raw.size();
  std::size_t i = 0;
  while (i < n && out.size() < target) {
    // Well-formed text is copied a run at a time.
    const std::size_t run = i;
    const std::size_t room = target - out.size();
    const std::size_t stop = room >= n - i ? n : i + room;
    std::size_t length = 0, bad = 0;
    while (i < stop) {
      if (i + 8 <= stop && ascii_word(raw.data() + i)) {
        i += 8;
        continue;
      }
      length = sequence_length(b + i, n - i, &bad);
      if (length == 0) break;
      i += length;
    }
    out.append(raw.data() + run, i - run);
    if (i >= stop) break;
    if (!last && i + bad == n) break;  // cut short by the end of `raw`: wait for more
    out.append("\xEF\xBF\xBD", 3);
    i += bad;
  }
  return i;
}

std::size_t count_code_points(std::string_view s) {
  std::size_t count = 0;
  for (char c : s) count += !is_continuation(static_cast<unsigned char>(c));
  return count;
}

std::size_t code_point_prefix_bytes(std::string_view s, std::size_t n) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_continuation(static_cast<unsigned char>(s[i])) && seen++ == n) return i;
  }
  return s.size();
}

}  // namespace claudegpt
