#include "text/utf8.h"

namespace claudegpt {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

Utf8Sequence next_multibyte_utf8_sequence(std::string_view s, std::size_t i) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  const unsigned char c = b[i];
  // The lead byte fixes the length, and the range of the second byte that keeps the sequence
  // shortest-form, not a surrogate and not above U+10FFFF.
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;
  } else {
    return {1, false};
  }
  std::size_t good = 1;  // bytes of the sequence that are well-formed so far
  if (i + 1 < n && b[i + 1] >= low && b[i + 1] <= high) {
    good = 2;
    while (good < length && i + good < n && is_continuation(b[i + good])) ++good;
  }
  return {good, good == length};
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
