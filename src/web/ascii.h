// ASCII-only character tests and case folding for markup, headers and URLs. HTML and HTTP
// define their whitespace and case-insensitivity over ASCII alone, and the locale must not
// change what a page means, so <cctype> does not fit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claudegpt {

// HTML's "ASCII whitespace": space, tab, LF, CR and form feed (not vertical tab).
inline bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

inline bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

inline bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || (c >= '0' && c <= '9'); }

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

inline std::string ascii_lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// `s` without ASCII whitespace at either end.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
  return s;
}

// Case-insensitive comparisons against a constant: `lower` must already be lower-case.
inline bool starts_with_ci(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if (ascii_lower(s[i]) != lower[i]) return false;
  }
  return true;
}

inline bool equals_ci(std::string_view s, std::string_view lower) {
  return s.size() == lower.size() && starts_with_ci(s, lower);
}

inline bool contains_ci(std::string_view s, std::string_view lower) {
  for (std::size_t i = 0; i + lower.size() <= s.size(); ++i) {
    if (starts_with_ci(s.substr(i), lower)) return true;
  }
  return false;
}

}  // namespace claudegpt
