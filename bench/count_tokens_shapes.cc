// Times TokenCounter::count on one text shape, pathological or ordinary, and reports the
// counter's peak memory on top of its input. bench/run builds it (build/bench/bench/bench_count_tokens):
//
//   build/bench/bench/bench_count_tokens spaces 32     # shape, MiB
//
// Shapes: spaces, newlines, aaaa (one letter), word (random a-z), digits, punct, cjk, emoji,
// english, base64, words (random a-z words), w127 (random 127-letter words), a127 (127 a's and
// a space, repeated), random (bytes), utf8 (random valid code points).
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/token_counter.h"

namespace {

std::uint64_t state = 0x9e3779b97f4a7c15ull;
std::uint32_t next_random() {  // xorshift64*
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return static_cast<std::uint32_t>((state * 0x2545f4914f6cdd1dull) >> 32);
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void letters(std::string& out, int n) {
  for (int i = 0; i < n; ++i) out += static_cast<char>('a' + next_random() % 26);
}

// Each shape appends a little of itself; make() repeats it up to the size asked for.
struct Shape {
  const char* name;
  void (*append)(std::string& out);
};

constexpr const char* kWords[] = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "function", "return",
    "context", "window", "token", "counter", "request", "response", "and", "of", "to", "in",
    "is", "that", "for", "it", "with", "as", "was", "on", "be", "at", "by", "this", "had",
    "not", "are", "but", "from", "or", "have", "an", "they", "which", "one", "you", "were",
    "Claude", "OpenAI", "proxy", "server", "message", "stream", "parser", "JSON", "HTTP"};

const Shape kShapes[] = {
    {"spaces", [](std::string& out) { out.append(4096, ' '); }},
    {"newlines", [](std::string& out) { out.append(4096, '\n'); }},
    {"aaaa", [](std::string& out) { out.append(4096, 'a'); }},
    {"word", [](std::string& out) { letters(out, 1); }},
    {"digits", [](std::string& out) { out += static_cast<char>('0' + next_random() % 10); }},
    {"punct",
     [](std::string& out) {
       constexpr std::string_view kPunct = "!#$%&()*+,-./:;<=>?@[]^_{|}~\"'`\\";
       out += kPunct[next_random() % kPunct.size()];
     }},
    {"cjk", [](std::string& out) { append_utf8(out, 0x4E00 + next_random() % 0x5200); }},
    {"emoji", [](std::string& out) { append_utf8(out, 0x1F300 + next_random() % 0x350); }},
    {"english",
     [](std::string& out) {
       const std::uint32_t r = next_random();
       out += kWords[r % std::size(kWords)];
       const std::uint32_t s = (r >> 16) % 100;
       out += s < 80 ? " " : s < 88 ? ", " : s < 95 ? ". " : s < 98 ? ".\n" : "\n\n";
     }},
    {"base64",
     [](std::string& out) {
       out += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
           [next_random() % 64];
     }},
    {"words",
     [](std::string& out) {
       letters(out, 3 + static_cast<int>(next_random() % 8));
       out += ' ';
     }},
    {"w127",  // pieces as long as the quadratic merge takes, never the same
     [](std::string& out) {
       letters(out, 127);
       out += ' ';
     }},
    {"a127",
     [](std::string& out) {
       out.append(127, 'a');
       out += ' ';
     }},
    {"random", [](std::string& out) { out += static_cast<char>(next_random() & 0xFF); }},
    {"utf8",
     [](std::string& out) {
       const std::uint32_t r = next_random();
       std::uint32_t cp = r % 4 == 0   ? r >> 8 & 0x7F
                          : r % 4 == 1 ? 0x80 + (r >> 8) % 0x780
                          : r % 4 == 2 ? 0x800 + (r >> 8) % 0xF800
                                       : 0x10000 + (r >> 8) % 0x100000;
       if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
       append_utf8(out, cp);
     }},
};

std::string make(std::string_view name, std::size_t size) {
  for (const Shape& shape : kShapes) {
    if (name != shape.name) continue;
    std::string out;
    out.reserve(size + 4096);
    while (out.size() < size) shape.append(out);
    out.resize(size);  // may cut a sequence in two at the very end: one U+FFFD, harmless
    return out;
  }
  std::fprintf(stderr, "unknown shape %.*s\n", static_cast<int>(name.size()), name.data());
  std::exit(2);
}

long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// CPU time as well as wall time: the figures stay meaningful on a loaded machine.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <shape> [MiB]\n", argv[0]);
    return 2;
  }
  const std::string_view shape = argv[1];
  const double mib = argc > 2 ? std::atof(argv[2]) : 32;
  const auto& counter = claudegpt::TokenCounter::o200k();
  counter.count("warm up");
  const std::string text = make(shape, static_cast<std::size_t>(mib * 1024 * 1024));
  const long before = peak_rss_kb();
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  const std::size_t tokens = counter.count(text);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  const long after = peak_rss_kb();
  std::printf("%-9s %5.1f MiB %10zu tokens %7.3f s wall %7.3f s cpu  peak RSS %6.1f MB"
              " (+%.1f MB counting)\n",
              argv[1], text.size() / 1048576.0, tokens, seconds, cpu, after / 1024.0,
              (after - before) / 1024.0);
  return 0;
}
