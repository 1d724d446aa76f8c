// `.env` files: the dotenv dialect the Python original's users already have, read and written.
//
// Read: `KEY=value` lines, an optional `export ` prefix, `#` comments (whole lines, and after an
// unquoted value when preceded by whitespace), blank lines, 'single-quoted' values taken
// literally, "double-quoted" values with \n \t \r \" \\ escapes that may span lines, and
// unquoted values trimmed. Keys are [A-Za-z_][A-Za-z0-9_.]*. There is no ${VAR} interpolation:
// a value is what the file says. A key given twice: the later line wins (as in python-dotenv).
// A NUL byte anywhere is an error (a value is used as a C string, which it would cut short);
// other control characters are kept as they are.
//
// Values are often secrets: nothing here logs them or puts them in an error message.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace claudegpt {

struct DotenvEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line the entry starts on; 0 for entries not read from a file
};

// A malformed line. what() is "<file>:<line>: <problem>", e.g.
// "~/.config/claudegpt/.env:7: expected KEY=value".
class DotenvError : public std::runtime_error {
 public:
  DotenvError(std::string file, int line, const std::string& problem);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& problem() const { return problem_; }  // what() without "<file>:<line>: "

 private:
  std::string file_;
  int line_;
  std::string problem_;
};

// Parses `text`; `file` only names it in errors. Entries come in file order, duplicates kept.
std::vector<DotenvEntry> parse_dotenv(std::string_view text, std::string_view file = "<.env>");

// The text of the .env at `path`, unparsed; std::nullopt when it does not exist. At most
// kBoundedFileMaxBytes (1 MiB), read with read_bounded_file: /dev/zero, a huge file or a FIFO
// is an error, never read until memory runs out. `display_name` (e.g. with $HOME shown as ~)
// names the file in errors; empty means the path itself. Throws std::runtime_error when it
// exists but cannot be read ("<file>: cannot be read") or is larger than the cap ("<file>:
// larger than 1 MiB: not a .env file").
std::optional<std::string> read_dotenv_text(const std::filesystem::path& path,
                                            std::string_view display_name = {});

// read_dotenv_text, parsed. Throws as it does, and DotenvError when malformed.
std::optional<std::vector<DotenvEntry>> read_dotenv_file(const std::filesystem::path& path,
                                                         std::string_view display_name = {});

// The text of a .env holding `entries` in order, one `KEY=value` line each, quoted so that
// parse_dotenv (and python-dotenv) read back exactly the same values. Throws
// std::invalid_argument naming the key when a key is not a valid name or a value holds a NUL.
std::string format_dotenv(const std::vector<DotenvEntry>& entries);

// Writes format_dotenv(entries) to `path` atomically (temp file, fsync, rename, fsync of the
// directory), mode 0600. Missing parent directories are created with mode 0700; existing ones
// are left as they are. Throws std::system_error naming the path on failure.
void write_dotenv_file(const std::filesystem::path& path, const std::vector<DotenvEntry>& entries);

// Whether `key` is a valid dotenv key.
bool is_dotenv_key(std::string_view key);

}  // namespace claudegpt
