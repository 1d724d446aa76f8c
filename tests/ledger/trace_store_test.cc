#include "ledger/trace_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "temp_dir.h"
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace claudegpt {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Each test's own directory.
struct TempDir : test::TempDir {
  TempDir() : test::TempDir("trace_store_test") {}
};
using test::mode_of;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every regular file under `dir`, relative to it.
std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), dir).string());
  return files;
}

ino_t inode_of(const fs::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The names in `dir` itself, whatever they are: links are listed, not followed.
std::set<std::string> entries_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  return names;
}

std::uint64_t bytes_under(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) total += entry.file_size();
  return total;
}

// Holds the store's writer at the first trace it writes, until let_go(): the queue fills.
class HeldWriter {
 public:
  TraceStoreOptions options(std::size_t max_queued) {
    TraceStoreOptions options;
    options.max_queued = max_queued;
    options.before_write = [this] {
      if (first_.exchange(false)) writing_.set_value();
      released_.wait();
    };
    return options;
  }
  void wait_until_writing() { writing_.get_future().wait(); }
  void let_go() { release_.set_value(); }

 private:
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::promise<void> writing_;
  std::atomic<bool> first_{true};
};

json::object small_trace(std::string id) {
  json::object trace;
  trace["id"] = id;
  trace["model"] = "gpt-5.5";
  trace["usage"] = json::object{{"input_tokens", 10}, {"output_tokens", 5}};
  return trace;
}

// A trace whose file is `bytes` long (serialized, plus the final newline).
json::object trace_of_size(std::string id, std::size_t bytes) {
  json::object trace;
  trace["id"] = id;
  trace["pad"] = "";
  std::size_t base = json::serialize(trace).size() + 1;
  trace["pad"] = std::string(bytes > base ? bytes - base : 0, 'x');
  return trace;
}

constexpr std::int64_t kBaseTime = 1795517640123;  // 2026-11-24T10:54:00.123Z

// ---------------------------------------------------------------------------------------------
// Names

TEST(TraceFileStem, IsTheUtcTimeToTheMillisecondThenTheId) {
  EXPECT_EQ(trace_file_stem(kBaseTime, "req_abc"), "20261124T105400.123Z-req_abc");
  EXPECT_EQ(trace_file_stem(0, "req_x"), "19700101T000000.000Z-req_x");
  EXPECT_EQ(trace_file_stem(1, "r"), "19700101T000000.001Z-r");
}

TEST(TraceFileStem, SortsByTimeAndKeepsIdsFromMakingPaths) {
  EXPECT_LT(trace_file_stem(kBaseTime, "zzz"), trace_file_stem(kBaseTime + 1, "aaa"));
  EXPECT_EQ(trace_file_stem(kBaseTime, "../x/y"), "20261124T105400.123Z-.._x_y");
}

// ---------------------------------------------------------------------------------------------
// Secrets

TEST(RedactSecrets, MasksCredentialHeadersAtAnyDepthAndLeavesTheRestAlone) {
  json::object trace = json::parse(R"({
    "request_openai": {
      "headers": {"Authorization": "Bearer sk-live-123", "Content-Type": "application/json",
                  "chatgpt-account-id": "acct-9", "OpenAI-Beta": "responses=v1"},
      "body": {"model": "gpt-5.5", "input": [{"role": "user", "content": "hi"}]}
    },
    "request_anthropic": {"headers": {"X-Api-Key": "sk-ant-456",
                                      "anthropic-version": "2023-06-01"}},
    "upstream": [{"response_headers": {"SET-COOKIE": "session=abc", "x-request-id": "r1"}},
                 {"cookie": {"nested": "object value"}}],
    "config": {"api_key": "sk-dotenv", "API-KEY": "sk-2", "refresh_token": "rt", "base_url": "u"},
    "raw_lines": ["authorization: Bearer sk-line", "x-request-id: r2",
                  "Proxy-Authorization: Basic Zm9v"],
    "pairs": [["x-api-key", "sk-pair"], ["accept", "text/event-stream"]]
  })").as_object();

  EXPECT_EQ(redact_secrets(trace), 11u);
  std::string text = json::serialize(trace);
  for (std::string_view secret : {"sk-live-123", "acct-9", "sk-ant-456", "session=abc",
                                  "object value", "sk-dotenv", "sk-2", "\"rt\"", "sk-line",
                                  "Zm9v", "sk-pair"})
    EXPECT_THAT(text, Not(HasSubstr(secret)));

  const auto& headers = trace["request_openai"].at("headers").as_object();
  EXPECT_EQ(headers.at("Authorization").as_string(), kRedacted);
  EXPECT_EQ(headers.at("Content-Type"), "application/json");
  EXPECT_EQ(headers.at("OpenAI-Beta"), "responses=v1");
  EXPECT_EQ(trace["upstream"].at(0).at("response_headers").at("x-request-id"), "r1");
  EXPECT_EQ(trace["config"].at("base_url"), "u");
  EXPECT_EQ(trace["raw_lines"].at(0), "authorization: [redacted]");
  EXPECT_EQ(trace["raw_lines"].at(1), "x-request-id: r2");
  EXPECT_EQ(trace["pairs"].at(0).at(1).as_string(), kRedacted);
  EXPECT_EQ(trace["pairs"].at(1).at(1), "text/event-stream");
  EXPECT_EQ(trace["request_openai"].at("body").at("input").at(0).at("content"), "hi");
}

