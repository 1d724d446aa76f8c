// The o200k_base vocabulary, embedded into the binary at build time so claudegpt stays one
// file. It is `encoders/o200k_base.json` of the npm package tiktoken@1.0.22, byte for byte:
//   {"pat_str": <pre-tokenisation regex>, "special_tokens": {…}, "bpe_ranks": "<ranks>"}
// where <ranks> is lines separated by "\n", each `<ignored> <first rank> <base64 token>…`:
// the i-th token of a line has rank <first rank> + i.
#pragma once

#include <string_view>

namespace claudegpt {

std::string_view o200k_base_json();

}  // namespace claudegpt
