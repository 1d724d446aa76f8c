#include "text/utf8.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

// Ill-formed units of each kind between well-formed text, ASCII runs long enough to be
// skipped a word at a time among them.
const std::string kMixed =
    "plain ASCII text, long enough\xFF" "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80"
    "\xC0\xAF" "overlong \xED\xA0\x80 surrogate \xF4\x90\x80\x80 too high, "
    "cut \xE4\xB8 short \xF0\x9F\x98 and at the end \xE6\x96";

TEST(Utf8, TellsWellFormedTextFromIllFormed) {
  EXPECT_TRUE(is_well_formed_utf8(""));
  EXPECT_TRUE(is_well_formed_utf8("plain ASCII text, long enough to skip"));
  EXPECT_TRUE(is_well_formed_utf8("caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(is_well_formed_utf8(std::string_view("\0", 1)));
  EXPECT_FALSE(is_well_formed_utf8(kMixed));
  EXPECT_FALSE(is_well_formed_utf8("twelve bytes\xFF"));
  EXPECT_FALSE(is_well_formed_utf8("\xE4\xB8"));            // cut short
  EXPECT_FALSE(is_well_formed_utf8("\xC0\xAF"));            // overlong
  EXPECT_FALSE(is_well_formed_utf8("\xED\xA0\x80"));        // a surrogate
  EXPECT_FALSE(is_well_formed_utf8("\xF4\x90\x80\x80"));    // above U+10FFFF
  EXPECT_FALSE(is_well_formed_utf8("\x80 continuation"));
}

TEST(Utf8, RepairsAPartAtATimeAsWhole) {
  const std::string whole = well_formed_utf8(kMixed);
  // Cut anywhere, inside sequences too, and into parts of any size.
  for (std::size_t part = 1; part <= kMixed.size(); ++part) {
    std::string out, raw;
    for (std::size_t at = 0; at < kMixed.size(); at += part) {
      raw += kMixed.substr(at, part);
      const bool last = at + part >= kMixed.size();
      raw.erase(0, append_well_formed_utf8(raw, last, out, SIZE_MAX));
    }
    EXPECT_EQ(out, whole) << "parts of " << part;
    EXPECT_EQ(raw, "") << "parts of " << part;
  }
}

TEST(Utf8, RepairsUntilTheOutputHoldsTheTarget) {
  std::string out;
  const std::size_t used = append_well_formed_utf8(kMixed, true, out, 10);
  EXPECT_EQ(used, 10u);
  EXPECT_EQ(out, "plain ASCI");
  // A replaced unit is appended whole, as the three bytes of U+FFFD, even past the target.
  out.clear();
  const std::string_view rest = std::string_view(kMixed).substr(used);
  EXPECT_EQ(append_well_formed_utf8(rest, true, out, 20), 20u);
  EXPECT_EQ(out, "I text, long enough\xEF\xBF\xBD");
}

TEST(Utf8, FindsTheStartOfTheCodePointAByteBelongsTo) {
  const std::string_view text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80z";
  const std::size_t starts[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
  for (std::size_t at = 0; at < text.size(); ++at) {
    EXPECT_EQ(code_point_floor(text, at), starts[at]) << "byte " << at;
  }
}

}  // namespace
}  // namespace claudegpt
