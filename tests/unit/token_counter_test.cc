#include "core/token_counter.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/o200k_vocabulary.h"
#include "unit/fixtures.h"
#include "unit/random_text.h"

namespace claudegpt {
namespace {

namespace json = boost::json;

std::size_t count(std::string_view text) { return TokenCounter::o200k().count(text); }

std::string repeat(std::string_view text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

std::string main_system_prompt() {
  const json::object request =
      test::read_json_fixture("claude-code-requests/cc2.1.330-first-turn.json");
  return std::string(request.at("system").as_array().at(2).as_object().at("text").as_string());
}

TEST(TokenCounter, EmbedsTheVocabularyOfTiktoken1_0_22) {
  const json::object vocabulary = json::parse(o200k_base_json()).as_object();
  // The pattern o200k_pretokenizer.cc translates for PCRE2; if the vocabulary changes, so must it.
  EXPECT_EQ(vocabulary.at("pat_str").as_string(),
            R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+)"
            R"((?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
            R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*)"
            R"((?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
            R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
  EXPECT_EQ(vocabulary.at("special_tokens").as_object().at("<|endoftext|>").as_int64(), 199999);
  EXPECT_TRUE(vocabulary.at("bpe_ranks").as_string().starts_with("! 0 IQ== Ig== "));
}

struct Expected {
  const char* name;
  std::string text;
  std::size_t tokens;
};

// Every count below came from the real tokenizer, tiktoken@1.0.22 o200k_base in node:
//   require('tiktoken').get_encoding('o200k_base').encode_ordinary(text).length
TEST(TokenCounter, CountsExactlyLikeTiktoken) {
  const Expected cases[] = {
      {"empty", "", 0},
      {"single letter", "a", 1},
      {"english", "The quick brown fox jumps over the lazy dog.", 10},
      {"greeting", "Hello, world!", 4},
      {"c++", "int main(int argc, char** argv) {\n  std::cout << \"hi\" << std::endl;\n"
              "  return 0;\n}\n", 29},
      {"python", "def f(x):\n    if x > 0:\n        return x * 2\n    return -x\n", 23},
      {"json", R"({"type":"object","properties":{"path":{"type":"string"}},)"
               R"("required":["path"],"additionalProperties":false})", 24},
      {"whitespace runs", "a    b\t\t c  \n\n\n   d   ", 9},
      {"newlines", "line1\nline2\r\n\r\nline3\n\n\n", 9},
      {"newlines and indentation", "\r\n\r\n  \n   \n\t\tx", 5},
      {"trailing spaces", "hello   ", 2},
      {"contractions", "I'm sure they'll say we've done what you'd DO, isn't it? THEY'LL", 16},
      {"contractions fold case like Unicode", "HE'S he'ſ she'LL", 8},
      {"numbers", "12345678 3.14159 1,000,000 2024-11-23", 21},
      {"cjk", "你好，世界！这是一个测试。日本語のテキストも少し。한국어 문장입니다.", 24},
      {"emoji", "👍🏽 Great job! 🎉🎉 👨\u200D👩\u200D👧\u200D👦 🇺🇸", 25},
      {"arabic", "مرحبا بالعالم، هذا اختبار للنص العربي.", 11},
      {"camel case", "getHTTPResponseCodeFromXMLParser parseJSONValue MyClass_v2", 14},
      {"accents and typography", "Café naïve façade — “quotes” and ‘single’ … ñ Ü ß", 18},
      {"mixed scripts", "naïveCaféΑθήνα Москва", 9},
      {"combining marks", "e\u0301cole नमस्ते दुनिया สวัสดีชาวโลก", 14},
      {"unicode whitespace, NEL included", "a\u0085\u0085 b x\u00A0\u00A0y\u3000z\u2028w", 14},
      {"special tokens are plain text", "<|endoftext|> and <|endofprompt|>", 15},
      {"url and path", "See https://example.com/a/b?c=d&e=f#g and /usr/local/bin/claude --help",
       23},
      {"markdown", "# Title\n\n- item one\n- **bold** _it_ `code`\n\n```bash\nls -la\n```\n", 26},
      {"digit run", repeat("1234567890", 20), 67},
      // Single pieces longer than the short-piece merge: the heap merge must agree.
      {"long letter run", repeat("supercalifragilisticexpialidocious", 50), 500},
      {"repeated letter", repeat("a", 1000), 125},
      {"long space run", repeat(" ", 1000) + "x", 10},
  };
  for (const Expected& expected : cases) {
    EXPECT_EQ(count(expected.text), expected.tokens) << expected.name;
  }
}

TEST(TokenCounter, CountsAClaudeCodeSystemPromptExcerptLikeTiktoken) {
  const std::string prompt = main_system_prompt();
  ASSERT_GE(prompt.size(), 3000u);
  EXPECT_EQ(count(std::string_view(prompt).substr(0, 3000)), 597u);  // tiktoken@1.0.22
}

TEST(TokenCounter, CountsTheWholeFirstTurnSystemTextLikeTiktoken) {
  const json::object request =
      test::read_json_fixture("claude-code-requests/cc2.1.330-first-turn.json");
  const json::array& system = request.at("system").as_array();
  ASSERT_EQ(system.size(), 3u);
  // Per block, from tiktoken@1.0.22 o200k_base: billing line, identity line, main prompt.
  const std::size_t expected[] = {26, 15, 1518};
  std::size_t total = 0;
  for (std::size_t i = 0; i < system.size(); ++i) {
    const std::size_t tokens = count(system[i].as_object().at("text").as_string());
    EXPECT_EQ(tokens, expected[i]) << "system block " << i;
    total += tokens;
  }
  EXPECT_EQ(total, 1559u);
}

TEST(TokenCounter, CountsInvalidUtf8AsReplacementCharactersWithoutCrashing) {
  // A stray byte, an unpaired one, a truncated 3-byte and a truncated 4-byte sequence. Node
  // decodes them to U+FFFD (one per maximal ill-formed subsequence); tiktoken then counts 5.
  const std::string invalid = "ab\xff\xfe" "cd\xe2\x82 \xf0\x9f\x98";
  EXPECT_EQ(count(invalid), 5u);
  EXPECT_EQ(count(invalid), count("ab\uFFFD\uFFFDcd\uFFFD \uFFFD"));
  // An overlong '/', a surrogate, a code point above U+10FFFF: node decodes each byte to U+FFFD.
  EXPECT_EQ(count("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80"),
            count(repeat("\uFFFD", 9)));
  EXPECT_EQ(count(std::string("a\0b", 3)), 3u);
}

TEST(TokenCounter, CountsHugeSinglePiecesInReasonableTime) {
  // Each is one regex piece of 64 KiB, merged by the heap; counts from tiktoken@1.0.22.
  const int size = 1 << 16;
  EXPECT_EQ(count(std::string(size, 'z')), 32768u);
  EXPECT_EQ(count(std::string(size, ' ')), 512u);
  EXPECT_EQ(count(std::string(size, '\n')), 4096u);
  EXPECT_EQ(count(repeat("{}", size / 2)), 32768u);
}

// --- Pathological text: bounded work, close counts ---------------------------------------

using test::Random;

std::size_t count(std::string_view text, TokenCounter::Work& work) {
  return TokenCounter::o200k().count(text, work);
}

TEST(TokenCounter, MergesAPieceLongerThanTheBoundInChunksThatAddUp) {
  // One pre-token of 32 KiB of letters: merged in kMaxMerge-byte chunks (ASCII, so cut exactly
  // there), each counted as it would be alone.
  const std::size_t chunk = TokenCounter::kMaxMerge;
  const std::string word = Random().letters(8 * chunk);
  TokenCounter::Work work;
  const std::size_t whole = count(word, work);
  EXPECT_EQ(work.pieces, 1u);
  EXPECT_EQ(work.longest_merge, chunk);
  std::size_t chunks = 0;
  for (std::size_t at = 0; at < word.size(); at += chunk) chunks += count(word.substr(at, chunk));
  EXPECT_EQ(whole, chunks);
}

TEST(TokenCounter, CountsALongPieceCloseToTiktoken) {
  // 34 KB, one pre-token. tiktoken counts 10 tokens a repetition (500 for 50, above).
  const std::size_t tokens = count(repeat("supercalifragilisticexpialidocious", 1000));
  EXPECT_NEAR(static_cast<double>(tokens), 10000.0, 50.0);
  // A multi-byte script is cut at character boundaries, never inside one: 48 KB of 3-byte
  // letters count as 16 times a sixteenth of them does (3 KB, merged whole), give or take a
  // token a cut.
  const std::string_view kanji = "\u4E2D\u6587\u6F22\u5B57";
  TokenCounter::Work work;
  const std::size_t cut = count(repeat(kanji, 4000), work);
  EXPECT_LE(work.longest_merge, TokenCounter::kMaxMerge);
  EXPECT_NEAR(static_cast<double>(cut), 16.0 * count(repeat(kanji, 250)), 16.0);
}

TEST(TokenCounter, BoundsTheWorkOnAnyRunHoweverLong) {
  // 1 MiB that are one pre-token to tiktoken: the regex never sees more than a window at once
  // and the merge never more than a chunk.
  const std::size_t size = 1 << 20;
  struct Case {
    const char* name;
    std::string text;
  };
  const Case cases[] = {
      {"spaces", std::string(size, ' ')},
      {"newlines", std::string(size, '\n')},
      {"one letter", std::string(size, 'a')},
      {"letters", Random().letters(size)},
      {"punctuation", repeat("{}", size / 2)},
      {"cjk", repeat("\u4E2D", size / 3)},
  };
  for (const Case& c : cases) {
    TokenCounter::Work work;
    count(c.text, work);
    EXPECT_LE(work.longest_piece, TokenCounter::kWindow) << c.name;
    EXPECT_LE(work.longest_merge, TokenCounter::kMaxMerge) << c.name;
    EXPECT_GE(work.pieces, size / TokenCounter::kWindow) << c.name;
  }
  // Exactly as tiktoken counts 64 KiB of each (above): the cuts fall between tokens.
  EXPECT_EQ(count(std::string(size, ' ')), size / 128);
  EXPECT_EQ(count(std::string(size, '\n')), size / 16);
  EXPECT_EQ(count(std::string(size, 'z')), size / 2);
}

TEST(TokenCounter, SamplesMergesPastTheExactAllowanceAndStaysClose) {
  // 4 MiB of lines of random letters, every piece needing a merge: past kExactMergeBytes only
  // one piece in kSampleEvery is merged, the rest estimated. Counted a line-aligned megabyte at
  // a time, each part stays within the allowance and is exact.
  Random random;
  std::string text;
  while (text.size() < (4u << 20)) text += random.letters(3 + random.next() % 60) + '\n';
  std::size_t exact = 0, shared_count = 0;
  TokenCounter::Work shared;  // as count_request_tokens counts a request's texts
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t newline = text.find('\n', std::min(text.size(), at + (1 << 20)));
    const std::size_t end = newline == std::string::npos ? text.size() : newline + 1;
    const std::string_view part = std::string_view(text).substr(at, end - at);
    TokenCounter::Work alone;
    exact += count(part, alone);
    EXPECT_EQ(alone.estimated_bytes, 0u);
    shared_count += count(part, shared);
    at = end;
  }
  TokenCounter::Work work;
  const std::size_t estimated = count(text, work);
  EXPECT_GT(work.estimated_bytes, 0u);
  EXPECT_LE(work.merged_bytes,
            TokenCounter::kExactMergeBytes + text.size() / TokenCounter::kSampleEvery + 4096);
  EXPECT_NEAR(static_cast<double>(estimated), static_cast<double>(exact), exact * 0.005);
  // Texts counted against one Work share its allowance.
  EXPECT_GT(shared.estimated_bytes, 0u);
  EXPECT_NEAR(static_cast<double>(shared_count), static_cast<double>(exact), exact * 0.005);
}

TEST(TokenCounter, RepairsInvalidUtf8ABufferAtATime) {
  // 2 MiB of text with a stray byte in every line: counted as if each were U+FFFD, without
  // a copy of the whole text.
  const std::string line = "The quick brown fox \xFF jumps over the lazy dog.\n";
  const std::string repaired = "The quick brown fox \uFFFD jumps over the lazy dog.\n";
  const int lines = (2 << 20) / static_cast<int>(line.size());
  TokenCounter::Work work;
  EXPECT_EQ(count(repeat(line, lines), work), count(repeat(repaired, lines)));
  EXPECT_LE(work.largest_buffer, 4 * TokenCounter::kWindow);
  // A sequence cut by the buffer's end is the same sequence.
  const std::string text = repeat("\u4E2D\xE4\xB8", 100000);
  EXPECT_EQ(count(text), count(repeat("\u4E2D\uFFFD", 100000)));
}

TEST(TokenCounter, CountsSerialisedJsonWithoutSerialisingItWhole) {
  json::object properties;
  for (int i = 0; i < 20000; ++i) {
    properties["field_" + std::to_string(i)] =
        json::object{{"type", "string"}, {"description", "Field number " + std::to_string(i)}};
  }
  const json::value schema = json::object{{"type", "object"}, {"properties", properties},
                                          {"odd", "\xFF bytes \xE4\xB8 too"}};
  TokenCounter::Work work;
  EXPECT_EQ(TokenCounter::o200k().count_json(schema, work), count(json::serialize(schema)));
  EXPECT_LE(work.largest_buffer, 4 * TokenCounter::kWindow);
}

TEST(TokenCounter, CountsFromManyThreadsAtOnce) {
  const std::string text = main_system_prompt();
  std::vector<std::size_t> counts(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    threads.emplace_back([&, i] { counts[i] = count(text); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::size_t n : counts) EXPECT_EQ(n, 1518u);
}

// --- count_request_tokens ----------------------------------------------------------------

// A small Responses body in the shape request_translator produces (modelled on the first
// turn of cc2.1.330-first-turn.json, with a tool round trip and an image added).
json::object small_request() {
  return json::parse(R"({
    "model": "gpt-5",
    "instructions": "You are a helpful coding agent.",
    "tools": [{"type": "function", "name": "Read", "description": "Reads a file.",
               "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                              "required": ["path"]},
               "strict": false}],
    "input": [
      {"type": "message", "role": "user",
       "content": [{"type": "input_text", "text": "Read main.cc please"}]},
      {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Reading it."}],
       "encrypted_content": "gAAAAABoZ2VuY3J5cHRlZA=="},
      {"type": "function_call", "call_id": "call_1", "name": "Read",
       "arguments": "{\"path\":\"main.cc\"}"},
      {"type": "function_call_output", "call_id": "call_1", "output": "int main() {}"},
      {"type": "message", "role": "assistant",
       "content": [{"type": "output_text", "text": "It is empty."}]}
    ],
    "stream": true
  })").as_object();
}

TEST(CountRequestTokens, CountsInstructionsToolsAndEveryItemsTextPlusFraming) {
  const json::object request = small_request();
  const std::size_t text =
      count("You are a helpful coding agent.") +
      count("Read") + count("Reads a file.") +
      count(json::serialize(request.at("tools").as_array()[0].as_object().at("parameters"))) +
      count("Read main.cc please") + count("Reading it.") + count("Read") +
      count("{\"path\":\"main.cc\"}") + count("int main() {}") + count("It is empty.");
  // 3 to prime the reply, 4 per item (instructions and 5 input items), 8 per tool.
  EXPECT_EQ(count_request_tokens(request), text + 3 + 4 * 6 + 8);
}

TEST(CountRequestTokens, CountsAnImageAtAFixedEstimateNotAsBase64) {
  json::object request = small_request();
  const std::size_t without_image = count_request_tokens(request);

  const std::string megabyte_of_base64 = repeat("iVBORw0KGgoAAAANSUhEUgAA", (1 << 20) / 24);
  json::array& content =
      request.at("input").as_array()[0].as_object().at("content").as_array();
  content.push_back(json::object{{"type", "input_image"},
                                 {"image_url", "data:image/png;base64," + megabyte_of_base64},
                                 {"detail", "auto"}});
  EXPECT_EQ(count_request_tokens(request), without_image + 765);

  content.back().as_object()["detail"] = "low";
  EXPECT_EQ(count_request_tokens(request), without_image + 85);
}

TEST(CountRequestTokens, CountsImagesInToolOutputsAndFilesAtFixedEstimates) {
  json::object request = small_request();
  const std::size_t before = count_request_tokens(request);
  request.at("input").as_array()[3].as_object()["output"] = json::array{
      json::object{{"type", "input_text"}, {"text", "int main() {}"}},
      json::object{{"type", "input_image"}, {"image_url", "data:image/png;base64,AAAA"}},
      json::object{{"type", "input_file"}, {"filename", "a.pdf"},
                   {"file_data", "data:application/pdf;base64," + repeat("JVBERi0x", 4096)}},
  };
  EXPECT_EQ(count_request_tokens(request), before + 765 + 1000);
}

TEST(CountRequestTokens, IgnoresOpaqueReasoningContent) {
  json::object request = small_request();
  const std::size_t before = count_request_tokens(request);
  request.at("input").as_array()[1].as_object()["encrypted_content"] = repeat("gAAAAABo", 10000);
  EXPECT_EQ(count_request_tokens(request), before);
}

TEST(CountRequestTokens, CountsAStringInputAndAStructuredOutputSchema) {
  json::object request = {{"model", "gpt-5"}, {"input", "hi there"}};
  EXPECT_EQ(count_request_tokens(request), 3 + 4 + count("hi there"));

  json::object schema = {{"type", "object"}, {"properties", json::object{}}};
  request["text"] = json::object{{"format", json::object{{"type", "json_schema"},
                                                         {"schema", schema}}}};
  EXPECT_EQ(count_request_tokens(request), 3 + 4 + count("hi there") +
                                               count(json::serialize(schema)));
}

TEST(CountRequestTokens, CountsAnEmptyRequestAsTheReplyPrimingOnly) {
  EXPECT_EQ(count_request_tokens(json::object{}), 3u);
}

}  // namespace
}  // namespace claudegpt
