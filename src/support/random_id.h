// Ids the proxy hands out ("msg_…", "req_…"): a prefix and 24 random base62 characters,
// like Anthropic's. Made at the edge so the translation core stays deterministic.
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

std::string random_id(std::string_view prefix);

}  // namespace claudegpt
