// The .env dialect: what each line means, where a bad line is reported, and the file the
// wizard writes (private, atomic, read back the same).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "config/dotenv.h"

namespace claudegpt {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> parse(std::string_view text) {
  std::map<std::string, std::string> out;
  for (DotenvEntry& e : parse_dotenv(text)) out[e.key] = e.value;
  return out;
}

std::string value_of(std::string_view text) {
  auto entries = parse_dotenv(text);
  EXPECT_EQ(entries.size(), 1u);
  return entries.empty() ? "<none>" : entries[0].value;
}

// The line a malformed text is reported on, and the message.
std::string error_of(std::string_view text) {
  try {
    parse_dotenv(text, "~/.config/claudegpt/.env");
  } catch (const DotenvError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Dotenv, KeyValueLinesAndTheExportPrefix) {
  EXPECT_EQ(parse("A=1\nexport B=2\nexport\tC=3\n  D = 4  \nE=\n"),
            (std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}, {"E", ""}}));
}

TEST(Dotenv, KeysMayHoldDigitsUnderscoresAndDotsButNotStartWithADigit) {
  EXPECT_EQ(parse("_a.b_9=x").count("_a.b_9"), 1u);
  EXPECT_EQ(error_of("9A=x"), "~/.config/claudegpt/.env:1: expected KEY=value");
  EXPECT_EQ(error_of("A-B=x"), "~/.config/claudegpt/.env:1: expected KEY=value");
}

TEST(Dotenv, CommentsAndBlankLinesAreSkipped) {
  EXPECT_EQ(parse("# a comment\n\n   \n  # indented comment\nA=1 # trailing\nB=2\t# tab\n"),
            (std::map<std::string, std::string>{{"A", "1"}, {"B", "2"}}));
}

TEST(Dotenv, AHashInsideAnUnquotedValueIsPartOfIt) {
  EXPECT_EQ(value_of("A=abc#def"), "abc#def");
  EXPECT_EQ(value_of("A=#abc"), "#abc");
  EXPECT_EQ(value_of("A= #abc"), "");  // whitespace then '#': a comment
  EXPECT_EQ(value_of("URL=https://h/p?x=1#frag"), "https://h/p?x=1#frag");
}

TEST(Dotenv, UnquotedValuesAreTrimmedAndKeepInnerSpaces) {
  EXPECT_EQ(value_of("A=   two words   "), "two words");
  EXPECT_EQ(value_of("A=x=y=z"), "x=y=z");
}

TEST(Dotenv, SingleQuotedValuesAreLiteral) {
  EXPECT_EQ(value_of(R"(A='a \n "b" # not a comment $HOME')"), R"(a \n "b" # not a comment $HOME)");
  EXPECT_EQ(value_of("A='  padded  '   # comment"), "  padded  ");
}

TEST(Dotenv, DoubleQuotedValuesUnderstandEscapes) {
  EXPECT_EQ(value_of(R"(A="line1\nline2\ttab \"q\" back\\slash # kept")"),
            "line1\nline2\ttab \"q\" back\\slash # kept");
  EXPECT_EQ(value_of(R"(A="\d stays")"), "\\d stays");
  EXPECT_EQ(value_of(R"(A="x" # comment)"), "x");
}