TEST(RedactValues, MasksSecretValuesWhereverTheyAppearInTheConversation) {
  json::object trace = json::parse(R"({"request_anthropic":{"messages":[{"role":"user","content":
      [{"type":"tool_result","content":"OPENAI_API_KEY=sk-live-0123456789 HOME=/root"}]}]},
      "events_openai":[{"delta":"the key sk-live-0123456789 twice: sk-live-0123456789"}],
      "model":"gpt-5.5"})").as_object();
  EXPECT_EQ(redact_values(trace, {"sk-live-0123456789", "", "short"}), 3u);
  const std::string text = json::serialize(trace);
  EXPECT_EQ(text.find("sk-live-0123456789"), std::string::npos);
  EXPECT_NE(text.find("OPENAI_API_KEY=[redacted] HOME=/root"), std::string::npos);
  EXPECT_EQ(trace.at("model"), "gpt-5.5");
}

TEST(RedactValues, MasksSecretValuesInJsonTextAsWritten) {
  std::string body = R"({"messages":[{"role":"user","content":"env: OPENAI_API_KEY=sk-live-0123456789"}]})";
  EXPECT_EQ(redact_values(body, {"sk-live-0123456789", "short"}), 1u);
  EXPECT_EQ(body, R"({"messages":[{"role":"user","content":"env: OPENAI_API_KEY=[redacted]"}]})");
}

TEST(RedactSecrets, IsIdempotent) {
  json::object trace = json::parse(R"({"h": {"authorization": "Bearer x"}, "l": ["Cookie: a=b"]})")
                           .as_object();
  EXPECT_EQ(redact_secrets(trace), 2u);
  json::object once = trace;
  EXPECT_EQ(redact_secrets(trace), 0u);
  EXPECT_EQ(trace, once);
}

// ---------------------------------------------------------------------------------------------
// Writing

TEST(TraceStore, WritesEachTraceToItsCwdDirectoryAsPrivateFiles) {
  TempDir tmp;
  ::umask(022);
  fs::path dir = tmp.path() / "state" / "traces";
  {
    TraceStore store(dir, 500u << 20);
    store.submit("work-main-27c79c21", trace_file_stem(kBaseTime, "req_1"), small_trace("req_1"));
    store.submit("other-0badcafe", trace_file_stem(kBaseTime + 5, "req_2"), small_trace("req_2"));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().written, 2u);
    EXPECT_EQ(store.stats().total_bytes, bytes_under(dir));
  }
  EXPECT_THAT(files_under(dir),
              ElementsAre("other-0badcafe/20261124T105400.128Z-req_2.json",
                          "work-main-27c79c21/20261124T105400.123Z-req_1.json"));
  fs::path file = dir / "work-main-27c79c21" / "20261124T105400.123Z-req_1.json";
  EXPECT_EQ(json::parse(read_file(file)), small_trace("req_1"));
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(dir / "work-main-27c79c21"), 0700u);
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(tmp.path() / "state"), 0700u);
}

TEST(TraceStore, SubmitReturnsBeforeTheDiskIsTouched) {
  TempDir tmp;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  TraceStoreOptions options;
  options.before_write = [released] { released.wait(); };
  TraceStore store(tmp.path(), 0, options);
  auto began = std::chrono::steady_clock::now();
  store.submit("tag", "stem", small_trace("x"));
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(100));
  EXPECT_FALSE(store.flush(std::chrono::milliseconds(50)));
  EXPECT_FALSE(fs::exists(tmp.path() / "tag" / "stem.json"));
  release.set_value();
  EXPECT_TRUE(store.flush());
  EXPECT_TRUE(fs::exists(tmp.path() / "tag" / "stem.json"));
}

