// GPT's reasoning travels through Claude Code as the signature of a thinking block.
//
// With `store: false` the upstream keeps no state between requests, so the reasoning
// item's `encrypted_content` must come back with the next request for GPT to keep its
// chain of thought across tool calls. Claude Code stores a thinking block's `signature`
// verbatim and sends it back in the assistant turn; we put the encrypted content there,
// in an envelope we can recognise, and anything else (a real Anthropic signature from a
// session that started on Claude, or garbage) is dropped instead of sent upstream.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace claudegpt {

// The encrypted reasoning of one upstream model. Only that model can read it: after a switch
// (opus → sonnet tier mid-session) the other model's reasoning is dropped, not sent.
struct ReasoningSignature {
  std::string_view model;              // the upstream model that produced it
  std::string_view encrypted_content;
};

// "claudegpt.v1." + model + ":" + encrypted_content (which is base64url: it has no ':').
std::string wrap_reasoning_signature(std::string_view model, std::string_view encrypted_content);

// What one of our signatures holds; nullopt for any other signature.
std::optional<ReasoningSignature> unwrap_reasoning_signature(std::string_view signature);

}  // namespace claudegpt
