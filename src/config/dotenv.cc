#include "config/dotenv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "support/bounded_file.h"
#include "support/private_file.h"

namespace claudegpt {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_key_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9') || c == '.'; }

// Walks the text once; double-quoted values may run over several lines, so this is a cursor
// over the whole text rather than a loop over lines.
class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  std::vector<DotenvEntry> parse() {
    refuse_nul();
    std::vector<DotenvEntry> entries;
    while (pos_ < text_.size()) {
      skip_blanks();
      if (at_line_end()) {
        next_line();
        continue;
      }
      if (peek() == '#') {
        skip_to_line_end();
        next_line();
        continue;
      }
      entries.push_back(entry());
      next_line();
    }
    return entries;
  }

 private:
  // A value reaches Settings and Claude Code's environment as a C string, which would end at
  // a NUL: "KEY=abc\0def" silently became "abc". No text file has one, so it is an error.
  // Other control characters are kept: python-dotenv keeps them and none of them cuts a
  // value short.
  void refuse_nul() const {
    std::size_t nul = text_.find('\0');
    if (nul == std::string_view::npos) return;
    int line = 1;
    for (std::size_t i = 0; i < nul; ++i)
      if (text_[i] == '\n') ++line;
    fail(line, "a NUL byte (a .env file is text)");
  }

  DotenvEntry entry() {
    DotenvEntry e;
    e.line = line_;
    if (text_.substr(pos_).starts_with("export") && pos_ + 6 < text_.size() &&
        is_blank(text_[pos_ + 6])) {
      pos_ += 6;
      skip_blanks();
    }
    std::size_t key_start = pos_;
    if (pos_ < text_.size() && is_key_start(peek()))
      while (pos_ < text_.size() && is_key_char(peek())) ++pos_;
    if (pos_ == key_start) fail(line_, "expected KEY=value");
    e.key = std::string(text_.substr(key_start, pos_ - key_start));
    skip_blanks();
    if (pos_ >= text_.size() || peek() != '=') fail(line_, "expected KEY=value");
    ++pos_;
    skip_blanks();
    if (pos_ < text_.size() && (peek() == '\'' || peek() == '"')) {
      e.value = peek() == '"' ? double_quoted() : single_quoted();
      skip_blanks();
      if (!at_line_end() && peek() != '#') fail(line_, "unexpected text after the closing quote");
      skip_to_line_end();
    } else {
      e.value = unquoted();
    }
    return e;
  }

  std::string single_quoted() {
    int opened = line_;
    std::size_t close = text_.find('\'', ++pos_);
    if (close == std::string_view::npos) fail(opened, "unterminated single-quoted value");
    std::string value(text_.substr(pos_, close - pos_));
    for (char c : value)
      if (c == '\n') ++line_;
    pos_ = close + 1;
    return value;
  }

  std::string double_quoted() {
    int opened = line_;
    std::string value;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) fail(opened, "unterminated double-quoted value");
      char c = text_[pos_++];
      if (c == '"') break;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') continue;  // a CRLF file
      if (c == '\n') ++line_;
      if (c == '\\' && pos_ < text_.size()) {
        char next = text_[pos_];
        switch (next) {
          case 'n': value += '\n'; ++pos_; continue;
          case 't': value += '\t'; ++pos_; continue;
          case 'r': value += '\r'; ++pos_; continue;
          case '"': value += '"'; ++pos_; continue;
          case '\\': value += '\\'; ++pos_; continue;
          default: break;  // any other backslash is kept as written
        }
      }
      value += c;
    }
    return value;
  }

  std::string unquoted() {
    std::size_t start = pos_;
    skip_to_line_end();
    std::string_view raw = text_.substr(start, pos_ - start);
    // A comment starts at a '#' that begins the value or follows whitespace.
    for (std::size_t i = 0; i < raw.size(); ++i)
      if (raw[i] == '#' && (i == 0 ? start > 0 && is_blank(text_[start - 1]) : is_blank(raw[i - 1]))) {
        raw = raw.substr(0, i);
        break;
      }
    while (!raw.empty() && (is_blank(raw.back()) || raw.back() == '\r')) raw.remove_suffix(1);
    return std::string(raw);
  }

  char peek() const { return text_[pos_]; }
  bool at_line_end() const {
    return pos_ >= text_.size() || peek() == '\n' ||
           (peek() == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'));
  }
  void skip_blanks() {
    while (pos_ < text_.size() && is_blank(peek())) ++pos_;
  }
  void skip_to_line_end() {
    while (pos_ < text_.size() && peek() != '\n') ++pos_;
  }
  void next_line() {
    skip_to_line_end();
    if (pos_ < text_.size()) {
      ++pos_;
      ++line_;
    }
  }
  [[noreturn]] void fail(int line, const std::string& problem) const {
    throw DotenvError(std::string(file_), line, problem);
  }

  std::string_view text_;
  std::string_view file_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

bool needs_no_quotes(std::string_view value) {
  for (char c : value) {
    bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                std::string_view("_-./:@%+,=~").find(c) != std::string_view::npos;
    if (!safe) return false;
  }
  return true;
}

}  // namespace