TEST(TraceStore, WritesRawMembersAsTheyAreAfterTheTreesOwn) {
  TempDir tmp;
  auto body = std::make_shared<const std::string>(R"({"model": "gpt-5.5", "input": [1, 2.50]})");
  {
    TraceStore store(tmp.path(), 0);
    store.submit("tag", "raw", small_trace("req_r"), {{"request_openai", body}, {"request_anthropic", nullptr}});
    store.submit("tag", "only-raw", json::object{}, {{"request_openai", body}});
  }
  std::string text = read_file(tmp.path() / "tag" / "raw.json");
  EXPECT_THAT(text, HasSubstr(R"(,"request_openai":{"model": "gpt-5.5", "input": [1, 2.50]},"request_anthropic":null}
)"));
  json::object expected = small_trace("req_r");
  expected["request_openai"] = json::parse(*body);
  expected["request_anthropic"] = nullptr;
  EXPECT_EQ(json::parse(text), expected);
  EXPECT_EQ(json::parse(read_file(tmp.path() / "tag" / "only-raw.json")),
            (json::object{{"request_openai", json::parse(*body)}}));
}

TEST(TraceStore, SpooledBodiesGoToDiskAtOnceAndIntoTheirTraceWhenItIsSubmitted) {
  TempDir tmp;
  auto client = std::make_shared<const std::string>(R"({"messages":[{"role":"user","content":"key sk-live-12345678"}]})");
  auto upstream = std::make_shared<const std::string>(R"({"model":"gpt-5.5"})");
  {
    TraceStore store(tmp.path(), 0);
    ASSERT_TRUE(store.spool("req_p", {"request_anthropic", client}, {"sk-live-12345678"}));
    ASSERT_TRUE(store.spool("req_p", {"request_openai", upstream}, {}));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(files_under(tmp.path()).size(), 1u) << "the spool, and no trace yet";
    EXPECT_EQ(mode_of(tmp.path() / ".spool"), 0700u);
    EXPECT_EQ(store.stats().written, 0u);
    store.submit("tag", "p", small_trace("req_p"), {{"request_openai_continued", upstream}}, "req_p");
  }
  EXPECT_THAT(files_under(tmp.path()), ElementsAre("tag/p.json")) << "the spool is gone";
  json::object expected = small_trace("req_p");
  expected["request_anthropic"] = json::parse(R"({"messages":[{"role":"user","content":"key [redacted]"}]})");
  expected["request_openai"] = json::parse(*upstream);
  expected["request_openai_continued"] = json::parse(*upstream);
  EXPECT_EQ(json::parse(read_file(tmp.path() / "tag" / "p.json")), expected);
}

TEST(TraceStore, TheSpoolBecomesTheTraceFileWithTheBodiesFirst) {
  TempDir tmp;
  auto body = std::make_shared<const std::string>(R"({"model":"gpt-5.5"})");
  TraceStore store(tmp.path(), 0);
  ASSERT_TRUE(store.spool("req_s", {"request_openai", body}, {}));
  ASSERT_TRUE(store.flush());
  std::set<std::string> spooled = files_under(tmp.path());
  ASSERT_EQ(spooled.size(), 1u);
  const ino_t spool_inode = inode_of(tmp.path() / *spooled.begin());
  store.submit("tag", "s", small_trace("req_s"), {}, "req_s");
  ASSERT_TRUE(store.flush());
  // Renamed into place: the body was written once, and never copied.
  EXPECT_EQ(inode_of(tmp.path() / "tag" / "s.json"), spool_inode);
  EXPECT_THAT(read_file(tmp.path() / "tag" / "s.json"), StartsWith(R"({"request_openai":{"model":"gpt-5.5"},)"));
  EXPECT_EQ(store.stats().total_bytes, fs::file_size(tmp.path() / "tag" / "s.json"));
}

TEST(TraceStore, ATraceWithNothingSpooledIsWrittenWithoutIt) {
  TempDir tmp;
  {
    TraceStore store(tmp.path(), 0);
    store.submit("tag", "n", json::object{}, {}, "req_never_spooled");
  }
  EXPECT_EQ(json::parse(read_file(tmp.path() / "tag" / "n.json")), json::object{});
}

TEST(TraceStore, SpoolsWhateverTheQueueHoldsAndRemovesTheSpoolOfADroppedTrace) {
  TempDir tmp;
  HeldWriter writer;
  TraceStore store(tmp.path(), 0, writer.options(2));
  auto body = std::make_shared<const std::string>("{}");
  ASSERT_TRUE(store.spool("req_dropped", {"request_openai", body}, {}));
  store.submit("t", "first", small_trace("1"));
  writer.wait_until_writing();  // it spooled, then holds the first trace
  store.submit("t", "second", small_trace("2"));
  EXPECT_TRUE(store.spool("req_late", {"request_openai", body}, {})) << "the turn would hold it anyway";
  store.submit("t", "third", small_trace("3"), {}, "req_late");
  store.submit("t", "dropped", small_trace("4"), {}, "req_dropped");  // two traces queued: no room
  EXPECT_EQ(store.stats().dropped, 1u);
  writer.let_go();
  ASSERT_TRUE(store.flush());
  EXPECT_THAT(files_under(tmp.path()), ElementsAre("t/first.json", "t/second.json", "t/third.json"));
  EXPECT_EQ(json::parse(read_file(tmp.path() / "t" / "third.json")).as_object().at("request_openai"),
            json::object{});
}

TEST(TraceStore, MasksTheTracesSecretsInWhatWasSpooledToo) {
  TempDir tmp;
  auto body = std::make_shared<const std::string>(R"({"input":"the new token tok-renewed-0123456789"})");
  {
    TraceStore store(tmp.path(), 0);
    ASSERT_TRUE(store.spool("req_t", {"request_openai", body}, {"tok-stale-0123456789"}));
    // The token was renewed mid-turn: the trace's secrets hold the new one.
    store.submit("tag", "t", small_trace("req_t"), {}, "req_t", {"tok-renewed-0123456789"});
  }
  std::string text = read_file(tmp.path() / "tag" / "t.json");
  EXPECT_THAT(text, Not(HasSubstr("tok-renewed")));
  EXPECT_THAT(text, HasSubstr("the new token [redacted]"));
}

TEST(TraceStore, SpoolsNoMoreThanItsLimitOfBodiesAtOnce) {
  TempDir tmp;
  HeldWriter writer;
  TraceStoreOptions options = writer.options(4);
  options.max_spooled_bytes = 100;
  TraceStore store(tmp.path(), 0, options);
  store.submit("t", "held", small_trace("0"));
  writer.wait_until_writing();
  auto body = std::make_shared<const std::string>(std::string(60, ' ') + "{}");
  EXPECT_TRUE(store.spool("req_1", {"request_openai", body}, {}));
  EXPECT_FALSE(store.spool("req_2", {"request_openai", body}, {})) << "past 100 bytes waiting: the turn keeps it";
  writer.let_go();
  ASSERT_TRUE(store.flush());
  EXPECT_TRUE(store.spool("req_2", {"request_openai", body}, {})) << "written: room again";
}

TEST(TraceStore, SpoolsACrashLeftBehindGoAfterAnHour) {
  TempDir tmp;
  fs::create_directories(tmp.path() / ".spool");
  for (std::string name : {".req_old-1.spool", ".req_new-1.spool"}) std::ofstream(tmp.path() / ".spool" / name) << ",";
  fs::last_write_time(tmp.path() / ".spool" / ".req_old-1.spool",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  {
    TraceStore store(tmp.path(), 0);
    ASSERT_TRUE(store.flush());
  }
  EXPECT_THAT(files_under(tmp.path()), ElementsAre(".spool/.req_new-1.spool"));
}

TEST(TraceStore, RemovesSecretsBeforeWriting) {
  TempDir tmp;
  json::object trace = small_trace("req_s");
  trace["request_openai"] = json::object{
      {"headers", json::object{{"Authorization", "Bearer sk-proj-SECRET"}}}};
  {
    TraceStore store(tmp.path(), 0);
    store.submit("tag", "s", trace);
  }
  std::string text = read_file(tmp.path() / "tag" / "s.json");
  EXPECT_THAT(text, Not(HasSubstr("sk-proj-SECRET")));
  EXPECT_THAT(text, HasSubstr("[redacted]"));
}

TEST(TraceStore, KeepsUnsafeNamesInsideItsDirectory) {
  TempDir tmp;
  fs::path dir = tmp.path() / "traces";
  {
    TraceStore store(dir, 0);
    store.submit("../escape", "../../x", small_trace("a"));
    store.submit(".hidden", "a/b", small_trace("b"));
  }
  EXPECT_THAT(files_under(tmp.path()),
              ElementsAre("traces/_.._escape/_.._.._x.json", "traces/_.hidden/a_b.json"));
}

TEST(TraceStore, ReadersNeverSeeAPartialFile) {
  TempDir tmp;
  std::atomic<bool> done{false};
  std::atomic<int> checked{0};
  std::atomic<int> broken{0};
  std::thread reader([&] {
    while (!done) {
      std::error_code ec;
      for (fs::recursive_directory_iterator it(tmp.path(), ec), end; !ec && it != end;
           it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (!it->is_regular_file(ec) || name.starts_with('.')) continue;
        std::string text = read_file(it->path());
        if (text.empty() && !fs::exists(it->path())) continue;
        json::error_code parse_ec;
        json::parse(text, parse_ec);
        ++checked;
        if (parse_ec) ++broken;
      }
    }
  });
  {
    TraceStore store(tmp.path(), 0);
    for (int i = 0; i < 60; ++i)
      store.submit("tag", trace_file_stem(kBaseTime + i, "req_" + std::to_string(i)),
                   trace_of_size("req_" + std::to_string(i), 256 * 1024));
    ASSERT_TRUE(store.flush(std::chrono::seconds(30)));
  }
  done = true;
  reader.join();
  EXPECT_GT(checked.load(), 0);
  EXPECT_EQ(broken.load(), 0);
  EXPECT_EQ(files_under(tmp.path()).size(), 60u);  // and no temp file left behind
}

TEST(TraceStore, PrunesTheOldestFilesAcrossCwdsToStayUnderTheLimit) {
  TempDir tmp;
  constexpr std::size_t kFile = 1000;
  constexpr std::uint64_t kMax = 10 * kFile;
  const char* tags[] = {"a-00000001", "b-00000002", "c-00000003"};
  TraceStore store(tmp.path(), kMax);
  for (int i = 0; i < 30; ++i) {
    std::string id = "req_" + std::to_string(100 + i);
    store.submit(tags[i % 3], trace_file_stem(kBaseTime + i * 1000, id), trace_of_size(id, kFile));
    ASSERT_TRUE(store.flush());
    EXPECT_LE(bytes_under(tmp.path()), kMax) << "after trace " << i;
  }
  TraceStoreStats stats = store.stats();
  EXPECT_EQ(stats.written, 30u);
  EXPECT_EQ(stats.total_bytes, bytes_under(tmp.path()));
  EXPECT_EQ(stats.pruned, 30u - files_under(tmp.path()).size());

  // What is left is the newest, whatever directory they are in.
  std::vector<TraceFileInfo> left = list_traces(tmp.path(), 100);
  ASSERT_FALSE(left.empty());
  EXPECT_GE(left.size(), 8u);
  for (std::size_t k = 0; k < left.size(); ++k)
    EXPECT_THAT(left[k].stem, HasSubstr("req_" + std::to_string(130 - left.size() + k)));
}

TEST(TraceStore, CountsAndPrunesTheFilesAlreadyThereWhenItStarts) {
  TempDir tmp;
  // Written by an earlier run (or another process): 12 files of 1000 bytes.
  {
    TraceStore earlier(tmp.path(), 0);
    for (int i = 0; i < 12; ++i) {
      std::string id = "old_" + std::to_string(10 + i);
      earlier.submit(i < 6 ? "x-1" : "y-2", trace_file_stem(kBaseTime + i, id),
                     trace_of_size(id, 1000));
    }
  }
  ASSERT_EQ(bytes_under(tmp.path()), 12000u);
  {
    TraceStore unlimited(tmp.path(), 0);
    ASSERT_TRUE(unlimited.flush());
    EXPECT_EQ(unlimited.stats().total_bytes, 12000u);
  }
  TraceStore store(tmp.path(), 5000);
  ASSERT_TRUE(store.flush());
  EXPECT_LE(bytes_under(tmp.path()), 4500u);  // down to 90% of the limit
  EXPECT_EQ(store.stats().total_bytes, bytes_under(tmp.path()));
  std::vector<TraceFileInfo> left = list_traces(tmp.path(), 100);
  ASSERT_EQ(left.size(), 4u);
  EXPECT_THAT(left.front().stem, HasSubstr("old_18"));
  EXPECT_THAT(left.back().stem, HasSubstr("old_21"));
}

TEST(TraceStore, NeverRemovesTheTraceItJustWrote) {
  TempDir tmp;
  TraceStore store(tmp.path(), 1000);
  store.submit("t", trace_file_stem(kBaseTime, "small"), trace_of_size("small", 500));
  store.submit("t", trace_file_stem(kBaseTime + 1, "huge"), trace_of_size("huge", 5000));
  ASSERT_TRUE(store.flush());
  EXPECT_THAT(files_under(tmp.path()), ElementsAre("t/20261124T105400.124Z-huge.json"));
}

TEST(TraceStore, DropsTheNewestTracesWhenTheQueueIsFull) {
  TempDir tmp;
  HeldWriter writer;
  TraceStore store(tmp.path(), 0, writer.options(4));
  store.submit("t", "s0", small_trace("0"));
  writer.wait_until_writing();  // it holds trace 0; the queue is empty
  for (int i = 1; i <= 7; ++i) store.submit("t", "s" + std::to_string(i), small_trace("x"));
  EXPECT_EQ(store.stats().dropped, 3u);
  writer.let_go();
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(store.stats().written, 5u);
  EXPECT_THAT(files_under(tmp.path()),
              ElementsAre("t/s0.json", "t/s1.json", "t/s2.json", "t/s3.json", "t/s4.json"));
}

TEST(TraceStore, DrainsItsQueueWhenDestroyed) {
  TempDir tmp;
  {
    TraceStore store(tmp.path(), 0);
    for (int i = 0; i < 100; ++i)
      store.submit("t", "s" + std::to_string(i), small_trace(std::to_string(i)));
  }
  EXPECT_EQ(files_under(tmp.path()).size(), 100u);
}

TEST(TraceStore, GivesUpDrainingAfterTheTimeoutAndCountsWhatItDropped) {
  TempDir tmp;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread releaser;
  TraceStoreStats stats;
  {
    TraceStoreOptions options;
    options.drain_timeout = std::chrono::milliseconds(100);
    options.before_write = [released] { released.wait(); };
    auto store = std::make_unique<TraceStore>(tmp.path(), 0, options);
    for (int i = 0; i < 5; ++i) store->submit("t", "s" + std::to_string(i), small_trace("x"));
    releaser = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      release.set_value();
    });
    auto began = std::chrono::steady_clock::now();
    store.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  }
  releaser.join();
  // The one being written when the time ran out is finished; the four queued are not.
  EXPECT_EQ(files_under(tmp.path()).size(), 1u);
}

