#include "core/identity_rewrite.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace claudegpt {

namespace {

// An identity sentence: [begin, end) covers the sentence and the blanks after it.
struct Span {
  std::size_t begin;
  std::size_t end;
  bool followed_by_text;  // something else stays on the line after it
};

constexpr std::size_t kMaxSentence = 300;  // identity sentences are short; prose is not them

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// The end of the sentence that starts before `from`: just past the first '.' that is followed
// by whitespace or the end of the text, or the end of the line. npos when it runs too long.
std::size_t sentence_end(std::string_view text, std::size_t from, std::size_t begin) {
  for (std::size_t i = from; i < text.size() && i - begin <= kMaxSentence; ++i) {
    if (text[i] == '\n' || text[i] == '\r') return i;
    if (text[i] == '.' &&
        (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]))))
      return i + 1;
  }
  if (text.size() - begin <= kMaxSentence) return text.size();
  return std::string_view::npos;
}

// Whether a sentence may start at `at`: at the start of a line (after an optional bullet such
// as " - ") or after the end of a previous sentence.
bool starts_sentence(std::string_view text, std::size_t at) {
  std::size_t i = at;
  while (i > 0 && is_blank(text[i - 1])) --i;
  if (i == 0 || text[i - 1] == '\n') return true;
  if (i < at && (text[i - 1] == '.' || text[i - 1] == ':')) return true;
  // A bullet: only blanks and bullet marks back to the start of the line.
  std::size_t j = i;
  while (j > 0 && (text[j - 1] == '-' || text[j - 1] == '*' || is_blank(text[j - 1]))) --j;
  return j < i && (j == 0 || text[j - 1] == '\n');
}

// Where the sentence holding "knowledge cutoff" at `anchor` starts, when the phrase comes
// within its first words ("Assistant knowledge cutoff is…", "Your knowledge cutoff is…").
std::size_t cutoff_sentence_start(std::string_view text, std::size_t anchor) {
  std::size_t at = anchor;
  for (int words = 0; words <= 2; ++words) {
    if (starts_sentence(text, at)) return at;
    // Step back over one word and the blank before it.
    std::size_t i = at;
    while (i > 0 && is_blank(text[i - 1])) --i;
    std::size_t word_end = i;
    while (i > 0 && !std::isspace(static_cast<unsigned char>(text[i - 1])) && text[i - 1] != '.')
      --i;
    if (i == word_end) break;
    at = i;
  }
  return std::string_view::npos;
}

void add_span(std::string_view text, std::size_t begin, std::size_t search_from,
              std::vector<Span>& spans) {
  std::size_t end = sentence_end(text, search_from, begin);
  if (end == std::string_view::npos) return;
  std::size_t after = end;
  while (after < text.size() && is_blank(text[after])) ++after;
  bool followed = after < text.size() && text[after] != '\n' && text[after] != '\r';
  spans.push_back({begin, after, followed});
}

std::vector<Span> find_identity_sentences(std::string_view text) {
  std::vector<Span> spans;
  for (std::string_view anchor :
       {std::string_view("You are powered by "), std::string_view("The exact model ID is ")}) {
    for (std::size_t at = text.find(anchor); at != std::string_view::npos;
         at = text.find(anchor, at + anchor.size()))
      add_span(text, at, at + anchor.size(), spans);
  }
  constexpr std::string_view kCutoff = "nowledge cutoff";  // "Knowledge" or "knowledge"
  for (std::size_t at = text.find(kCutoff); at != std::string_view::npos;
       at = text.find(kCutoff, at + kCutoff.size())) {
    if (at == 0 || (text[at - 1] != 'k' && text[at - 1] != 'K')) continue;
    // It must state the cutoff ("… cutoff is June 2026", "… cutoff date is", "… cutoff:"),
    // not merely mention one.
    std::string_view rest = text.substr(at + kCutoff.size());
    if (!rest.starts_with(" is ") && !rest.starts_with(" date is ") && !rest.starts_with(": "))
      continue;
    std::size_t begin = cutoff_sentence_start(text, at - 1);
    if (begin != std::string_view::npos) add_span(text, begin, at + kCutoff.size(), spans);
  }
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin < b.begin; });
  // Overlaps (one sentence found by two anchors) keep the first.
  std::vector<Span> kept;
  for (const Span& span : spans)
    if (kept.empty() || span.begin >= kept.back().end) kept.push_back(span);
  return kept;
}

bool only_bullet_left(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return is_blank(c) || c == '-' || c == '*' || c == '\r'; });
}

}  // namespace

std::string identity_statement(std::string_view upstream_model, std::string_view cutoff) {
  std::string statement = "You are running on ";
  if (upstream_model.empty())
    statement += "an OpenAI GPT model";
  else
    statement.append(upstream_model).append(" (OpenAI GPT family)");
  statement +=
      " via claudegpt, which connects Claude Code to OpenAI models; you are not a "
      "Claude model.";
  if (!cutoff.empty()) statement.append(" Your knowledge cutoff is ").append(cutoff).append(".");
  return statement;
}

std::string rewrite_identity(std::string_view text, std::string_view statement) {
  std::vector<Span> spans = find_identity_sentences(text);
  if (spans.empty()) return std::string(text);

  std::string out;
  out.reserve(text.size() + statement.size());
  std::size_t copied = 0;  // text before this is in `out`
  bool stated = false;
  for (std::size_t s = 0; s < spans.size();) {
    // The line holding this span, and every span on it.
    std::size_t line_begin = text.rfind('\n', spans[s].begin);
    line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
    std::size_t line_end = std::min(text.find('\n', spans[s].begin), text.size());
    out.append(text.substr(copied, line_begin - copied));

    std::string line;
    std::size_t at = line_begin;
    for (; s < spans.size() && spans[s].begin < line_end; ++s) {
      line.append(text.substr(at, spans[s].begin - at));
      if (!stated) {
        line.append(statement);
        if (spans[s].followed_by_text) line.push_back(' ');
        stated = true;
      }
      at = spans[s].end;
    }
    line.append(text.substr(at, line_end - at));
    while (!line.empty() && is_blank(line.back())) line.pop_back();

    if (only_bullet_left(line)) {
      // Nothing but a bullet is left: the whole line goes, with its newline.
      copied = line_end < text.size() ? line_end + 1 : line_end;
    } else {
      out.append(line);
      copied = line_end;
    }
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace claudegpt