DotenvError::DotenvError(std::string file, int line, const std::string& problem)
    : std::runtime_error(file + ":" + std::to_string(line) + ": " + problem),
      file_(std::move(file)),
      line_(line),
      problem_(problem) {}

bool is_dotenv_key(std::string_view key) {
  if (key.empty() || !is_key_start(key.front())) return false;
  for (char c : key)
    if (!is_key_char(c)) return false;
  return true;
}

std::vector<DotenvEntry> parse_dotenv(std::string_view text, std::string_view file) {
  return Parser(text, file).parse();
}

std::optional<std::string> read_dotenv_text(const std::filesystem::path& path,
                                            std::string_view display_name) {
  std::string name = display_name.empty() ? path.string() : std::string(display_name);
  // What exists() cannot tell (a folder on the way we may not search) counts as no file, as
  // it always has; a file that is there must then be readable.
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  BoundedFile file = read_bounded_file(path.string());
  switch (file.status) {
    case BoundedFile::Status::read: return std::move(file.text);
    case BoundedFile::Status::missing: return std::nullopt;  // gone since exists()
    case BoundedFile::Status::unreadable: throw std::runtime_error(name + ": cannot be read");
    case BoundedFile::Status::too_large:
      throw std::runtime_error(name + ": larger than " + std::string(kBoundedFileLimitText) +
                               ": not a .env file");
  }
  throw std::logic_error("read_dotenv_text: unknown status");
}

std::optional<std::vector<DotenvEntry>> read_dotenv_file(const std::filesystem::path& path,
                                                         std::string_view display_name) {
  std::optional<std::string> text = read_dotenv_text(path, display_name);
  if (!text) return std::nullopt;
  return parse_dotenv(*text, display_name.empty() ? path.string() : std::string(display_name));
}

std::string format_dotenv(const std::vector<DotenvEntry>& entries) {
  std::string out;
  for (const DotenvEntry& e : entries) {
    if (!is_dotenv_key(e.key)) throw std::invalid_argument("not a valid .env key: " + e.key);
    if (e.value.find('\0') != std::string::npos)  // parse_dotenv would refuse the file
      throw std::invalid_argument("a NUL byte in the value of " + e.key);
    out += e.key;
    out += '=';
    if (needs_no_quotes(e.value)) {
      out += e.value;
    } else if (e.value.find_first_of("'\n\r\\") == std::string::npos) {
      // (A backslash goes in double quotes: python-dotenv decodes \\ inside single ones.)
      // Single quotes: literal here and in python-dotenv (no ${} expansion there either).
      out += '\'' + e.value + '\'';
    } else {
      out += '"';
      for (char c : e.value) {
        switch (c) {
          case '\n': out += "\\n"; break;
          case '\r': out += "\\r"; break;
          case '\t': out += "\\t"; break;
          case '"': out += "\\\""; break;
          case '\\': out += "\\\\"; break;
          default: out += c;
        }
      }
      out += '"';
    }
    out += '\n';
  }
  return out;
}

void write_dotenv_file(const std::filesystem::path& path, const std::vector<DotenvEntry>& entries) {
  write_private_file(path, format_dotenv(entries));
}

}  // namespace claudegpt