TEST(TraceStore, ReportsWritesThatFail) {
  TempDir tmp;
  fs::path blocker = tmp.path() / "file";
  std::ofstream(blocker) << "x";
  std::vector<std::string> errors;
  std::mutex mutex;
  TraceStoreOptions options;
  options.on_error = [&](const std::string& e) {
    std::lock_guard lock(mutex);
    errors.push_back(e);
  };
  TraceStore store(blocker / "traces", 0, options);
  store.submit("t", "s", small_trace("x"));
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(store.stats().failed, 1u);
  EXPECT_EQ(store.stats().written, 0u);
  std::lock_guard lock(mutex);
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors.back(), HasSubstr((blocker / "traces").string()));
}

// ---------------------------------------------------------------------------------------------
// Links and other users: nothing is written or removed outside the trace directory

// A directory as the store itself makes one (0700), so that only what a test plants is amiss.
void make_private_directory(const fs::path& dir) {
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::owner_all);
}

// What a store reported, for a test to look at.
class Reports {
 public:
  TraceStoreOptions options() {
    TraceStoreOptions options;
    options.on_error = [this](const std::string& message) {
      std::lock_guard lock(mutex_);
      lines_.push_back(message);
    };
    return options;
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST(TraceStore, ALinkPlantedAsACwdDirectoryIsRefusedOnceAndNothingLandsWhereItPoints) {
  TempDir tmp;
  fs::path dir = tmp.path() / "traces";
  fs::path outside = tmp.path() / "outside";
  make_private_directory(dir);
  make_private_directory(outside);
  fs::create_directory_symlink(outside, dir / "victim-00000001");
  Reports reports;
  {
    TraceStore store(dir, 0, reports.options());
    store.submit("victim-00000001", "one", small_trace("1"));
    store.submit("victim-00000001", "two", small_trace("2"));
    store.submit("other-00000002", "three", small_trace("3"));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().failed, 2u);
    EXPECT_EQ(store.stats().written, 1u);
  }
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_TRUE(fs::is_symlink(dir / "victim-00000001"));
  EXPECT_THAT(files_under(dir), ElementsAre("other-00000002/three.json"));
  std::vector<std::string> lines = reports.lines();
  ASSERT_EQ(lines.size(), 1u) << "reported once, not for every trace";
  EXPECT_THAT(lines[0], HasSubstr((dir / "victim-00000001").string() + " is a symbolic link"));
}

TEST(TraceStore, ALinkPlantedAsATraceFileIsLeftAloneAndThatTraceRefused) {
  TempDir tmp;
  fs::path dir = tmp.path() / "traces";
  make_private_directory(dir);
  make_private_directory(dir / "tag");
  fs::path precious = tmp.path() / "precious.txt";
  std::ofstream(precious) << "keep me";
  std::string stem = trace_file_stem(kBaseTime, "req_x");
  fs::create_symlink(precious, dir / "tag" / (stem + ".json"));
  Reports reports;
  {
    TraceStore store(dir, 0, reports.options());
    store.submit("tag", stem, small_trace("req_x"));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().failed, 1u);
  }
  EXPECT_EQ(read_file(precious), "keep me");
  EXPECT_TRUE(fs::is_symlink(dir / "tag" / (stem + ".json")));
  EXPECT_THAT(entries_in(dir / "tag"), ElementsAre(stem + ".json"));  // no temp file either
  EXPECT_THAT(reports.lines(),
              ElementsAre(HasSubstr("is a symbolic link: refusing to replace it")));
}

