#include "ledger/prices.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace claudegpt {
namespace {

namespace fs = std::filesystem;

constexpr double kCent = 1e-12;  // costs are compared to a trillionth of a dollar

std::string error_of(std::string_view toml) {
  try {
    parse_price_toml(toml, "~/.config/claudegpt/prices.toml");
  } catch (const PriceFileError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(BuiltInPrices, KnowEveryDefaultModelAtOpenAIsListPrices) {
  PriceTable table = PriceTable::built_in();
  struct Row {
    const char* model;
    double input, cached, output;
  };
  for (const Row& row : {Row{"gpt-5.5", 5.00, 0.50, 30.00}, Row{"gpt-5.4", 2.50, 0.25, 15.00},
                         Row{"gpt-5.4-mini", 0.75, 0.075, 4.50},
                         Row{"gpt-5.4-nano", 0.20, 0.02, 1.25}, Row{"gpt-5.1", 1.25, 0.125, 10.00},
                         Row{"gpt-5", 1.25, 0.125, 10.00}, Row{"gpt-5-mini", 0.25, 0.025, 2.00},
                         Row{"gpt-5-nano", 0.05, 0.005, 0.40},
                         Row{"gpt-5.1-codex", 1.25, 0.125, 10.00},
                         Row{"gpt-5.1-codex-max", 1.25, 0.125, 10.00},
                         Row{"gpt-5-codex", 1.25, 0.125, 10.00}}) {
    SCOPED_TRACE(row.model);
    std::optional<ModelPrice> price = table.find(row.model);
    ASSERT_TRUE(price.has_value());
    EXPECT_DOUBLE_EQ(price->input, row.input);
    EXPECT_DOUBLE_EQ(price->cached_input, row.cached);
    EXPECT_DOUBLE_EQ(price->output, row.output);
  }
  EXPECT_DOUBLE_EQ(table.web_search_per_1k(), 10.00);
}

TEST(BuiltInPrices, PriceADatedSnapshotAsItsModel) {
  PriceTable table = PriceTable::built_in();
  std::optional<ModelPrice> price = table.find("gpt-5-mini-2025-08-07");
  ASSERT_TRUE(price.has_value());
  EXPECT_DOUBLE_EQ(price->input, 0.25);  // gpt-5-mini, not gpt-5
  EXPECT_DOUBLE_EQ(table.find("gpt-5-2025-08-07")->input, 1.25);
  EXPECT_DOUBLE_EQ(table.find("gpt-5.5-2026-04-23")->output, 30.00);
}

TEST(BuiltInPrices, MatchNamesWhateverTheirCase) {
  PriceTable table = PriceTable::built_in();
  EXPECT_DOUBLE_EQ(table.find("GPT-5.4-Mini")->input, 0.75);
}

TEST(BuiltInPrices, KnowNothingOfOtherModels) {
  PriceTable table = PriceTable::built_in();
  EXPECT_EQ(table.find("gpt-5.5-pro"), std::nullopt);        // a known prefix, but no date
  EXPECT_EQ(table.find("gpt-5.4-mini-high"), std::nullopt);
  EXPECT_EQ(table.find("gpt-5-2025-08"), std::nullopt);      // not a whole date
  EXPECT_EQ(table.find("gpt-54-mini"), std::nullopt);        // an Azure deployment name
  EXPECT_EQ(table.find("claude-opus-5-5"), std::nullopt);
  EXPECT_EQ(table.find(""), std::nullopt);
}

TEST(Cost, IsUncachedInputPlusCachedInputPlusOutputPlusSearches) {
  PriceTable table = PriceTable::built_in();
  // gpt-5.5: 40,000 uncached × $5 + 60,000 cached × $0.50 + 5,000 output × $30 (per 1M)
  // + 2 searches × $10 / 1,000 = 0.20 + 0.03 + 0.15 + 0.02.
  UsageFigures usage{100'000, 60'000, 5'000, 2};
  EXPECT_NEAR(*table.cost_usd("gpt-5.5", usage), 0.40, kCent);
  // gpt-5-nano: 10,000 × $0.05 + 1,000 × $0.40 (per 1M) = 0.0005 + 0.0004.
  EXPECT_NEAR(*table.cost_usd("gpt-5-nano", UsageFigures{10'000, 0, 1'000, 0}), 0.0009, kCent);
}

TEST(Cost, BillsALongRequestAtTheLongContextRates) {
  PriceTable table = PriceTable::built_in();
  // gpt-5.5 above 272,000 input tokens: 100,000 × $10 + 200,000 × $1 + 10,000 × $45 (per 1M).
  EXPECT_NEAR(*table.cost_usd("gpt-5.5", UsageFigures{300'000, 200'000, 10'000, 0}), 1.65, kCent);
  // At exactly 272,000 the standard rates hold: 272,000 × $2.50 + 1,000 × $15 (per 1M).
  EXPECT_NEAR(*table.cost_usd("gpt-5.4", UsageFigures{272'000, 0, 1'000, 0}), 0.695, kCent);
  // gpt-5.4 above: 300,000 × $5 (per 1M).
  EXPECT_NEAR(*table.cost_usd("gpt-5.4", UsageFigures{300'000, 0, 0, 0}), 1.50, kCent);
}

TEST(Cost, OfATurnIsItsUsageAtItsUpstreamModelsPrice) {
  PriceTable table = PriceTable::built_in();
  TurnRecord turn;
  turn.upstream_model = "gpt-5.4-mini";
  turn.input_tokens = 40'000;
  turn.cached_tokens = 32'000;
  turn.output_tokens = 2'200;
  turn.reasoning_tokens = 800;  // part of the output: not billed again
  // 8,000 × $0.75 + 32,000 × $0.075 + 2,200 × $4.50 (per 1M) = 0.006 + 0.0024 + 0.0099.
  EXPECT_NEAR(*table.cost_usd(turn), 0.0183, kCent);
}

TEST(Cost, OfATurnWithChainRoundsLeavesTheLongContextTierOut) {
  PriceTable table = PriceTable::built_in();
  TurnRecord turn;
  turn.upstream_model = "gpt-5.5";
  turn.input_tokens = 300'000;  // say three responses of 100,000: none of them long
  turn.cached_tokens = 200'000;
  turn.output_tokens = 10'000;
  turn.chain_rounds = 2;
  // 100,000 × $5 + 200,000 × $0.50 + 10,000 × $30 (per 1M).
  EXPECT_NEAR(*table.cost_usd(turn), 0.90, kCent);
}

TEST(Cost, OfACodexTurnIsItsApiEquivalentValue) {
  PriceTable table = PriceTable::built_in();
  TurnRecord turn;
  turn.provider = "codex";
  turn.upstream_model = "gpt-5.5";
  turn.input_tokens = 150'000;
  turn.cached_tokens = 120'000;
  turn.output_tokens = 9'000;
  turn.web_searches = 2;
  // 30,000 × $5 + 120,000 × $0.50 + 9,000 × $30 (per 1M) + 2 × $0.01.
  EXPECT_NEAR(*table.cost_usd(turn), 0.50, kCent);
}

TEST(Cost, OfAnUnknownModelIsUnknownNeverZero) {
  PriceTable table = PriceTable::built_in();
  EXPECT_EQ(table.cost_usd("my-deployment", UsageFigures{1'000, 0, 100, 0}), std::nullopt);
  EXPECT_EQ(table.cost_usd("my-deployment", UsageFigures{0, 0, 0, 3}), std::nullopt);
  TurnRecord turn;
  turn.upstream_model = "gpt-54-mini";
  EXPECT_EQ(table.cost_usd(turn), std::nullopt);
}

TEST(Cost, NeverCountsMoreCachedThanInputTokens) {
  PriceTable table = PriceTable::built_in();
  // 1,000 cached of 1,000 input at gpt-5's $0.125 (per 1M), not 2,000.
  EXPECT_NEAR(*table.cost_usd("gpt-5", UsageFigures{1'000, 2'000, 0, 0}), 0.000125, kCent);
}

// OpenAI's GPT-5.6 model pages (read 2026-12-07): Sol $4 / $0.40 / $20, Terra $2 / $0.20 /
// $12, Luna $0.20 / $0.02 / $1.20; cache writes at 1.25× the uncached input rate.
TEST(BuiltInPrices, KnowTheGpt56FamilyWithItsCacheWriteRate) {
  PriceTable table = PriceTable::built_in();
  struct Row {
    const char* model;
    double input, cached, output, cache_write;
  };
  for (const Row& row : {Row{"gpt-5.6-sol", 4.00, 0.40, 20.00, 5.00},
                         Row{"gpt-5.6", 4.00, 0.40, 20.00, 5.00},  // the alias routes to Sol
                         Row{"gpt-5.6-terra", 2.00, 0.20, 12.00, 2.50},
                         Row{"gpt-5.6-luna", 0.20, 0.02, 1.20, 0.25}}) {
    SCOPED_TRACE(row.model);
    std::optional<ModelPrice> price = table.find(row.model);
    ASSERT_TRUE(price.has_value());
    EXPECT_DOUBLE_EQ(price->input, row.input);
    EXPECT_DOUBLE_EQ(price->cached_input, row.cached);
    EXPECT_DOUBLE_EQ(price->output, row.output);
    ASSERT_TRUE(price->cache_write.has_value());
    EXPECT_DOUBLE_EQ(*price->cache_write, row.cache_write);
  }
  // Before GPT-5.6, writing to the cache costs nothing extra.
  EXPECT_EQ(table.find("gpt-5.5")->cache_write, std::nullopt);
}

TEST(Cost, BillsCacheWritesAtTheCacheWriteRateInPlaceOfTheInputRate) {
  PriceTable table = PriceTable::built_in();
  // gpt-5.6-sol: 10,000 uncached × $4 + 60,000 cached × $0.40 + 30,000 written × $5
  // + 2,000 output × $20 (per 1M) = 0.04 + 0.024 + 0.15 + 0.04.
  UsageFigures usage{100'000, 60'000, 2'000, 0, 30'000};
  EXPECT_NEAR(*table.cost_usd("gpt-5.6-sol", usage), 0.254, kCent);
  // A model without a write rate bills writes as input: 40,000 × $5 + 60,000 × $0.50 + 2,000
  // × $30 (per 1M), the same as without writes.
  EXPECT_NEAR(*table.cost_usd("gpt-5.5", usage), 0.29, kCent);
  EXPECT_NEAR(*table.cost_usd("gpt-5.5", UsageFigures{100'000, 60'000, 2'000, 0}), 0.29, kCent);
  // Writes count only within the input that is not cached: 10,000 here.
  EXPECT_NEAR(*table.cost_usd("gpt-5.6-sol", UsageFigures{100'000, 90'000, 0, 0, 50'000}),
              0.036 + 0.05, kCent);
}

TEST(Cost, BillsALongGpt56RequestAtDoubleRatesWritesIncluded) {
  PriceTable table = PriceTable::built_in();
  // gpt-5.6-terra above 272,000: 100,000 × $4 + 100,000 cached × $0.40 + 100,000 written ×
  // $5 + 10,000 × $18 (per 1M) = 0.40 + 0.04 + 0.50 + 0.18.
  EXPECT_NEAR(*table.cost_usd("gpt-5.6-terra", UsageFigures{300'000, 100'000, 10'000, 0, 100'000}),
              1.12, kCent);
}

TEST(Cost, OfATurnCountsItsCacheWrites) {
  PriceTable table = PriceTable::built_in();
  TurnRecord turn;
  turn.upstream_model = "gpt-5.6-luna";
  turn.input_tokens = 3'438;
  turn.cache_write_tokens = 3'435;
  turn.output_tokens = 9;
  // 3 × $0.20 + 3,435 × $0.25 + 9 × $1.20 (per 1M).
  EXPECT_NEAR(*table.cost_usd(turn), (3 * 0.20 + 3'435 * 0.25 + 9 * 1.20) / 1e6, kCent);
}

TEST(PriceToml, TakesACacheWritePrice) {
  PriceFile file = parse_price_toml(
      "[models.\"my-sol\"]\ninput = 4\ncached_input = 0.4\noutput = 20\ncache_write = 5\n"
      "[models.\"old\"]\ninput = 1\noutput = 2\n");
  EXPECT_EQ(file.models.at("my-sol").cache_write, 5.0);
  EXPECT_EQ(file.models.at("old").cache_write, std::nullopt);
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = 1\noutput = 2\ncache_write = 1\ncache_write = 2\n"),
            "~/.config/claudegpt/prices.toml:5: cache_write given twice");
}

TEST(EnvPrices, TakeAFourthFigureForCacheWrites) {
  PriceTable table = PriceTable::built_in();
  table.apply_env({{"CLAUDEGPT_PRICE_MY_SOL", "4,0.4,20,5"}, {"CLAUDEGPT_PRICE_MY_OLD", "1,0.1,2"}});
  EXPECT_EQ(table.find("my-sol")->cache_write, 5.0);
  EXPECT_EQ(table.find("my-old")->cache_write, std::nullopt);
}

TEST(PriceToml, ReadsModelTablesAndTheWebSearchPrice) {
  PriceFile file = parse_price_toml(R"(# prices for my Azure deployments
web_search_per_1k = 25   # USD per 1,000 calls

[models."gpt-5-5"]
input = 5.00
cached_input = 0.50
output = 30        # reasoning included

  [ models . 'GPT-54-Mini' ]   # spaces and single quotes are TOML too
  input=0.75
  output = 4.5

[models.nano_deploy]
input = 0.2
cached_input = 0.02
output = 1_250e-3
)");
  ASSERT_EQ(file.models.size(), 3u);
  EXPECT_EQ(file.web_search_per_1k, 25.0);
  const ModelPrice& full = file.models.at("gpt-5-5");
  EXPECT_DOUBLE_EQ(full.input, 5.00);
  EXPECT_DOUBLE_EQ(full.cached_input, 0.50);
  EXPECT_DOUBLE_EQ(full.output, 30.00);
  const ModelPrice& mini = file.models.at("gpt-54-mini");  // names are lower-cased
  EXPECT_DOUBLE_EQ(mini.cached_input, 0.75);  // no cached_input: billed as input
  EXPECT_DOUBLE_EQ(mini.output, 4.5);
  EXPECT_DOUBLE_EQ(file.models.at("nano_deploy").output, 1.25);
}

TEST(PriceToml, CanBeEmpty) {
  PriceFile file = parse_price_toml("# nothing yet\n\n   \r\n");
  EXPECT_TRUE(file.models.empty());
  EXPECT_EQ(file.web_search_per_1k, std::nullopt);
}

TEST(PriceToml, OverridesReplaceBuiltInEntriesAndAddDeployments) {
  PriceTable table = PriceTable::built_in();
  table.apply(parse_price_toml(R"(
web_search_per_1k = 25
[models."gpt-5.5"]
input = 4
cached_input = 0.4
output = 24
[models."gpt-54-mini"]
input = 0.75
cached_input = 0.075
output = 4.5
)"));
  EXPECT_DOUBLE_EQ(table.find("gpt-5.5")->input, 4.0);
  EXPECT_EQ(table.find("gpt-5.5")->long_context, std::nullopt);  // replaced whole
  EXPECT_DOUBLE_EQ(table.find("gpt-5.4")->input, 2.50);          // untouched
  EXPECT_DOUBLE_EQ(table.web_search_per_1k(), 25.0);
  // The deployment is priced now: 8,000 × $0.75 + 32,000 × $0.075 + 2,200 × $4.50 (per 1M)
  // + 1 search × $25 / 1,000.
  EXPECT_NEAR(*table.cost_usd("gpt-54-mini", UsageFigures{40'000, 32'000, 2'200, 1}), 0.0433,
              kCent);
  // and its dated names too.
  EXPECT_TRUE(table.find("gpt-54-mini-2026-03-17").has_value());
}

TEST(PriceToml, NamesTheFileAndLineOfAMistake) {
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = 1\ncached = 0.1\noutput = 2\n"),
            "~/.config/claudegpt/prices.toml:3: unknown key \"cached\" (expected input, "
            "cached_input, output or cache_write)");
  EXPECT_EQ(error_of("# header\n\n[models.\"x\"]\ninput = 1\n"),
            "~/.config/claudegpt/prices.toml:3: [models.\"x\"] needs input and output");
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = 1\noutput = 2\nweb_search_per_1k = 10\n"),
            "~/.config/claudegpt/prices.toml:4: web_search_per_1k belongs at the top, before "
            "any [models.\"<model name>\"] table");
  EXPECT_EQ(error_of("input = 1\n"),
            "~/.config/claudegpt/prices.toml:1: input belongs in a [models.\"<model name>\"] "
            "table");
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = -1\n"),
            "~/.config/claudegpt/prices.toml:2: input: a price cannot be negative (-1)");
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = \"1.25\"\n"),
            "~/.config/claudegpt/prices.toml:2: input: expected a number, got \"\"1.25\"\"");
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = 1 2\n"),
            "~/.config/claudegpt/prices.toml:2: unexpected text after the value of input");
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = 1\ninput = 2\n"),
            "~/.config/claudegpt/prices.toml:3: input given twice");
  EXPECT_EQ(error_of("[models.\"x\"]\ninput = 1\noutput = 2\n[models.\"X\"]\n"),
            "~/.config/claudegpt/prices.toml:4: [models.\"x\"] given twice");
  EXPECT_EQ(error_of("[prices]\n"),
            "~/.config/claudegpt/prices.toml:1: expected [models.\"<model name>\"]");
  EXPECT_EQ(error_of("[[models]]\n"),
            "~/.config/claudegpt/prices.toml:1: arrays of tables are not supported; expected "
            "[models.\"<model name>\"]");
  EXPECT_EQ(error_of("[models.\"gpt-5.5]\n"),
            "~/.config/claudegpt/prices.toml:1: unterminated model name; expected "
            "[models.\"<model name>\"]");
  EXPECT_EQ(error_of("web_search_per_1k = inf\n"),
            "~/.config/claudegpt/prices.toml:1: web_search_per_1k: expected a number, got "
            "\"inf\"");
  EXPECT_EQ(error_of("just words\n"),
            "~/.config/claudegpt/prices.toml:1: expected key = number or [models.\"<model "
            "name>\"]");
}

TEST(PriceToml, ErrorsCarryTheFileAndLineApart) {
  try {
    parse_price_toml("\n\n[models.\"x\"]\noutput = 1\n", "prices.toml");
    FAIL() << "no error";
  } catch (const PriceFileError& e) {
    EXPECT_EQ(e.file(), "prices.toml");
    EXPECT_EQ(e.line(), 3);
  }
}

// ---- reading prices.toml: CLAUDEGPT_PRICES_FILE may point anywhere --------------------------

std::string read_error(const std::string& path) {
  try {
    read_price_file(path);
  } catch (const PriceFileError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(PriceFile, ReadsAndParsesTheFileAndIsNothingWhenThereIsNone) {
  test::TempDir dir("prices_test");
  fs::path file = dir.path() / "prices.toml";
  std::ofstream(file) << "[models.\"my-deployment\"]\ninput = 1\noutput = 2\n";
  std::optional<PriceFile> prices = read_price_file(file.string());
  ASSERT_TRUE(prices);
  EXPECT_EQ(prices->models.at("my-deployment").output, 2);
  EXPECT_FALSE(read_price_file((dir.path() / "missing.toml").string()));
  EXPECT_FALSE(read_price_file((file / "under-a-file.toml").string()));
}

// Pointed at a device that never ends: fails at once instead of reading until bad_alloc.
TEST(PriceFile, DevZeroIsRefusedQuicklyAsLargerThanOneMib) {
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(read_error("/dev/zero"), "/dev/zero: larger than 1 MiB: not a prices.toml");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST(PriceFile, AFileOverOneMibIsRefusedAndOneOfExactlyOneMibIsRead) {
  test::TempDir dir("prices_test");
  fs::path file = dir.path() / "prices.toml";
  std::ofstream(file) << std::string((1 << 20) + 1, '\n');
  EXPECT_EQ(read_error(file.string()), file.string() + ": larger than 1 MiB: not a prices.toml");
  fs::resize_file(file, 1 << 20);
  EXPECT_EQ(read_error(file.string()), "(no error)");
}

// Wrong costs are worse than no start: a file that is there but cannot be read is an error.
TEST(PriceFile, OneThatCannotBeReadIsAnErrorNamingIt) {
  test::TempDir dir("prices_test");
  EXPECT_EQ(read_error(dir.path().string()),
            dir.path().string() + ": cannot be read: Is a directory");
}

TEST(PriceFile, AFifoNobodyWritesToReadsAsEmptyInsteadOfHanging) {
  test::TempDir dir("prices_test");
  fs::path fifo = dir.path() / "prices.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto started = std::chrono::steady_clock::now();
  std::optional<PriceFile> prices = read_price_file(fifo.string());
  ASSERT_TRUE(prices);
  EXPECT_TRUE(prices->models.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST(EnvPriceKey, IsTheModelUpperCasedWithUnderscores) {
  EXPECT_EQ(env_price_key("gpt-5.4-mini"), "CLAUDEGPT_PRICE_GPT_5_4_MINI");
  EXPECT_EQ(env_price_key("My Deploy/1"), "CLAUDEGPT_PRICE_MY_DEPLOY_1");
}

TEST(EnvPrices, AddAndOverrideModelsAndTheWebSearchPrice) {
  PriceTable table = PriceTable::built_in();
  table.apply(parse_price_toml("[models.\"my-deploy\"]\ninput = 9\noutput = 9\n"));
  table.apply_env({{"CLAUDEGPT_PRICE_MY_DEPLOY", "1, 0.1, 8"},
                   {"CLAUDEGPT_PRICE_GPT_5_4_NANO", "0.2,0.02,1.25"},
                   {"CLAUDEGPT_PRICE_WEB_SEARCH_PER_1K", "12.5"},
                   {"OPENAI_API_KEY", "not a price"},
                   {"CLAUDEGPT_PROVIDER", "azure"}});
  std::optional<ModelPrice> deploy = table.find("my-deploy");  // the env beats prices.toml
  ASSERT_TRUE(deploy.has_value());
  EXPECT_DOUBLE_EQ(deploy->input, 1.0);
  EXPECT_DOUBLE_EQ(deploy->cached_input, 0.1);
  EXPECT_DOUBLE_EQ(deploy->output, 8.0);
  EXPECT_DOUBLE_EQ(table.find("My.Deploy")->input, 1.0);  // same key, same price
  EXPECT_DOUBLE_EQ(table.find("my-deploy-2026-01-01")->output, 8.0);
  EXPECT_DOUBLE_EQ(table.web_search_per_1k(), 12.5);
  // 10,000 × $1 + 0 + 1,000 × $8 (per 1M) + 2 × $12.50 / 1,000.
  EXPECT_NEAR(*table.cost_usd("my-deploy", UsageFigures{10'000, 0, 1'000, 2}), 0.043, kCent);
}

TEST(EnvPrices, NameTheKeyOfAMalformedValue) {
  auto error = [](const std::string& key, const std::string& value) -> std::string {
    PriceTable table = PriceTable::built_in();
    try {
      table.apply_env({{key, value}});
    } catch (const PriceFileError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(error("CLAUDEGPT_PRICE_X", "1,2"),
            "CLAUDEGPT_PRICE_X: expected input,cached_input,output[,cache_write] in USD per 1M "
            "tokens (e.g. 1.25,0.125,10)");
  EXPECT_EQ(error("CLAUDEGPT_PRICE_X", "1,2,3,4,5"),
            "CLAUDEGPT_PRICE_X: expected input,cached_input,output[,cache_write] in USD per 1M "
            "tokens (e.g. 1.25,0.125,10)");
  EXPECT_EQ(error("CLAUDEGPT_PRICE_X", "1,x,3"),
            "CLAUDEGPT_PRICE_X: expected input,cached_input,output[,cache_write] in USD per 1M "
            "tokens (e.g. 1.25,0.125,10): expected a number, got \"x\"");
  EXPECT_EQ(error("CLAUDEGPT_PRICE_WEB_SEARCH_PER_1K", "ten"),
            "CLAUDEGPT_PRICE_WEB_SEARCH_PER_1K: expected a number, got \"ten\"");
  EXPECT_EQ(error("CLAUDEGPT_PRICE_", "1,2,3"), "CLAUDEGPT_PRICE_: names no model");
}

}  // namespace
}  // namespace claudegpt
