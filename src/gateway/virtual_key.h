// Virtual keys: what a developer puts in ANTHROPIC_API_KEY to use a team gateway, and how the
// gateway stores them.
//
//   cgk-<43 characters of base64url: 32 random bytes>
//
// The gateway keeps only a key's SHA-256. A key is 256 random bits, not a password a person
// chose, so a plain hash cannot be reversed by guessing, and needs no salt or slow hashing
// (which would put milliseconds on every request's check).
#pragma once

#include <string>
#include <string_view>

namespace claudegpt {

inline constexpr std::string_view kVirtualKeyPrefix = "cgk-";

// A new key from the system's random source (getrandom). Throws std::runtime_error if there
// is none.
std::string new_virtual_key();

// SHA-256 of the key's text: 32 bytes.
std::string virtual_key_hash(std::string_view key);

// `bytes` in lower-case hex.
std::string hex(std::string_view bytes);

// What a listing shows of a key: "cgk-" and the next 6 characters.
std::string virtual_key_prefix(std::string_view key);

// Whether `text` has a virtual key's shape (the prefix, then 43 base64url characters).
bool looks_like_virtual_key(std::string_view text);

}  // namespace claudegpt
