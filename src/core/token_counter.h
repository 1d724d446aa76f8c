// Local token counting with o200k_base, the BPE of the GPT-5 family, for
// /v1/messages/count_tokens. The vocabulary is embedded in the binary.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include <boost/json/object.hpp>

namespace claudegpt {

class TokenCounter {
 public:
  // The o200k_base counter; built on first use (about 200k ranks), then shared. Thread-safe.
  static const TokenCounter& o200k();

  // Tokens in `text` (special tokens are counted as plain text).
  std::size_t count(std::string_view text) const;

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