TEST(TraceStore, ALinkPlantedWhereASpooledTraceGoesRefusesItAndRemovesTheSpool) {
  TempDir tmp;
  fs::path precious = tmp.path() / "precious.txt";
  std::ofstream(precious) << "keep me";
  fs::path dir = tmp.path() / "traces";
  make_private_directory(dir);
  make_private_directory(dir / "tag");
  fs::create_symlink(precious, dir / "tag" / "s.json");
  auto body = std::make_shared<const std::string>(R"({"model":"gpt-5.5"})");
  {
    TraceStore store(dir, 0);
    ASSERT_TRUE(store.spool("req_s", {"request_openai", body}, {}));
    store.submit("tag", "s", small_trace("req_s"), {}, "req_s");
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().failed, 1u);
  }
  EXPECT_EQ(read_file(precious), "keep me");
  EXPECT_THAT(entries_in(dir / ".spool"), ElementsAre()) << "no spool left";
  EXPECT_TRUE(fs::is_symlink(dir / "tag" / "s.json"));
}

TEST(TraceStore, ALinkAsTheTraceDirectoryTurnsTracesOffForTheRun) {
  TempDir tmp;
  fs::path outside = tmp.path() / "outside";
  fs::create_directories(outside);
  fs::path dir = tmp.path() / "traces";
  fs::create_directory_symlink(outside, dir);
  // With a trailing slash the kernel would follow the link even under O_NOFOLLOW.
  for (const fs::path& given : {dir, fs::path(dir.string() + "/")}) {
    Reports reports;
    {
      TraceStore store(given, 0, reports.options());
      store.submit("tag", "a", small_trace("a"));
      store.submit("tag", "b", small_trace("b"));
      ASSERT_TRUE(store.flush());
      EXPECT_EQ(store.stats().failed, 2u) << given;
    }
    EXPECT_TRUE(fs::is_empty(outside)) << given;
    std::vector<std::string> lines = reports.lines();
    ASSERT_EQ(lines.size(), 1u) << given;
    EXPECT_THAT(lines[0], HasSubstr(dir.string() + " is a symbolic link"));
    EXPECT_THAT(lines[0], HasSubstr("traces are off for this run"));
  }
}

