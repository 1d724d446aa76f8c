// Local token counting with o200k_base, the BPE of the GPT-5 family, for
// /v1/messages/count_tokens. The vocabulary is embedded in the binary.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace claudegpt {

class TokenCounter {
 public:
  // The o200k_base counter; built on first use (about 200k ranks), then shared. Thread-safe.
  static const TokenCounter& o200k();

  // Tokens in `text` (special tokens are counted as plain text): exactly tiktoken's count
  // unless a pre-token is longer than kMaxMerge bytes or more than kExactMergeBytes need
  // merging (more than a context window holds), then an estimate within a fraction of a
  // percent (token_counter.cc says how). Linear in time whatever `text` holds (32 MiB in well
  // under a second), and it needs a few hundred KB on top of `text`.
  std::size_t count(std::string_view text) const;

  // Bounds that keep counting linear (token_counter.cc says why each is what it is).
  static constexpr std::size_t kWindow = 64 * 1024;  // text the regex sees past a match's start
  static constexpr std::size_t kMaxMerge = 4 * 1024;  // longest run merged at once
  static constexpr std::size_t kExactMergeBytes = 2 * 1024 * 1024;  // merged exactly, then
  static constexpr std::size_t kSampleEvery = 16;                   // one piece in this many

  // What counting took. Passed to several counts, it makes them share kExactMergeBytes
  // (count_request_tokens passes one for all of a request's texts); tests read it.
  struct Work {
    std::size_t pieces = 0;           // pre-tokens counted
    std::size_t longest_piece = 0;    // bytes in the longest of them
    std::size_t longest_merge = 0;    // bytes merged at once (a long pre-token is chunked)
    std::size_t largest_buffer = 0;   // bytes of repaired text held at once (invalid UTF-8)
    std::size_t merged_bytes = 0;     // bytes of pieces merged exactly...
    std::size_t merged_tokens = 0;    // ...into this many tokens
    std::size_t estimated_bytes = 0;  // bytes of pieces past the allowance, not merged
    std::size_t unsampled = 0;        // pieces past the allowance, sampled or not
  };
  std::size_t count(std::string_view text, Work& work) const;

  // Tokens in boost::json::serialize(value), without holding that text whole.
  std::size_t count_json(const boost::json::value& value, Work& work) const;

  ~TokenCounter();
  TokenCounter(const TokenCounter&) = delete;
  TokenCounter& operator=(const TokenCounter&) = delete;

 private:
  TokenCounter();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Tokens the upstream would count for a Responses request body: its instructions, tool
// definitions and every input item's text (images and files at a fixed estimate).
std::size_t count_request_tokens(const boost::json::object& responses_request);

}  // namespace claudegpt
