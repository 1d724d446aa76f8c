#include "core/o200k_pretokenizer.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core/token_counter.h"
#include "unit/random_text.h"

namespace claudegpt {
namespace {

constexpr std::size_t kWindow = TokenCounter::kWindow;

const O200kPretokenizer& pretokenizer() {
  static const O200kPretokenizer instance;
  return instance;
}

// Where the pieces of `text` end, split by the scanner (and the regex for what it leaves), or
// all by the regex. `more`: as a part of a longer text; `*split` gets the bytes split.
std::vector<std::size_t> piece_ends(std::string_view text, bool regex_only, bool more = false,
                                    std::size_t* split = nullptr) {
  O200kPretokenizer::Cursor cursor(pretokenizer(), kWindow, regex_only);
  std::vector<std::size_t> ends;
  std::size_t at = 0;
  bool contiguous = true;
  const std::size_t bytes = cursor.split(text, more, [&](std::string_view piece) {
    contiguous = contiguous && piece.data() == text.data() + at && !piece.empty();
    at += piece.size();
    ends.push_back(at);
  });
  EXPECT_TRUE(contiguous) << "pieces are not consecutive and non-empty";
  EXPECT_EQ(bytes, at);
  if (split != nullptr) *split = bytes;
  return ends;
}

// Empty when the scanner splits `text` as the regex does, else where they first differ.
std::string difference_from_regex(std::string_view text) {
  const std::vector<std::size_t> fast = piece_ends(text, false);
  const std::vector<std::size_t> regex = piece_ends(text, true);
  if (fast == regex) return "";
  const auto [f, r] = std::mismatch(fast.begin(), fast.end(), regex.begin(), regex.end());
  const std::size_t start = f == fast.begin() ? 0 : f[-1];
  const auto end = [](const std::vector<std::size_t>& ends, auto it) {
    return it == ends.end() ? std::string("none") : std::to_string(*it);
  };
  return "piece from byte " + std::to_string(start) + " ends at " + end(fast, f) +
         " by the scanner, " + end(regex, r) + " by the regex, in \"" +
         std::string(text.substr(start, 40)) + "\"";
}

using test::Random;

TEST(O200kPretokenizer, SplitsLikeTheRegexOnRandomMixesOfEveryCharacterClass) {
  // Characters of each class the pattern tells apart, and those its branches single out: Lu,
  // Lt, Ll, Lm, Lo, Mn, Mc, Nd, No, Nl; white space (NEL, NBSP, ideographic, line separator),
  // CR, LF; the apostrophe and the letters of contractions (ſ folds to s); '/', symbols, a
  // control character; and characters outside the BMP, which the regex decides.
  const std::vector<std::string> alphabet = {
      "a", "b", "Z", "Q", "\u01C5", "\u02B0", "\u4E2D", "\u00DF", "\u0301", "\u0903",
      "\u0663", "\u00B2", "\u216B", "0", "9", " ", " ", " ", "\t", "\n", "\r", "\u0085",
      "\u00A0", "\u3000", "\u2028", "'", "'", "s", "S", "\u017F", "t", "r", "e", "E", "v",
      "l", "L", "m", "d", "D", "/", "!", ".", "-", "\uFFFD", "\x01", "\U0001F600",
      "\U0001D400", "\U00020000", "\U0001D7CE"};
  Random random;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (std::uint32_t n = 1 + random.next() % 24; n > 0; --n) {
      text += alphabet[random.next() % alphabet.size()];
    }
    ASSERT_EQ(difference_from_regex(text), "");
  }
}

TEST(O200kPretokenizer, SplitsLikeTheRegexAroundEveryBmpCharacter) {
  // Each character in the contexts where the branches differ: after and before letters of
  // either case, digits, marks, symbols, spaces, newlines and an apostrophe.
  const char* const contexts[][2] = {
      {"x", "y"},  {"X", "Y"},   {"Ab", "C"},  {" ", "a"},  {"'", "e"},   {"a'", "e"},
      {"a'r", ""}, {"1", "2"},   {"!", "!"},   {" ", " "},  {"\n", " \n"}, {"", "\u0301"},
      {"\u02B0", "A"}, {"\u0301", "B"}, {" ", "!"}, {"  ", "\r\n"},
  };
  for (std::uint32_t block = 0; block < 0x10000; block += 0x400) {
    std::string text;
    for (std::uint32_t cp = block; cp < block + 0x400; ++cp) {
      if (cp >= 0xD800 && cp < 0xE000) continue;
      std::string c;
      if (cp < 0x80) {
        c = static_cast<char>(cp);
      } else if (cp < 0x800) {
        c = {static_cast<char>(0xC0 | cp >> 6), static_cast<char>(0x80 | (cp & 0x3F))};
      } else {
        c = {static_cast<char>(0xE0 | cp >> 12), static_cast<char>(0x80 | (cp >> 6 & 0x3F)),
             static_cast<char>(0x80 | (cp & 0x3F))};
      }
      for (const auto& context : contexts) text += context[0] + c + context[1];
    }
    EXPECT_EQ(difference_from_regex(text), "") << "U+" << std::hex << block;
  }
}

TEST(O200kPretokenizer, CutsAPieceAtTheEndOfItsWindow) {
  // One pre-token to the regex, cut where a window ends: at a character boundary at or before
  // it (0x10000 is not a multiple of 3).
  for (const bool regex_only : {false, true}) {
    const std::string letters(2 * kWindow + 100, 'a');
    EXPECT_EQ(piece_ends(letters, regex_only),
              (std::vector<std::size_t>{kWindow, 2 * kWindow, 2 * kWindow + 100}));
    std::string cjk;
    while (cjk.size() < kWindow + 30) cjk += "\u4E2D";
    const std::size_t cut = kWindow / 3 * 3;
    EXPECT_EQ(piece_ends(cjk, regex_only), (std::vector<std::size_t>{cut, cjk.size()}));
  }
}

TEST(O200kPretokenizer, LeavesTheLastWindowForTheTextThatFollows) {
  // Split as a part of a longer text, then what it left with the rest: the pieces of the
  // whole.
  Random random;
  std::string text;
  const char* const words[] = {"The", " quick", " brown", " fox", ",", " 123", "\n\n", "  "};
  while (text.size() < 3 * kWindow) text += words[random.next() % std::size(words)];
  const std::vector<std::size_t> whole = piece_ends(text, false);

  const std::size_t part = 2 * kWindow + 7;
  std::size_t split = 0;
  std::vector<std::size_t> ends = piece_ends(std::string_view(text).substr(0, part), false,
                                             /*more=*/true, &split);
  EXPECT_LT(split, part);
  EXPECT_GE(split, part - kWindow);
  for (const std::size_t end : piece_ends(std::string_view(text).substr(split), false)) {
    ends.push_back(split + end);
  }
  EXPECT_EQ(ends, whole);

  // A part shorter than a window is left whole.
  EXPECT_TRUE(piece_ends(std::string_view(text).substr(0, 100), false, true, &split).empty());
  EXPECT_EQ(split, 0u);
}

}  // namespace
}  // namespace claudegpt
