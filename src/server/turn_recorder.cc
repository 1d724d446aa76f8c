#include "server/turn_recorder.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "ledger/conversation_text.h"
#include "ledger/prices.h"
#include "ledger/trace_store.h"
#include "ledger/usage_ledger.h"
#include "support/log.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

// How much of a session's first prompt its ledger row keeps: what a report shows, with room
// to spare; not the conversation (the traces hold that).
constexpr std::size_t kFirstPromptChars = 100;

std::string iso_utc(std::int64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(time_ms % 1000));
  return text;
}

// A body as it was sent, with the secret values masked: copied only when it shows one.
std::shared_ptr<const std::string> masked(const std::shared_ptr<const std::string>& body,
                                          const std::vector<std::string>& secrets) {
  if (!body) return body;
  std::string text = *body;  // (searched in the copy: replace_all wants one anyway)
  if (redact_values(text, secrets) == 0) return body;
  return std::make_shared<const std::string>(std::move(text));
}

// The request bodies, as JSON text (see RawJsonMember): not parsed again for the trace.
std::vector<RawJsonMember> trace_bodies(const TurnTrace& t) {
  std::vector<RawJsonMember> raw;
  if (t.request_anthropic || t.spool_id.empty())
    raw.push_back({"request_anthropic", masked(t.request_anthropic, t.secrets)});
  const std::size_t first_continued = t.request_openai_spooled ? 0 : 1;
  if (!t.request_openai_spooled)
    raw.push_back({"request_openai", t.request_openai.empty() ? nullptr : masked(t.request_openai.front(), t.secrets)});
  if (t.request_openai.size() > first_continued) {  // the turn went on after server-side tool rounds
    std::string continued = "[";
    for (std::size_t i = first_continued; i < t.request_openai.size(); ++i)
      continued.append(i > first_continued ? "," : "").append(*masked(t.request_openai[i], t.secrets));
    continued += ']';
    raw.push_back({"request_openai_continued", std::make_shared<const std::string>(std::move(continued))});
  }
  return raw;
}

json::value optional_ms(std::int64_t ms) { return ms < 0 ? json::value(nullptr) : json::value(ms); }

json::object trace_json(const TurnRecord& r, TurnTrace& t) {
  json::object trace;
  trace["id"] = r.id;
  trace["time"] = iso_utc(r.time_ms);
  trace["session_id"] = r.session_id;
  trace["cwd_tag"] = r.cwd_tag;
  trace["provider"] = r.provider;
  trace["client_model"] = r.client_model;
  trace["model"] = r.upstream_model;
  trace["deployment"] = t.deployment.empty() ? json::value(nullptr) : json::value(t.deployment);
  trace["tier"] = r.tier;
  trace["effort"] = json::object{{"value", r.effort}, {"reason", r.effort_reason}};
  trace["timing"] = json::object{{"received", 0},
                                 {"upstream_first_byte", optional_ms(r.upstream_first_byte_ms)},
                                 {"first_client_byte", optional_ms(r.client_first_byte_ms)},
                                 {"done", optional_ms(r.done_ms)}};
  trace["usage"] = json::object{{"input_tokens", r.input_tokens},
                                {"cached_tokens", r.cached_tokens},
                                {"output_tokens", r.output_tokens},
                                {"reasoning_tokens", r.reasoning_tokens},
                                {"web_search_requests", r.web_searches},
                                {"web_fetch_requests", r.web_fetches}};
  // Cache writes only when there were some (GPT-5.6 and later), beside the cached reads.
  if (r.cache_write_tokens > 0)
    trace["usage"].as_object().emplace("cache_write_tokens", r.cache_write_tokens);
  trace["cost_usd"] = r.cost_usd ? json::value(*r.cost_usd) : json::value(nullptr);
  trace["chain_rounds"] = r.chain_rounds;
  json::array not_forwarded;
  for (const std::string& field : t.not_forwarded) not_forwarded.emplace_back(field);
  trace["not_forwarded"] = std::move(not_forwarded);
  if (!t.degradations.empty()) {
    json::array degradations;
    for (const std::string& what : t.degradations) degradations.emplace_back(what);
    trace["degradations"] = std::move(degradations);
  }
  trace["tool_filter_saved_tokens"] = t.filtered_tool_tokens;
  trace["stop_reason"] = r.stop_reason.empty() ? json::value(nullptr) : json::value(r.stop_reason);
  trace["error"] = r.error_type.empty()
                       ? json::value(nullptr)
                       : json::value(json::object{{"type", r.error_type}, {"message", t.error_message}});
  trace["events_openai"] = std::move(t.events_openai);
  if (t.events_left_out > 0) trace["events_openai_left_out"] = t.events_left_out;
  trace["response_anthropic"] = std::move(t.response_anthropic);
  if (t.response_deltas_left_out > 0) trace["response_anthropic_deltas_left_out"] = t.response_deltas_left_out;
  return trace;
}

}  // namespace