TEST(Dotenv, DoubleQuotedValuesMaySpanLines) {
  auto entries = parse_dotenv("A=\"first\nsecond\"\nB=after\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].value, "first\nsecond");
  EXPECT_EQ(entries[0].line, 1);
  EXPECT_EQ(entries[1].key, "B");
  EXPECT_EQ(entries[1].line, 3);
}

TEST(Dotenv, WindowsLineEndingsAreAccepted) {
  EXPECT_EQ(parse("A=1\r\nB=\"two\"\r\n\r\n# c\r\nC='3'  \r\nD=\"x\r\ny\"\r\n"),
            (std::map<std::string, std::string>{{"A", "1"}, {"B", "two"}, {"C", "3"}, {"D", "x\ny"}}));
}

TEST(Dotenv, EntriesKeepFileOrderAndLineNumbersAndALaterDuplicateComesLater) {
  auto entries = parse_dotenv("\n# c\nA=1\n\nA=2\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].line, 3);
  EXPECT_EQ(entries[1].line, 5);
  EXPECT_EQ(entries[1].value, "2");
}

TEST(Dotenv, MalformedLinesAreReportedWithFileAndLine) {
  EXPECT_EQ(error_of("A=1\n\n# c\nJUST_A_WORD\n"), "~/.config/claudegpt/.env:4: expected KEY=value");
  EXPECT_EQ(error_of("A=1\n=value\n"), "~/.config/claudegpt/.env:2: expected KEY=value");
  EXPECT_EQ(error_of("A=1\nB=\"open\nstill open\n"),
            "~/.config/claudegpt/.env:2: unterminated double-quoted value");
  EXPECT_EQ(error_of("A='open\n"), "~/.config/claudegpt/.env:1: unterminated single-quoted value");
  EXPECT_EQ(error_of("A=\"x\nyz\" junk\n"),
            "~/.config/claudegpt/.env:2: unexpected text after the closing quote");
  try {
    parse_dotenv("\n\nbad line", "f.env");
    FAIL();
  } catch (const DotenvError& e) {
    EXPECT_EQ(e.file(), "f.env");
    EXPECT_EQ(e.line(), 3);
  }
}

// A value is used as a C string: "sk-abc\0rest" had silently become "sk-abc".
TEST(Dotenv, ANulByteIsAnErrorOnItsLineNotACutValue) {
  using namespace std::string_literals;
  const std::string problem = ": a NUL byte (a .env file is text)";
  EXPECT_EQ(error_of("A=1\nKEY=sk-abc\0rest\n"s), "~/.config/claudegpt/.env:2" + problem);
  EXPECT_EQ(error_of("A=1\n\nB=\"multi\nline\0\"\n"s), "~/.config/claudegpt/.env:4" + problem);
  EXPECT_EQ(error_of("# a comment \0 too\n"s), "~/.config/claudegpt/.env:1" + problem);
  EXPECT_EQ(error_of("\0"s), "~/.config/claudegpt/.env:1" + problem);
}

// python-dotenv keeps them, the writer writes them, and none cuts a value short.
TEST(Dotenv, OtherControlCharactersAreKeptAsWritten) {
  EXPECT_EQ(value_of("A=bell\a and escape\x1b[0m"), "bell\a and escape\x1b[0m");
  EXPECT_EQ(value_of("A='\x01\x7f'"), "\x01\x7f");
}

TEST(Dotenv, ErrorsNeverQuoteTheValue) {
  std::string message = error_of("AZURE_OPENAI_API_KEY=\"sk-very-secret-value\n");
  EXPECT_EQ(message.find("sk-very-secret"), std::string::npos) << message;
}

TEST(Dotenv, APythonOriginalUsersFileReadsAsTheyMeantIt) {
  const char* text = R"(# claudegpt (Python) settings
# --- Azure ---
AZURE_OPENAI_ENDPOINT=https://my-resource.openai.azure.com/
AZURE_OPENAI_API_KEY="0123456789abcdef0123456789abcdef"
AZURE_OPENAI_API_VERSION=2025-04-01-preview
AZURE_OPENAI_CHAT_DEPLOYMENT_FULL=gpt-5-5        # opus
AZURE_OPENAI_CHAT_DEPLOYMENT='gpt-54-mini'       # sonnet
export AZURE_OPENAI_CHAT_DEPLOYMENT_NANO=gpt-54-nano

# --- claudegpt ---
CLAUDEGPT_PROVIDER=azure
CLAUDEGPT_REASONING_EFFORT="high"
CLAUDEGPT_TOOLS_REASONING=''
CLAUDEGPT_NO_WEB_SEARCH="nano, mini"
CLAUDEGPT_CUTOFF_OPUS="Knowledge cutoff: 2025-06"
)";
  EXPECT_EQ(parse(text), (std::map<std::string, std::string>{
                             {"AZURE_OPENAI_ENDPOINT", "https://my-resource.openai.azure.com/"},
                             {"AZURE_OPENAI_API_KEY", "0123456789abcdef0123456789abcdef"},
                             {"AZURE_OPENAI_API_VERSION", "2025-04-01-preview"},
                             {"AZURE_OPENAI_CHAT_DEPLOYMENT_FULL", "gpt-5-5"},
                             {"AZURE_OPENAI_CHAT_DEPLOYMENT", "gpt-54-mini"},
                             {"AZURE_OPENAI_CHAT_DEPLOYMENT_NANO", "gpt-54-nano"},
                             {"CLAUDEGPT_PROVIDER", "azure"},
                             {"CLAUDEGPT_REASONING_EFFORT", "high"},
                             {"CLAUDEGPT_TOOLS_REASONING", ""},
                             {"CLAUDEGPT_NO_WEB_SEARCH", "nano, mini"},
                             {"CLAUDEGPT_CUTOFF_OPUS", "Knowledge cutoff: 2025-06"},
                         }));
}

TEST(DotenvFormat, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(format_dotenv({{"A", "plain-value_1.2:3/x@y"}, {"B", ""}, {"C", "two words"},
                           {"D", "it's"}, {"E", "a\nb"}}),
            "A=plain-value_1.2:3/x@y\nB=\nC='two words'\nD=\"it's\"\nE=\"a\\nb\"\n");
}

TEST(DotenvFormat, EveryValueReadsBackExactly) {
  std::vector<DotenvEntry> entries = {
      {"K1", "# hash first"}, {"K2", "trailing space "}, {"K3", " leading"},
      {"K4", "quote\" and back\\slash"}, {"K5", "single ' and \"double\" # and \\n"},
      {"K6", "multi\nline\r\nvalue\twith tab"}, {"K7", "$HOME ${X}"}, {"K8", "'"}, {"K9", "\""},
  };
  auto back = parse_dotenv(format_dotenv(entries));
  ASSERT_EQ(back.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(back[i].key, entries[i].key);
    EXPECT_EQ(back[i].value, entries[i].value) << entries[i].key;
  }
}

TEST(DotenvFormat, RefusesKeysThatAreNotNames) {
  EXPECT_THROW(format_dotenv({{"BAD KEY", "x"}}), std::invalid_argument);
  EXPECT_THROW(format_dotenv({{"", "x"}}), std::invalid_argument);
}

// It would write a file parse_dotenv refuses.
TEST(DotenvFormat, RefusesANulInAValueNamingTheKeyOnly) {
  try {
    format_dotenv({{"OPENAI_API_KEY", std::string("sk-secret\0tail", 14)}});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "a NUL byte in the value of OPENAI_API_KEY");
  }
}

class DotenvFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dotenv_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  static unsigned mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  fs::path root_;
};

TEST_F(DotenvFile, IsWrittenPrivateInAPrivateNewDirectoryAndReadsBackEqual) {
  fs::path file = root_ / "config" / "claudegpt" / ".env";
  std::vector<DotenvEntry> entries = {{"CLAUDEGPT_PROVIDER", "openai"},
                                      {"OPENAI_API_KEY", "sk-proj-abc def'\"#"}};
  write_dotenv_file(file, entries);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(file.parent_path()), 0700u);
  EXPECT_EQ(mode_of(file.parent_path().parent_path()), 0700u);
  auto back = read_dotenv_file(file);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].value, "sk-proj-abc def'\"#");
  EXPECT_EQ((*back)[1].line, 2);
}

TEST_F(DotenvFile, ReplacesAnOlderFileAndLeavesNoTemporaryBehind) {
  fs::path file = root_ / ".env";
  write_dotenv_file(file, {{"A", "1"}});
  ::chmod(file.c_str(), 0644);
  write_dotenv_file(file, {{"A", "2"}});
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ((*read_dotenv_file(file))[0].value, "2");
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), fs::directory_iterator()), 1);
}

TEST_F(DotenvFile, AnExistingDirectoryKeepsItsMode) {
  ::chmod(root_.c_str(), 0755);
  write_dotenv_file(root_ / ".env", {{"A", "1"}});
  EXPECT_EQ(mode_of(root_), 0755u);
}

