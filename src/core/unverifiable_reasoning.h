// Reasoning the upstream can no longer verify, and how a session survives it.
//
// Reasoning goes back upstream as the `encrypted_content` the upstream issued (Claude Code
// keeps it in each thinking block's signature). When the upstream's key changes (an account
// or key change, an organisation migration, a model rollout), every request that replays such
// an item is refused: 400 {"error":{"message":"The encrypted content gAAA...Rg== could not be
// verified.","type":"invalid_request_error","param":null,"code":"invalid_encrypted_content"}}
// (openai/codex #8132 and the #8120 cluster, 2025-12-16; Azure #8100; real-services-2026.md
// §3). Since Claude Code sends the same thinking blocks on every later turn, the session would
// fail until cleared. So the proxy retries once without the reasoning items (the text, calls
// and results of the conversation stay), and keeps the refused contents in a DeadReasoning
// set, so that later turns leave them out from the start instead of paying a failed request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/json/object.hpp>

namespace claudegpt {

// Whether an upstream error says replayed reasoning could not be verified: code
// invalid_encrypted_content, at the top level, under "error", or under "response.error" (an
// HTTP error body, an `error` event, a `response.failed` event). `body` is the raw HTTP body.
bool is_unverifiable_reasoning_error(const boost::json::object& error);
bool is_unverifiable_reasoning_error(std::string_view body);

// Removes from body["input"] the reasoning items that carry encrypted_content and for which
// `drop` says yes (every one of them when `drop` is empty); returns the contents removed.
std::vector<std::string> drop_reasoning_items(
    boost::json::object& body, const std::function<bool(std::string_view)>& drop = {});

// Encrypted contents the upstream refused, as 64-bit fingerprints: 8 bytes each however long
// the content, at most `capacity` of them (the oldest go first), so a long-running proxy holds
// a bounded amount.
class DeadReasoning {
 public:
  explicit DeadReasoning(std::size_t capacity = 65536) : capacity_(capacity) {}

  void add(std::string_view encrypted_content);
  bool contains(std::string_view encrypted_content) const;
  std::size_t size() const { return order_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_set<std::uint64_t> set_;
  std::deque<std::uint64_t> order_;
};

}  // namespace claudegpt