// The price table: built in, then prices.toml, then CLAUDEGPT_PRICE_* from the environment.
PriceTable load_prices(const Settings& settings) {
  PriceTable prices = PriceTable::built_in();
  if (!settings.prices_file.empty())
    if (std::optional<PriceFile> file = read_price_file(settings.prices_file)) prices.apply(*file);
  std::map<std::string, std::string> keys;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view line(*entry);
    if (!line.starts_with(kEnvPricePrefix)) continue;
    std::size_t equals = line.find('=');
    if (equals != std::string_view::npos) keys.emplace(line.substr(0, equals), line.substr(equals + 1));
  }
  prices.apply_env(keys);
  return prices;
}

struct TurnRecorder::Impl {
  const Settings& settings;
  PriceTable prices;
  std::unique_ptr<TraceStore> traces;
  std::unique_ptr<UsageLedger> ledger;  // opened on the worker, at the first turn
  std::atomic<bool> ledger_failed = false;  // read by session_opening_wanted too
  boost::asio::thread_pool worker{1};

  explicit Impl(const Settings& s) : settings(s), prices(load_prices(s)) {
    if (settings.trace && !settings.trace_dir.empty()) {
      TraceStoreOptions options;
      options.on_error = [](const std::string& error) { log_warn("trace: ", error); };
      traces = std::make_unique<TraceStore>(settings.trace_dir, settings.trace_max_mb * 1024 * 1024,
                                            std::move(options));
    }
  }

  // Sessions whose opening a request of this process has found (session_opening_found),
  // shared by the I/O thread that asks and the one that tells. Cleared when it grows large (a
  // long-running `serve`): a session then gets one more such row, which costs nothing.
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex sessions_mutex;
  std::unordered_set<std::string, StringHash, std::equal_to<>> described_sessions;
  static constexpr std::size_t kMaxDescribedSessions = 10'000;

  // Each session's folder, as its requests that name a working directory gave it
  // (session_folder); cleared when it grows large, as described_sessions is.
  mutable std::mutex folders_mutex;
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> session_folders;
  static constexpr std::size_t kMaxSessionFolders = 10'000;

  std::string known_folder(std::string_view session_id) const {
    if (session_id.empty()) return {};
    std::lock_guard lock(folders_mutex);
    auto found = session_folders.find(session_id);
    return found == session_folders.end() ? std::string() : found->second;
  }

  // The session's opening as its row keeps it: a key the user pasted into the prompt stays out
  // of the ledger, as out of the traces, masked in the whole text before it is cut.
  static void keep_opening(TurnRecord& record, const std::vector<std::string>& secrets) {
    if (record.first_prompt.empty()) return;
    redact_values(record.first_prompt, secrets);
    record.first_prompt = text_opening(record.first_prompt, kFirstPromptChars);
    if (record.first_prompt.empty()) record.cwd.clear();
  }

