// Building the rank table, and filling it from the embedded o200k_base.json.
#include "core/o200k_ranks.h"

#include <stdexcept>

#include "core/o200k_vocabulary.h"

namespace claudegpt {

void RankTable::reserve(std::size_t tokens, std::size_t bytes) {
  bytes_.reserve(bytes);
  added_.reserve(tokens);
}

void RankTable::add(std::string_view token, std::uint32_t rank) {
  added_.push_back({static_cast<std::uint32_t>(bytes_.size()),
                    static_cast<std::uint32_t>(token.size()), rank});
  bytes_.append(token);
  max_length_ = std::max(max_length_, token.size());
}

void RankTable::seal() {
  if (bytes_.size() >= 1u << 24 || max_length_ >= 256) {  // Slot::meta's fields
    throw std::runtime_error("embedded o200k_base vocabulary: too large for the rank table");
  }
  short_.assign(256 + 65536, kNoRank);
  std::size_t capacity = 1024;
  while (capacity * 4 < added_.size() * 5) capacity *= 2;  // load ≤ 4/5
  mask_ = capacity - 1;
  slots_.assign(capacity, Slot{});
  filter_.assign(kFilterWords, 0);
  for (const Added& token : added_) {
    const char* p = bytes_.data() + token.begin;
    const std::size_t n = token.length;
    if (n == 0 || find(p, n) != kNoRank) continue;
    if (n <= 2) {
      short_[short_index(p, n)] = token.rank;
      continue;
    }
    const std::uint64_t head = head_bytes(p, n);
    const std::uint64_t h = hash_bytes(p, n, head);
    filter_[filter_word(h)] |= filter_bits(h);
    std::size_t i = h & mask_;
    while (slots_[i].meta != 0) i = (i + 1) & mask_;
    slots_[i] = {head, token.rank, static_cast<std::uint32_t>(n << 24 | token.begin)};
  }
  std::vector<Added>().swap(added_);  // its memory, not just its elements
}

// --- Loading the embedded vocabulary -----------------------------------------------------

namespace {

constexpr std::int8_t kBase64Invalid = -1;

struct Base64Table {
  std::int8_t value[256];
  constexpr Base64Table() : value() {
    for (auto& v : value) v = kBase64Invalid;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(alphabet[i])] = std::int8_t(i);
  }
};
constexpr Base64Table kBase64;

// Appends the bytes of standard base64 `text` (with or without '=' padding) to `out`.
bool decode_base64(std::string_view text, std::string& out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const std::int8_t v = kBase64.value[static_cast<unsigned char>(c)];
    if (v == kBase64Invalid) return false;
    bits = bits << 6 | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return true;
}

[[noreturn]] void bad_vocabulary(const char* what) {
  throw std::runtime_error(std::string("embedded o200k_base vocabulary: ") + what);
}

// The "bpe_ranks" string of the embedded JSON. It is base64, digits, '!', ' ' and "\n" (the
// JSON escape, two characters), so it is sliced out directly instead of parsing 2.3 MB of
// JSON into a DOM: the value has no other escapes, which is checked.
std::string_view bpe_ranks_text(std::string_view json) {
  constexpr std::string_view key = "\"bpe_ranks\":\"";
  const std::size_t at = json.find(key);
  if (at == std::string_view::npos) bad_vocabulary("no bpe_ranks");
  const std::size_t begin = at + key.size();
  const std::size_t end = json.find('"', begin);
  if (end == std::string_view::npos) bad_vocabulary("unterminated bpe_ranks");
  return json.substr(begin, end - begin);
}

RankTable load_ranks(std::string_view ranks_text) {
  RankTable table;
  table.reserve(200'000, 1'500'000);
  std::string token;
  std::size_t line_start = 0;
  while (line_start < ranks_text.size()) {
    std::size_t line_end = ranks_text.find("\\n", line_start);
    if (line_end == std::string_view::npos) line_end = ranks_text.size();
    const std::string_view line = ranks_text.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (line.empty()) continue;

    // `<ignored> <first rank> <token>…`
    std::size_t field_start = 0;
    int field = 0;
    std::uint32_t rank = 0;
    while (field_start <= line.size()) {
      std::size_t field_end = line.find(' ', field_start);
      if (field_end == std::string_view::npos) field_end = line.size();
      const std::string_view text = line.substr(field_start, field_end - field_start);
      field_start = field_end + 1;
      if (field == 1) {
        if (text.empty()) bad_vocabulary("empty first rank");
        for (const char c : text) {
          if (c < '0' || c > '9') bad_vocabulary("bad first rank");
          rank = rank * 10 + static_cast<std::uint32_t>(c - '0');
        }
      } else if (field > 1 && !text.empty()) {
        token.clear();
        if (!decode_base64(text, token) || token.empty()) bad_vocabulary("bad base64 token");
        // token_counter.cc's merge_long packs a rank into 20 bits (o200k's go up to 200k).
        if (rank >= 1u << 20) bad_vocabulary("rank too large");
        table.add(token, rank++);
      }
      ++field;
    }
  }
  if (table.empty()) bad_vocabulary("no tokens");
  table.seal();
  return table;
}

}  // namespace

RankTable load_o200k_ranks() { return load_ranks(bpe_ranks_text(o200k_base_json())); }

}  // namespace claudegpt