TEST(TraceStore, ASpoolDirectoryThatIsALinkTurnsSpoolingOffAndSaysSo) {
  TempDir tmp;
  fs::path outside = tmp.path() / "outside";
  fs::create_directories(outside);
  fs::path dir = tmp.path() / "traces";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);  // (else its tightening is reported too)
  fs::create_directory_symlink(outside, dir / ".spool");
  Reports reports;
  TraceStore store(dir, 0, reports.options());
  auto body = std::make_shared<const std::string>("{}");
  EXPECT_TRUE(store.spool("req_1", {"request_openai", body}, {}));
  ASSERT_TRUE(store.flush());
  EXPECT_FALSE(store.spool("req_2", {"request_openai", body}, {})) << "the turns keep their bodies now";
  store.submit("tag", "b", small_trace("req_2"), {{"request_openai", body}}, "req_2");
  ASSERT_TRUE(store.flush());
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_EQ(json::parse(read_file(dir / "tag" / "b.json")).as_object().at("request_openai"), json::object{});
  std::vector<std::string> lines = reports.lines();
  ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
  EXPECT_THAT(lines[0], HasSubstr("request bodies are kept in memory instead"));
}

TEST(TraceStore, DirectoriesChangedBetweenTracesAreCheckedAgain) {
  TempDir tmp;
  fs::path dir = tmp.path() / "traces";
  fs::path outside = tmp.path() / "outside";
  fs::create_directories(outside);
  Reports reports;
  TraceStore store(dir, 0, reports.options());
  store.submit("tag", "a", small_trace("a"));
  ASSERT_TRUE(store.flush());

  // Opened to others while held: made private again, and said.
  fs::permissions(dir / "tag", fs::perms(0755));
  store.submit("tag", "b", small_trace("b"));
  ASSERT_TRUE(store.flush());
  EXPECT_EQ(mode_of(dir / "tag"), 0700u);
  EXPECT_THAT(reports.lines(), Contains(HasSubstr("(mode 0755): tightened to 0700")));

  // Removed while held: made again, not written into the removed one.
  fs::remove_all(dir);
  store.submit("tag", "c", small_trace("c"));
  ASSERT_TRUE(store.flush());
  EXPECT_THAT(files_under(dir), ElementsAre("tag/c.json"));

  // Swapped for a link while held: refused, nothing written through it.
  fs::remove_all(dir / "tag");
  fs::create_directory_symlink(outside, dir / "tag");
  store.submit("tag", "d", small_trace("d"));
  ASSERT_TRUE(store.flush());
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_EQ(store.stats().written, 3u);
}