  void write(TurnRecord record, TurnTrace trace) {
    record.cost_usd = prices.cost_usd(record);
    if (record.cwd_tag == kUnknownFolder)  // its session's folder may be known by now
      if (std::string folder = known_folder(record.session_id); !folder.empty()) record.cwd_tag = std::move(folder);
    keep_opening(record, trace.secrets);
    if (settings.ledger && !settings.ledger_path.empty() && !ledger_failed) {
      try {
        if (!ledger)
          ledger = std::make_unique<UsageLedger>(settings.ledger_path, [](const std::string& warning) {
            log_warn("usage ledger: ", warning);
          });
      } catch (const std::exception& error) {  // cannot be opened: it stays off
        log_warn("usage ledger: ", error.what(), "; turns are not recorded in it");
        ledger_failed = true;
      }
      try {
        if (ledger) ledger->append(record);
      } catch (const std::exception& error) {  // this row is lost; the next may well land
        log_warn("usage ledger: turn ", record.id, " not recorded: ", error.what());
      }
    }
    // (Rows of their own, such as extractions, have no trace.)
    if (traces && (trace.request_anthropic || !trace.spool_id.empty())) {
      json::object document = trace_json(record, trace);
      redact_values(document, trace.secrets);
      std::vector<RawJsonMember> bodies = trace_bodies(trace);
      traces->submit(record.cwd_tag, trace_file_stem(record.time_ms, record.id), std::move(document),
                     std::move(bodies), std::move(trace.spool_id), std::move(trace.secrets));
    }
  }
};

TurnRecorder::TurnRecorder(const Settings& settings) : impl_(std::make_unique<Impl>(settings)) {}

TurnRecorder::~TurnRecorder() {
  flush();
  impl_->worker.join();
}

bool TurnRecorder::tracing() const { return impl_->traces != nullptr; }

bool TurnRecorder::session_opening_wanted(std::string_view session_id) const {
  const Impl& d = *impl_;
  if (!d.settings.ledger || d.settings.ledger_path.empty() || d.ledger_failed) return false;
  std::lock_guard lock(d.sessions_mutex);
  return !d.described_sessions.contains(session_id);
}

void TurnRecorder::session_opening_found(std::string_view session_id) {
  Impl& d = *impl_;
  std::lock_guard lock(d.sessions_mutex);
  if (d.described_sessions.size() >= Impl::kMaxDescribedSessions) d.described_sessions.clear();
  d.described_sessions.emplace(session_id);
}

std::string TurnRecorder::session_folder(std::string_view session_id, std::string cwd_tag) {
  Impl& d = *impl_;
  if (cwd_tag.empty()) {
    std::string folder = d.known_folder(session_id);
    return folder.empty() ? std::string(kUnknownFolder) : folder;
  }
  if (!session_id.empty()) {
    std::lock_guard lock(d.folders_mutex);
    if (d.session_folders.size() >= Impl::kMaxSessionFolders && !d.session_folders.contains(session_id))
      d.session_folders.clear();
    d.session_folders.insert_or_assign(std::string(session_id), cwd_tag);
  }
  return cwd_tag;
}

bool TurnRecorder::spool(const std::string& spool_id, std::string key, std::shared_ptr<const std::string> body,
                         std::vector<std::string> secrets) {
  return impl_->traces && impl_->traces->spool(spool_id, {std::move(key), std::move(body)}, std::move(secrets));
}

void TurnRecorder::record(TurnRecord record, TurnTrace trace) {
  if (!impl_->traces && !impl_->settings.ledger) return;
  boost::asio::post(impl_->worker, [impl = impl_.get(), record = std::move(record),
                                    trace = std::move(trace)]() mutable {
    impl->write(std::move(record), std::move(trace));
  });
}

void TurnRecorder::flush() {
  std::promise<void> done;
  boost::asio::post(impl_->worker, [&done] { done.set_value(); });
  done.get_future().wait();
  if (impl_->traces) impl_->traces->flush();
}

}  // namespace claudegpt
