// Ids the proxy hands out ("msg_…", "req_…"): a prefix and 24 random base62 characters,
// like Anthropic's. Made at the edge so the translation core stays deterministic.
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

std::string random_id(std::string_view prefix);

// A random number in [0, bound) (0 when bound is 0), e.g. for jittered backoff.
long random_below(long bound);

}  // namespace claudegpt