TEST(TraceStore, ALaxTraceDirectoryOfOursIsMadePrivateWithAWarning) {
  TempDir tmp;
  fs::path dir = tmp.path() / "traces";
  fs::create_directories(dir / "tag");
  fs::permissions(dir, fs::perms::all);  // 0777
  fs::permissions(dir / "tag", fs::perms(0755));
  Reports reports;
  {
    TraceStore store(dir, 0, reports.options());
    store.submit("tag", "s", small_trace("s"));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().written, 1u);
  }
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir / "tag"), 0700u);
  EXPECT_EQ(mode_of(dir / "tag" / "s.json"), 0600u);
  EXPECT_THAT(reports.lines(),
              ElementsAre(HasSubstr(dir.string() + " was open to other users (mode 0777): "
                                                   "tightened to 0700"),
                          HasSubstr((dir / "tag").string() + " was open to other users (mode "
                                                             "0755): tightened to 0700")));
}

// CLAUDEGPT_TRACE_DIR names a directory dedicated to traces: it is ours to make private, but
// the user's folders above it are not.
TEST(TraceStore, AnExplicitTraceDirectoryIsMadePrivateAndTheFoldersAboveItAreLeftAlone) {
  TempDir tmp;
  fs::path home = tmp.path() / "home";
  fs::path existing = home / "work" / "traces";
  fs::create_directories(existing);
  for (const fs::path& dir : {home, home / "work", existing}) fs::permissions(dir, fs::perms(0755));
  fs::path created = home / "work" / "new" / "traces";  // its parent "new" is missing too
  for (const fs::path& dir : {existing, created}) {
    Reports reports;
    {
      TraceStore store(dir, 0, reports.options());
      store.submit("tag", "s", small_trace("s"));
      ASSERT_TRUE(store.flush());
      EXPECT_EQ(store.stats().written, 1u) << dir;
    }
    EXPECT_EQ(mode_of(dir), 0700u) << dir;
    EXPECT_EQ(mode_of(dir / "tag"), 0700u) << dir;
  }
  EXPECT_EQ(mode_of(home), 0755u);
  EXPECT_EQ(mode_of(home / "work"), 0755u);
  EXPECT_EQ(mode_of(home / "work" / "new"), 0700u);  // created by claudegpt
}

TEST(TraceStore, ATraceDirectoryOfAnotherUserIsRefusedAndLeftAsItIs) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a directory to another user takes root";
  TempDir tmp;
  fs::path dir = tmp.path() / "traces";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  Reports reports;
  {
    TraceStore store(dir, 0, reports.options());
    store.submit("tag", "s", small_trace("s"));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().failed, 1u);
  }
  EXPECT_TRUE(fs::is_empty(dir));
  EXPECT_EQ(mode_of(dir), 0777u);
  EXPECT_THAT(reports.lines(), ElementsAre(AllOf(HasSubstr(dir.string() + " is owned by uid 65534"),
                                                 HasSubstr("traces are off for this run"))));
}

