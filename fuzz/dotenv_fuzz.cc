// The .env parser and writer. parse_dotenv may only throw DotenvError; whatever it reads,
// format_dotenv writes back so that it parses to the same entries; and any value (every byte
// allowed) under any valid key survives format_dotenv → parse_dotenv unchanged, as the setup
// wizard relies on when it saves an API key. An invalid key is refused with invalid_argument.
//
// Input: read once as a .env file; then cut at '\0' bytes into key, value, key, value… for
// the writer.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/dotenv.h"
#include "fuzz_support.h"

namespace claudegpt {
namespace {

bool same_entries(const std::vector<DotenvEntry>& a, const std::vector<DotenvEntry>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].key != b[i].key || a[i].value != b[i].value) return false;
  return true;
}

// format → parse must give `entries` back (keys and values; lines are the writer's own).
void check_written_reads_back(const std::vector<DotenvEntry>& entries) {
  const std::string text = format_dotenv(entries);
  std::vector<DotenvEntry> back;
  try {
    back = parse_dotenv(text);
  } catch (const DotenvError&) {
    FUZZ_CHECK(false, "parse_dotenv rejects what format_dotenv wrote");
  }
  FUZZ_CHECK(same_entries(entries, back), "format_dotenv → parse_dotenv changed an entry");
  FUZZ_CHECK(format_dotenv(back) == text, "writing what was read back gives other text");
}

}  // namespace
}  // namespace claudegpt

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace claudegpt;
  const std::string_view text = fuzz::as_text(data, size);

  // As a file.
  try {
    const std::vector<DotenvEntry> entries = parse_dotenv(text, "fuzz.env");
    int last_line = 0;
    for (const DotenvEntry& entry : entries) {
      FUZZ_CHECK(is_dotenv_key(entry.key), "parse_dotenv read an invalid key");
      FUZZ_CHECK(entry.line > last_line, "entries out of line order");
      last_line = entry.line;
    }
    check_written_reads_back(entries);
  } catch (const DotenvError& error) {
    FUZZ_CHECK(error.line() >= 1, "an error on no line");
  }

  // As entries to write.
  std::vector<DotenvEntry> entries;
  bool keys_valid = true;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t key_end = rest.find('\0');
    DotenvEntry entry;
    entry.key = std::string(rest.substr(0, key_end));
    rest = key_end == std::string_view::npos ? std::string_view() : rest.substr(key_end + 1);
    const std::size_t value_end = rest.find('\0');
    entry.value = std::string(rest.substr(0, value_end));
    rest = value_end == std::string_view::npos ? std::string_view() : rest.substr(value_end + 1);
    keys_valid = keys_valid && is_dotenv_key(entry.key);
    entries.push_back(std::move(entry));
  }
  if (keys_valid) {
    check_written_reads_back(entries);
  } else {
    bool refused = false;
    try {
      format_dotenv(entries);
    } catch (const std::invalid_argument&) {
      refused = true;
    }
    FUZZ_CHECK(refused, "format_dotenv wrote an invalid key");
  }
  return 0;
}
