// What a turn cost: a price table for the upstream models, and the arithmetic.
//
// Prices are USD per 1M tokens (input, cached input, output, and for GPT-5.6 and later cache
// writes) plus USD per 1,000 web searches, as OpenAI publishes them. The built-in table covers the models claudegpt uses by default
// (prices.cc cites where each figure comes from and when it was read); the user overrides or
// adds entries in two places, later beating earlier:
//
//   1. ~/.config/claudegpt/prices.toml (parse_price_toml below), e.g.
//
//        web_search_per_1k = 10        # USD per 1,000 web searches (top level, before tables)
//
//        [models."my-gpt-5-5-deployment"]   # an Azure deployment name
//        input = 5.00                  # USD per 1M input tokens (the uncached part)
//        cached_input = 0.50           # USD per 1M cached input tokens (default: input)
//        output = 30.00                # USD per 1M output tokens (reasoning included)
//        cache_write = 6.25            # USD per 1M tokens written to the prompt cache
//                                      # (default: input, no surcharge)
//
//   2. environment / .env keys (PriceTable::apply_env):
//
//        CLAUDEGPT_PRICE_<MODEL>=input,cached_input,output[,cache_write]      e.g.
//        CLAUDEGPT_PRICE_MY_GPT_5_5_DEPLOYMENT=5,0.5,30
//        CLAUDEGPT_PRICE_WEB_SEARCH_PER_1K=10
//
//      where <MODEL> is the model name upper-cased with every character that is not a letter
//      or digit written as "_" (env_price_key below). WEB_SEARCH_PER_1K is reserved.
//
// An override replaces a model's whole entry (a built-in long-context tier included).
//
// Model names match case-insensitively: exactly, else as a known name followed by a date
// suffix ("gpt-5-mini-2025-08-07" is priced as "gpt-5-mini"), else not at all. Azure
// deployments carry names the user chose, so they are unknown until an override names them.
// An unknown model's cost is std::nullopt, never 0: the report shows it as unknown.
//
// The cost of one upstream response:
//   (input − cached − written) × input + cached × cached_input + written × cache_write
//   + output × output   (per 1M tokens)
//   + web searches × web_search_per_1k / 1000
// where `written` is the input written to the prompt cache (cache_write_tokens, reported by
// GPT-5.6 and later, which bill it at 1.25× input: not a fee on top, a rate of its own, as
// OpenAI's prompt-caching guide puts it). A model without a cache_write price bills writes as
// plain input, as models before GPT-5.6 do.
// Reasoning tokens are part of the output tokens and billed with them. Web fetches cost
// nothing per call: claudegpt fetches the pages itself (any summarising is its own upstream
// call). Some models bill a whole request at higher rates once its input passes a threshold
// (LongContext), decided per upstream response.
//
// Codex (a ChatGPT subscription) is priced the same way: its figure is the API-equivalent
// value of the turn, what it would have cost on the API, not a bill (a subscription is not
// charged per token). The usage report says so when codex turns are in it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ledger/turn_record.h"

namespace claudegpt {

struct ModelPrice {
  double input = 0;         // USD per 1M input tokens, the uncached part
  double cached_input = 0;  // USD per 1M cached input tokens
  double output = 0;        // USD per 1M output tokens, reasoning included

  // Rates for a whole response whose input (cached included) is above `above_input_tokens`.
  struct LongContext {
    std::int64_t above_input_tokens = 0;
    double input = 0, cached_input = 0, output = 0;
    std::optional<double> cache_write;  // (nullopt: at this tier's input rate)
  };
  std::optional<LongContext> long_context;
  // USD per 1M input tokens written to the prompt cache; nullopt: at the input rate.
  std::optional<double> cache_write;
};

// One upstream response's usage, as the Responses API reports it.
struct UsageFigures {
  std::int64_t input_tokens = 0;   // all input, cache reads and writes included
  std::int64_t cached_tokens = 0;
  std::int64_t output_tokens = 0;  // reasoning included
  std::int64_t web_searches = 0;
  std::int64_t cache_write_tokens = 0;  // input written to the prompt cache
};

// What a prices.toml says. Model names are stored lower-cased.
struct PriceFile {
  std::map<std::string, ModelPrice> models;
  std::optional<double> web_search_per_1k;
};

// A malformed prices.toml or price key. what() is "<file>:<line>: <problem>", e.g.
// "~/.config/claudegpt/prices.toml:7: unknown key \"cached\" (expected input, cached_input,
// output or cache_write)"; for an environment key, "<KEY>: <problem>" (line 0).
class PriceFileError : public std::runtime_error {
 public:
  PriceFileError(std::string file, int line, const std::string& problem);
  const std::string& file() const { return file_; }
  int line() const { return line_; }

 private:
  std::string file_;
  int line_;
};

// Parses the prices.toml subset described above: comments, blank lines, one optional
// top-level `web_search_per_1k = <number>` before any table, and `[models."<name>"]` tables
// (a bare name of letters, digits, "-" and "_" also works) holding `input`, `output` and
// optionally `cached_input` and `cache_write`, each a non-negative number. Anything else, a
// key given twice, a table given twice or a table missing input or output throws
// PriceFileError naming `file` and the line.
PriceFile parse_price_toml(std::string_view text, std::string_view file = "prices.toml");

// Reads and parses the prices.toml at `path` (CLAUDEGPT_PRICES_FILE); nullopt when there is no
// file there. A real one is a few lines: one larger than 1 MiB (a path pointed at /dev/zero)
// or one that cannot be read throws PriceFileError "<path>: <problem>" at once, as does a
// malformed one (with its line), rather than the costs going quietly wrong.
std::optional<PriceFile> read_price_file(const std::string& path);

// "CLAUDEGPT_PRICE_" + the model name upper-cased, non-alphanumerics as "_":
// "gpt-5.4-mini" → "CLAUDEGPT_PRICE_GPT_5_4_MINI".
std::string env_price_key(std::string_view model);

inline constexpr std::string_view kEnvPricePrefix = "CLAUDEGPT_PRICE_";
inline constexpr std::string_view kEnvWebSearchPriceKey = "CLAUDEGPT_PRICE_WEB_SEARCH_PER_1K";

class PriceTable {
 public:
  // The built-in prices (prices.cc), OpenAI's standard tier.
  static PriceTable built_in();

  // Layers a prices.toml over the table: its models replace same-named entries whole.
  void apply(const PriceFile& file);

  // Layers CLAUDEGPT_PRICE_* keys over the table (other keys are ignored). Throws
  // PriceFileError naming the key when a value is not three or four non-negative numbers
  // "input,cached_input,output[,cache_write]" (or one number for the web search key).
  void apply_env(const std::map<std::string, std::string>& env);

  // The price of `model` (see the matching rules above), or nullopt.
  std::optional<ModelPrice> find(std::string_view model) const;

  double web_search_per_1k() const { return web_search_per_1k_; }

  // The cost of one upstream response of `model`; nullopt when the model has no price.
  std::optional<double> cost_usd(std::string_view model, const UsageFigures& usage) const;

  // A turn's cost: its summed usage priced as one response of its upstream model. Exact for
  // turns without chain rounds; for turns with several upstream responses the long-context
  // tier is left out (it is decided per response), so the relay should add up the
  // per-response costs instead.
  std::optional<double> cost_usd(const TurnRecord& turn) const;

 private:
  std::map<std::string, ModelPrice> models_;      // lower-cased name → price
  std::map<std::string, ModelPrice> env_models_;  // env key suffix ("GPT_5_4_MINI") → price
  double web_search_per_1k_ = 0;
};

}  // namespace claudegpt