TEST_F(DotenvFile, AMissingFileIsNoneAndAMalformedOneNamesItsDisplayName) {
  EXPECT_FALSE(read_dotenv_file(root_ / "absent.env"));
  fs::path file = root_ / ".env";
  write_dotenv_file(file, {{"A", "1"}});
  {
    FILE* f = std::fopen(file.c_str(), "a");
    std::fputs("oops\n", f);
    std::fclose(f);
  }
  try {
    read_dotenv_file(file, "~/x/.env");
    FAIL();
  } catch (const DotenvError& e) {
    EXPECT_STREQ(e.what(), "~/x/.env:2: expected KEY=value");
  }
}

// A .env is read whole with read_bounded_file: whatever the path turns out to be, at most
// 1 MiB is read, and more is an error naming the file and the limit.
std::string read_error(const fs::path& path) {
  auto start = std::chrono::steady_clock::now();
  std::string error = "<no error>";
  try {
    read_dotenv_file(path, "~/x/.env");
  } catch (const DotenvError& e) {
    error = std::string("DotenvError: ") + e.what();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << path;
  return error;
}

TEST_F(DotenvFile, DevZeroOrAFileOverOneMebibyteIsAnErrorNamingTheFileAndTheLimit) {
  EXPECT_EQ(read_error("/dev/zero"), "~/x/.env: larger than 1 MiB: not a .env file");
  fs::path link = root_ / "link.env";  // as a .env pointed there would be
  fs::create_symlink("/dev/zero", link);
  EXPECT_EQ(read_error(link), "~/x/.env: larger than 1 MiB: not a .env file");
  EXPECT_THROW(read_dotenv_text(link, "~/x/.env"), std::runtime_error);

  fs::path big = root_ / "big.env";
  std::ofstream(big) << "A=1\n" << std::string(2 << 20, '#') << "\n";
  EXPECT_EQ(read_error(big), "~/x/.env: larger than 1 MiB: not a .env file");
}

TEST_F(DotenvFile, AFileJustUnderTheLimitStillReads) {
  fs::path file = root_ / ".env";
  std::string comment = "# " + std::string(1000, 'x') + "\n";
  {
    std::ofstream out(file);
    for (std::size_t size = 0; size + comment.size() + 8 < (1u << 20); size += comment.size()) out << comment;
    out << "A=1\n";
  }
  ASSERT_LE(fs::file_size(file), 1u << 20);
  auto entries = read_dotenv_file(file);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].value, "1");
}

TEST_F(DotenvFile, AFifoWithoutAWriterReadsAsEmptyInsteadOfHanging) {
  fs::path fifo = root_ / ".env";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto entries = read_dotenv_file(fifo);
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
}

}  // namespace
}  // namespace claudegpt

namespace claudegpt {
namespace {

// python-dotenv decodes \\ inside single quotes too: backslashes must go in double quotes.
TEST(FormatDotenv, BackslashesAreWrittenSoThatEveryParserReadsThemBack) {
  const std::string text = format_dotenv({{"CLAUDEGPT_CA_BUNDLE", "C:\\certs\\ca.pem", 0}, {"K", "ends\\", 0}});
  EXPECT_EQ(text.find('\''), std::string::npos) << text;
  auto back = parse_dotenv(text, "x");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].value, "C:\\certs\\ca.pem");
  EXPECT_EQ(back[1].value, "ends\\");
}

}  // namespace
}  // namespace claudegpt
