#include "gateway/virtual_key.h"

#include <openssl/evp.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace claudegpt {

namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kRandomBytes = 32;
constexpr std::size_t kEncodedLength = 43;  // 256 bits in 6-bit characters, unpadded

}  // namespace

std::string new_virtual_key() {
  unsigned char bytes[kRandomBytes + 1] = {};  // (+1: the last 6-bit group reads past the end)
  std::size_t got = 0;
  while (got < kRandomBytes) {
    ssize_t n = ::getrandom(bytes + got, kRandomBytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("no random source for a new key");
    got += static_cast<std::size_t>(n);
  }
  std::string key(kVirtualKeyPrefix);
  for (std::size_t bit = 0; key.size() < kVirtualKeyPrefix.size() + kEncodedLength; bit += 6) {
    std::size_t byte = bit / 8, shift = bit % 8;
    unsigned pair = (static_cast<unsigned>(bytes[byte]) << 8) | bytes[byte + 1];
    key.push_back(kBase64Url[(pair >> (10 - shift)) & 0x3f]);
  }
  return key;
}

std::string virtual_key_hash(std::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!EVP_Digest(key.data(), key.size(), digest, &length, EVP_sha256(), nullptr))
    throw std::runtime_error("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string virtual_key_prefix(std::string_view key) {
  return std::string(key.substr(0, kVirtualKeyPrefix.size() + 6));
}

bool looks_like_virtual_key(std::string_view text) {
  if (!text.starts_with(kVirtualKeyPrefix)) return false;
  std::string_view rest = text.substr(kVirtualKeyPrefix.size());
  return rest.size() == kEncodedLength &&
         std::all_of(rest.begin(), rest.end(), [](char c) { return kBase64Url.find(c) != std::string_view::npos; });
}

}  // namespace claudegpt
