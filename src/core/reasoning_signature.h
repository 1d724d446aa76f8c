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

// "claudegpt.v1." + encrypted_content.
std::string wrap_reasoning_signature(std::string_view encrypted_content);

// The encrypted content inside one of our signatures; nullopt for any other signature.
std::optional<std::string_view> unwrap_reasoning_signature(std::string_view signature);

}  // namespace claudegpt