TEST(TraceStore, ACwdDirectoryOfAnotherUserIsRefusedAndTheOthersStillWritten) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a directory to another user takes root";
  TempDir tmp;
  fs::create_directories(tmp.path() / "theirs");
  ASSERT_EQ(::chown((tmp.path() / "theirs").c_str(), 65534, 65534), 0);
  Reports reports;
  {
    TraceStore store(tmp.path(), 0, reports.options());
    store.submit("theirs", "a", small_trace("a"));
    store.submit("ours", "b", small_trace("b"));
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().failed, 1u);
    EXPECT_EQ(store.stats().written, 1u);
  }
  EXPECT_THAT(files_under(tmp.path()), ElementsAre("ours/b.json"));
  EXPECT_THAT(reports.lines(), ElementsAre(HasSubstr("theirs is owned by uid 65534")));
}

TEST(TraceStore, PruningNeverRemovesThroughALink) {
  TempDir tmp;
  fs::path dir = tmp.path() / "traces";
  fs::path outside = tmp.path() / "outside";
  {  // Five old traces of 1000 bytes...
    TraceStore earlier(dir, 0);
    for (int i = 0; i < 5; ++i) {
      std::string id = "old_" + std::to_string(i);
      earlier.submit("old-1", trace_file_stem(kBaseTime + i, id), trace_of_size(id, 1000));
    }
  }
  // ...and files of the same names outside, which a link planted from the start points to.
  fs::copy(dir / "old-1", outside);
  fs::create_directory_symlink(outside, dir / "planted-2");
  ASSERT_EQ(entries_in(outside).size(), 5u);

  // Between pruning's scan and its removals, the cwd directory is swapped for a link too.
  Reports reports;
  TraceStoreOptions options = reports.options();
  bool swapped = false;
  options.before_prune_removes = [&] {
    if (std::exchange(swapped, true)) return;
    fs::rename(dir / "old-1", tmp.path() / "moved-away");
    fs::create_directory_symlink(outside, dir / "old-1");
  };
  {
    TraceStore store(dir, 3000, options);  // 5000 bytes there: pruning starts at once
    ASSERT_TRUE(store.flush());
    EXPECT_EQ(store.stats().pruned, 0u);
  }
  ASSERT_TRUE(swapped);
  EXPECT_EQ(entries_in(outside).size(), 5u);
  EXPECT_EQ(entries_in(tmp.path() / "moved-away").size(), 5u);
  EXPECT_THAT(reports.lines(), Each(HasSubstr("cannot remove it")));
  EXPECT_TRUE(list_traces(dir, 100).empty()) << "listing does not enter links either";
}

// ---------------------------------------------------------------------------------------------
// Reading back

TEST(TraceFiles, ListTheNewestAcrossCwdsOldestFirst) {
  TempDir tmp;
  {
    TraceStore store(tmp.path(), 0);
    store.submit("b-2", trace_file_stem(kBaseTime + 2, "req_c"), small_trace("req_c"));
    store.submit("a-1", trace_file_stem(kBaseTime + 1, "req_b"), small_trace("req_b"));
    store.submit("b-2", trace_file_stem(kBaseTime + 0, "req_a"), small_trace("req_a"));
    store.submit("a-1", trace_file_stem(kBaseTime + 3, "req_d"), small_trace("req_d"));
  }
  std::vector<TraceFileInfo> last = list_traces(tmp.path(), 2);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].stem, "20261124T105400.125Z-req_c");
  EXPECT_EQ(last[0].cwd_tag, "b-2");
  EXPECT_EQ(last[1].stem, "20261124T105400.126Z-req_d");
  EXPECT_EQ(last[1].path, tmp.path() / "a-1" / "20261124T105400.126Z-req_d.json");
  EXPECT_EQ(last[1].bytes, fs::file_size(last[1].path));
  EXPECT_EQ(list_traces(tmp.path(), 10).size(), 4u);
  EXPECT_TRUE(list_traces(tmp.path() / "missing", 10).empty());
}

TEST(TraceFiles, ReadOneByIdWhateverItsCwd) {
  TempDir tmp;
  {
    TraceStore store(tmp.path(), 0);
    store.submit("a-1", trace_file_stem(kBaseTime, "req_abc"), small_trace("req_abc"));
    store.submit("b-2", trace_file_stem(kBaseTime, "req_xabc"), small_trace("req_xabc"));
  }
  std::optional<json::object> trace = read_trace(tmp.path(), "req_abc");
  ASSERT_TRUE(trace);
  EXPECT_EQ(*trace, small_trace("req_abc"));
  EXPECT_EQ(find_trace(tmp.path(), "req_xabc")->cwd_tag, "b-2");
  EXPECT_FALSE(read_trace(tmp.path(), "abc"));  // ids match whole, not by their end
  EXPECT_FALSE(read_trace(tmp.path(), "req_nope"));
  EXPECT_FALSE(read_trace(tmp.path() / "missing", "req_abc"));
}

TEST(TraceFiles, ABrokenTraceFileIsAnErrorNamingIt) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "t");
  fs::path file = tmp.path() / "t" / (trace_file_stem(kBaseTime, "req_bad") + ".json");
  std::ofstream(file) << "{\"truncated\": ";
  try {
    read_trace(tmp.path(), "req_bad");
    FAIL() << "read a broken trace";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(file.string()));
  }
}

}  // namespace
}  // namespace claudegpt
