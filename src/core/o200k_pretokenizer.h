// o200k_base's pre-tokenisation: splitting text into the pieces tiktoken then merges one at a
// time, exactly where o200k's regex (its pat_str) would split it. The regex runs on PCRE2; a
// hand-written scanner finds the same pieces without it for characters of the BMP (the regex
// costs as much as all the rest of counting on text of short pieces), and leaves to the regex
// the pieces that depend on a character outside the BMP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

// PCRE2's types (pcre2_code, pcre2_match_data), declared rather than including its header.
struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace claudegpt {

class O200kPretokenizer {
 public:
  // Compiles the regex and classifies every BMP character by it (a few ms). Throws
  // std::runtime_error if PCRE2 rejects the pattern.
  O200kPretokenizer();
  ~O200kPretokenizer();
  O200kPretokenizer(const O200kPretokenizer&) = delete;
  O200kPretokenizer& operator=(const O200kPretokenizer&) = delete;

  // Splits texts for one thread at a time (it holds the regex's match state). The pretokenizer
  // is shared and must outlive it.
  class Cursor {
   public:
    // A match sees at most `window` bytes from where it starts, so that one costs at most that
    // however long a run of one class is: a piece reaching the end of its window is cut there
    // (TokenCounter::kWindow says why). `regex_only` splits all by the regex (tests compare).
    Cursor(const O200kPretokenizer& pretokenizer, std::size_t window, bool regex_only = false);
    ~Cursor();
    Cursor(const Cursor&) = delete;
    Cursor& operator=(const Cursor&) = delete;

    // Splits valid UTF-8 `text` into pieces, calling `on_piece(piece)` for each in order, and
    // returns how many bytes it split. That is all of `text` unless `more`, which says the text
    // goes on past its end: then splitting stops while less than a window is left, so that
    // every match sees what it would in the whole text (the caller passes what is left again,
    // with what follows it).
    template <typename OnPiece>
    std::size_t split(std::string_view text, bool more, OnPiece&& on_piece) {
      return split(text, more, &on_piece, [](void* f, std::string_view piece) {
        (*static_cast<std::remove_reference_t<OnPiece>*>(f))(piece);
      });
    }

   private:
    // The scanner is inlined in this loop, which calls `on_piece` once a piece (a call to the
    // scanner per piece instead would cost ~5% on text of short pieces).
    std::size_t split(std::string_view text, bool more, void* context,
                      void (*on_piece)(void* context, std::string_view piece));

    const O200kPretokenizer& pretokenizer_;
    const std::size_t window_;
    const bool regex_only_;
    pcre2_real_match_data_8* match_;
  };

 private:
  pcre2_real_code_8* pattern_ = nullptr;
  bool jit_ = false;
  std::vector<std::uint8_t> classes_;  // of U+0000…U+FFFF, as the scanner tells them apart
};

}  // namespace claudegpt
