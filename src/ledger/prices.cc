#include "ledger/prices.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/bounded_file.h"

namespace claudegpt {

namespace {

// Built-in prices: OpenAI's standard API rates (not Batch, Flex or Priority), USD per 1M
// tokens. Where each figure comes from, with the date of the reading:
//   [A]  OpenAI's pricing page (developers.openai.com/api/docs/pricing) as transcribed in
//        github.com/api-evangelist/openai plans/openai-plans-pricing.yml, read from the page
//        on 2026-05-04.
//   [L]  github.com/simonw/llm-prices data/openai.json, a hand-kept copy of OpenAI's list
//        prices (with the ">272k" long-context rows); its current version read 2026-11-24.
//   [M]  OpenAI's model page, developers.openai.com/api/docs/models/<model>, read 2026-11-24.
//   [W]  OpenAI's pricing page: "Web search (all models): $10 / 1k calls + search content
//        tokens billed at model rates", as quoted in community.openai.com/t/1363698 and by
//        modelcostwatch.com/openai/tool-costs/web-search (checked there 2026-03-12). The search
//        content tokens come back in the response's input tokens and are priced with them.
//   [C]  No OpenAI page for this model found; OpenAI's list price as given by a dated
//        snapshot, fernando-nog.netlify.app/gpt-coding-model-costs-2026 (2026-05-05), and by
//        llmreference.com ($1.25 in / $10 out).
//   [S]  OpenAI's model pages for the GPT-5.6 family, developers.openai.com/api/docs/models/
//        gpt-5.6-sol, gpt-5.6-terra, gpt-5.6-luna (their ja-JP, pt-BR, de-DE and en copies,
//        read 2026-12-07): Sol $4 / $0.40 cached / $20 ("promotional pricing … at least until
//        2026-11-21", still listed), Terra $2 / $0.20 / $12, Luna $0.20 / $0.02 / $1.20;
//        ">272K input tokens are priced at 2x input and 1.5x output for the full request";
//        "Cache writes are billed at 1.25x the uncached input token rate". The `gpt-5.6`
//        alias "routes requests to GPT-5.6 Sol". The prompt-caching guide: "Cache writes have
//        no additional fee on models before the GPT-5.6 family", so other models have none.
// Long context: a request with more than 272,000 input tokens is billed whole at the higher
// rates ([L] "GPT-5.5 >272k" and "GPT-5.4 >272k": about 2× input and 1.5× output).
constexpr double kWebSearchPer1k = 10.00;  // [W]

struct BuiltIn {
  const char* name;
  ModelPrice price;
};

const std::vector<BuiltIn>& built_in_prices() {
  using Long = ModelPrice::LongContext;
  // GPT-5.6: cache writes at 1.25× the (tier's) uncached input rate [S].
  auto gpt_5_6 = [](double input, double cached, double output) {
    return ModelPrice{input, cached, output,
                      Long{272'000, 2 * input, 2 * cached, 1.5 * output, 2 * input * 1.25},
                      input * 1.25};
  };
  // Models before GPT-5.6: no cache-write price (writes cost the input rate).
  auto price = [](double input, double cached, double output, std::optional<Long> long_context = {}) {
    return ModelPrice{input, cached, output, long_context, std::nullopt};
  };
  auto above_272k = [](double input, double cached, double output) {
    return Long{272'000, input, cached, output, std::nullopt};
  };
  static const std::vector<BuiltIn> table = {
      {"gpt-5.6-sol", gpt_5_6(4.00, 0.40, 20.00)},                            // [S]
      {"gpt-5.6", gpt_5_6(4.00, 0.40, 20.00)},                                // [S] (Sol)
      {"gpt-5.6-terra", gpt_5_6(2.00, 0.20, 12.00)},                          // [S]
      {"gpt-5.6-luna", gpt_5_6(0.20, 0.02, 1.20)},                            // [S]
      {"gpt-5.5", price(5.00, 0.50, 30.00, above_272k(10.00, 1.00, 45.00))},  // [A] [L]
      {"gpt-5.4", price(2.50, 0.25, 15.00, above_272k(5.00, 0.50, 22.50))},   // [A] [L]
      {"gpt-5.4-mini", price(0.75, 0.075, 4.50)},                             // [A] [L]
      {"gpt-5.4-nano", price(0.20, 0.02, 1.25)},                              // [A] [L]
      {"gpt-5.1", price(1.25, 0.125, 10.00)},                                 // [M] [L]
      {"gpt-5", price(1.25, 0.125, 10.00)},                                   // [L]
      {"gpt-5-mini", price(0.25, 0.025, 2.00)},                               // [L]
      {"gpt-5-nano", price(0.05, 0.005, 0.40)},                               // [M] [L]
      {"gpt-5.1-codex", price(1.25, 0.125, 10.00)},                           // [L]
      {"gpt-5.1-codex-max", price(1.25, 0.125, 10.00)},                       // [C]
      {"gpt-5-codex", price(1.25, 0.125, 10.00)},                             // [M]
  };
  return table;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "-YYYY-MM-DD" at the end: a dated snapshot of the name before it.
bool has_date_suffix(std::string_view name) {
  if (name.size() < 12) return false;
  std::string_view tail = name.substr(name.size() - 11);
  for (std::size_t i = 0; i < tail.size(); ++i) {
    bool dash = i == 0 || i == 5 || i == 8;
    if (dash ? tail[i] != '-' : !is_digit(tail[i])) return false;
  }
  return true;
}

std::string env_suffix(std::string_view model) {
  std::string out;
  out.reserve(model.size());
  for (char c : model) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) && u < 0x80 ? static_cast<char>(std::toupper(u)) : '_');
  }
  return out;
}

// A TOML-style number: optional sign, digits with single "_" between digits, optional
// fraction and exponent. Non-negative and finite, or nullopt with `problem` set.
std::optional<double> parse_price(std::string_view token, std::string* problem) {
  std::string digits;
  for (std::size_t i = 0; i < token.size(); ++i) {
    char c = token[i];
    if (c == '_') {
      if (i == 0 || i + 1 == token.size() || !is_digit(token[i - 1]) || !is_digit(token[i + 1])) {
        *problem = "misplaced \"_\" in \"" + std::string(token) + "\"";
        return std::nullopt;
      }
      continue;
    }
    digits.push_back(c);
  }
  std::string_view body = digits;
  if (!body.empty() && body.front() == '+') body.remove_prefix(1);
  if (!body.empty() && body.front() == '-') {
    *problem = "a price cannot be negative (" + std::string(token) + ")";
    return std::nullopt;
  }
  // from_chars also takes "inf", "nan" and ".5"; TOML wants a digit first.
  double value = 0;
  const char* end = body.data() + body.size();
  auto [ptr, ec] = std::from_chars(body.data(), end, value);
  if (body.empty() || !is_digit(body.front()) || ec != std::errc() || ptr != end ||
      !std::isfinite(value)) {
    *problem = "expected a number, got \"" + std::string(token) + "\"";
    return std::nullopt;
  }
  return value;
}

bool is_bare_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// The model name in a `[models."name"]` header (`line` trimmed, starting with "[").
std::string parse_table_header(std::string_view line, const std::string& file, int line_no) {
  auto fail = [&](const std::string& problem) { throw PriceFileError(file, line_no, problem); };
  const std::string expected = "expected [models.\"<model name>\"]";
  if (line.starts_with("[[")) fail("arrays of tables are not supported; " + expected);
  std::string_view s = trim(line.substr(1));
  if (!s.starts_with("models")) fail(expected);
  s = trim(s.substr(6));
  if (s.empty() || s.front() != '.') fail(expected);
  s = trim(s.substr(1));
  std::string name;
  if (!s.empty() && (s.front() == '"' || s.front() == '\'')) {
    char quote = s.front();
    std::size_t close = s.find(quote, 1);
    if (close == std::string_view::npos) fail("unterminated model name; " + expected);
    std::string_view quoted = s.substr(1, close - 1);
    if (quote == '"' && quoted.find('\\') != std::string_view::npos) {
      fail("escapes in model names are not supported");
    }
    name = std::string(quoted);
    s = s.substr(close + 1);
  } else {
    std::size_t n = 0;
    while (n < s.size() && is_bare_key_char(s[n])) ++n;
    name = std::string(s.substr(0, n));
    s = s.substr(n);
  }
  if (trim(name).empty()) fail("empty model name; " + expected);
  s = trim(s);
  if (s.empty() || s.front() != ']') fail(expected);
  s = trim(s.substr(1));
  if (!s.empty() && s.front() != '#') fail("unexpected text after the table header");
  return lower(name);
}

}  // namespace

PriceFileError::PriceFileError(std::string file, int line, const std::string& problem)
    : std::runtime_error(line > 0 ? file + ":" + std::to_string(line) + ": " + problem
                                  : file + ": " + problem),
      file_(std::move(file)),
      line_(line) {}

std::optional<PriceFile> read_price_file(const std::string& path) {
  BoundedFile file = read_bounded_file(path);
  switch (file.status) {
    case BoundedFile::Status::read:
      return parse_price_toml(file.text, path);
    case BoundedFile::Status::missing:
      return std::nullopt;
    case BoundedFile::Status::too_large:
      throw PriceFileError(path, 0, "larger than " + std::string(kBoundedFileLimitText) +
                                        ": not a prices.toml");
    case BoundedFile::Status::unreadable:
      break;
  }
  throw PriceFileError(path, 0, std::string("cannot be read: ") + std::strerror(file.error));
}

PriceFile parse_price_toml(std::string_view text, std::string_view file_name) {
  const std::string file(file_name);
  PriceFile out;

  struct OpenTable {
    std::string name;
    int line = 0;
    std::optional<double> input, cached_input, output, cache_write;
  };
  std::optional<OpenTable> table;
  std::set<std::string> seen_tables;

  auto close_table = [&] {
    if (!table) return;
    if (!table->input || !table->output) {
      throw PriceFileError(file, table->line,
                           "[models.\"" + table->name + "\"] needs input and output");
    }
    ModelPrice price;
    price.input = *table->input;
    price.output = *table->output;
    price.cached_input = table->cached_input.value_or(*table->input);
    price.cache_write = table->cache_write;
    out.models[table->name] = price;
    table.reset();
  };

  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? text.size() - pos
                                                                          : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;

    if (line.front() == '[') {
      std::string name = parse_table_header(line, file, line_no);
      close_table();
      if (!seen_tables.insert(name).second) {
        throw PriceFileError(file, line_no, "[models.\"" + name + "\"] given twice");
      }
      table = OpenTable{name, line_no, {}, {}, {}, {}};
      continue;
    }

    // key = number [# comment]
    std::size_t n = 0;
    while (n < line.size() && is_bare_key_char(line[n])) ++n;
    std::string key(line.substr(0, n));
    std::string_view rest = trim(line.substr(n));
    if (key.empty() || rest.empty() || rest.front() != '=') {
      throw PriceFileError(file, line_no, "expected key = number or [models.\"<model name>\"]");
    }
    rest = trim(rest.substr(1));
    std::size_t end = 0;
    while (end < rest.size() && !is_space(rest[end]) && rest[end] != '#') ++end;
    std::string_view token = rest.substr(0, end);
    std::string_view after = trim(rest.substr(end));
    if (!after.empty() && after.front() != '#') {
      throw PriceFileError(file, line_no, "unexpected text after the value of " + key);
    }
    std::string problem;
    std::optional<double> value = parse_price(token, &problem);
    if (!value) throw PriceFileError(file, line_no, key + ": " + problem);

    const bool model_key =
        key == "input" || key == "cached_input" || key == "output" || key == "cache_write";
    if (!table) {
      if (key == "web_search_per_1k") {
        if (out.web_search_per_1k) {
          throw PriceFileError(file, line_no, "web_search_per_1k given twice");
        }
        out.web_search_per_1k = value;
      } else if (model_key) {
        throw PriceFileError(file, line_no,
                             key + " belongs in a [models.\"<model name>\"] table");
      } else {
        throw PriceFileError(file, line_no,
                             "unknown key \"" + key + "\" (expected web_search_per_1k)");
      }
      continue;
    }
    if (key == "web_search_per_1k") {
      throw PriceFileError(file, line_no,
                           "web_search_per_1k belongs at the top, before any "
                           "[models.\"<model name>\"] table");
    }
    std::optional<double>* slot = key == "input"          ? &table->input
                                  : key == "cached_input" ? &table->cached_input
                                  : key == "output"       ? &table->output
                                  : key == "cache_write"  ? &table->cache_write
                                                          : nullptr;
    if (!slot) {
      throw PriceFileError(file, line_no,
                           "unknown key \"" + key +
                               "\" (expected input, cached_input, output or cache_write)");
    }
    if (*slot) throw PriceFileError(file, line_no, key + " given twice");
    *slot = value;
  }
  close_table();
  return out;
}

std::string env_price_key(std::string_view model) {
  return std::string(kEnvPricePrefix) + env_suffix(model);
}

PriceTable PriceTable::built_in() {
  PriceTable table;
  for (const BuiltIn& entry : built_in_prices()) table.models_[entry.name] = entry.price;
  table.web_search_per_1k_ = kWebSearchPer1k;
  return table;
}

void PriceTable::apply(const PriceFile& file) {
  for (const auto& [name, price] : file.models) models_[lower(name)] = price;
  if (file.web_search_per_1k) web_search_per_1k_ = *file.web_search_per_1k;
}

void PriceTable::apply_env(const std::map<std::string, std::string>& env) {
  for (const auto& [key, value] : env) {
    if (!key.starts_with(kEnvPricePrefix)) continue;
    std::string problem;
    if (key == kEnvWebSearchPriceKey) {
      std::optional<double> price = parse_price(trim(value), &problem);
      if (!price) throw PriceFileError(key, 0, problem);
      web_search_per_1k_ = *price;
      continue;
    }
    std::string suffix = key.substr(kEnvPricePrefix.size());
    if (suffix.empty()) throw PriceFileError(key, 0, "names no model");
    std::vector<double> figures;
    std::string_view rest = value;
    while (true) {
      std::size_t comma = rest.find(',');
      std::optional<double> figure = parse_price(trim(rest.substr(0, comma)), &problem);
      if (!figure) break;
      figures.push_back(*figure);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
    if (!problem.empty() || figures.size() < 3 || figures.size() > 4) {
      throw PriceFileError(key, 0,
                           "expected input,cached_input,output[,cache_write] in USD per 1M "
                           "tokens (e.g. 1.25,0.125,10)" +
                               (problem.empty() ? std::string() : ": " + problem));
    }
    ModelPrice price{figures[0], figures[1], figures[2], std::nullopt, std::nullopt};
    if (figures.size() == 4) price.cache_write = figures[3];
    env_models_[env_suffix(suffix)] = price;
  }
}

std::optional<ModelPrice> PriceTable::find(std::string_view model) const {
  auto lookup = [&](const std::string& name) -> std::optional<ModelPrice> {
    if (auto it = env_models_.find(env_suffix(name)); it != env_models_.end()) return it->second;
    if (auto it = models_.find(name); it != models_.end()) return it->second;
    return std::nullopt;
  };
  std::string name = lower(model);
  if (name.empty()) return std::nullopt;
  if (auto price = lookup(name)) return price;
  if (has_date_suffix(name)) return lookup(name.substr(0, name.size() - 11));
  return std::nullopt;
}

namespace {

double cost_at(const ModelPrice& price, const UsageFigures& usage, double web_search_per_1k) {
  std::int64_t input = std::max<std::int64_t>(usage.input_tokens, 0);
  std::int64_t cached = std::clamp<std::int64_t>(usage.cached_tokens, 0, input);
  std::int64_t written = std::clamp<std::int64_t>(usage.cache_write_tokens, 0, input - cached);
  std::int64_t output = std::max<std::int64_t>(usage.output_tokens, 0);
  double in = price.input, cin = price.cached_input, out = price.output;
  std::optional<double> write = price.cache_write;
  if (price.long_context && input > price.long_context->above_input_tokens) {
    in = price.long_context->input;
    cin = price.long_context->cached_input;
    out = price.long_context->output;
    write = price.long_context->cache_write;
  }
  double tokens = (static_cast<double>(input - cached - written) * in +
                   static_cast<double>(cached) * cin +
                   static_cast<double>(written) * write.value_or(in) +
                   static_cast<double>(output) * out) / 1e6;
  double searches =
      static_cast<double>(std::max<std::int64_t>(usage.web_searches, 0)) * web_search_per_1k /
      1000.0;
  return tokens + searches;
}

}  // namespace

std::optional<double> PriceTable::cost_usd(std::string_view model,
                                           const UsageFigures& usage) const {
  std::optional<ModelPrice> price = find(model);
  if (!price) return std::nullopt;
  return cost_at(*price, usage, web_search_per_1k_);
}

std::optional<double> PriceTable::cost_usd(const TurnRecord& turn) const {
  std::optional<ModelPrice> price = find(turn.upstream_model);
  if (!price) return std::nullopt;
  if (turn.chain_rounds > 0) price->long_context.reset();
  UsageFigures usage{turn.input_tokens, turn.cached_tokens, turn.output_tokens,
                     turn.web_searches, turn.cache_write_tokens};
  return cost_at(*price, usage, web_search_per_1k_);
}

}  // namespace claudegpt
