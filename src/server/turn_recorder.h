// Where a finished turn goes: a trace file (ledger/trace_store.h) and a usage ledger row
// (ledger/usage_ledger.h). The relay hands over the raw pieces and returns at once; a
// background thread prices the turn, assembles the trace JSON and writes both, so the client
// never waits on the disk. A ledger or trace directory that cannot be opened is logged once and
// then that half is off: recording never fails a turn. What the two warn of (a directory open
// to other users) is logged too.
//
// One ledger row per session and process also tells what the session is about: its working
// directory and the opening of its first prompt (TurnRecord::cwd, first_prompt), traces on or
// off. The endpoint finds them in the request it parses for the translation, while the ledger
// still waits for them (session_opening_wanted), so once per session rather than at every turn;
// the recorder masks the secret values in that prompt and keeps its opening. Internal to
// src/server/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "config/settings.h"
#include "ledger/turn_record.h"

namespace claudegpt {

// The raw material of one turn's trace. Bodies are kept as the bytes that crossed the wire
// and parsed only on the recorder's thread; those spooled when the turn started
// (TurnRecorder::spool) are on disk already, and not here.
struct TurnTrace {
  std::string spool_id;                                  // the turn's spool, if it has one
  std::shared_ptr<const std::string> request_anthropic;  // the client's body, unless spooled
  // Each upstream request, but the first when it was spooled (request_openai_spooled).
  std::vector<std::shared_ptr<const std::string>> request_openai;
  bool request_openai_spooled = false;
  boost::json::array events_openai;                                // the upstream's events
  std::int64_t events_left_out = 0;  // events past the trace's budget, counted only
  boost::json::object response_anthropic;                          // the message as sent
  std::int64_t response_deltas_left_out = 0;  // its deltas past the trace's budget, counted only
  std::string deployment;                                          // Azure: the deployment
  std::string error_message;                                       // when it failed
  std::vector<std::string> not_forwarded;  // request fields the upstream did not get
  std::vector<std::string> degradations;   // what was left out, on a retry, to get an answer
  std::int64_t filtered_tool_tokens = 0;   // what the tool filters saved (o200k tokens)
  // Secret values in use (keys, tokens): replaced wherever they appear in the trace, even
  // inside the conversation (a tool that printed the environment), and in the first prompt a
  // ledger row keeps (TurnRecord::first_prompt). Given with the trace, or with such a row.
  std::vector<std::string> secrets;
};

class TurnRecorder {
 public:
  // Prices come from the built-in table, settings.prices_file when it exists, and the
  // CLAUDEGPT_PRICE_* variables (ledger/prices.h). Throws PriceFileError (file and line) when
  // one of those is malformed, or the file cannot be read or is over 1 MiB: wrong costs are
  // worse than no start.
  explicit TurnRecorder(const Settings& settings);
  ~TurnRecorder();  // writes what is queued (bounded wait)
  TurnRecorder(const TurnRecorder&) = delete;
  TurnRecorder& operator=(const TurnRecorder&) = delete;

  bool tracing() const;  // traces are wanted: the relay keeps the raw pieces

  // Whether the ledger still waits to be told what this session is about: true until
  // session_opening_found for it (in this process), false when the ledger is off. A request
  // that tells it carries the working directory and the whole first prompt (bounded) in its
  // TurnRecord, with TurnTrace::secrets; the recorder masks them and keeps the prompt's
  // opening. Thread-safe, and cheap enough for every request (a set lookup).
  bool session_opening_wanted(std::string_view session_id) const;
  void session_opening_found(std::string_view session_id);

  // The folder (cwd tag) under which a request's trace and ledger row go. A request that names
  // Claude Code's working directory gives its tag, remembered for its session; one that names
  // none (a title, the auto-mode classifier: requests without tools) takes its session's, else
  // kUnknownFolder. record() looks again for a turn still filed under kUnknownFolder: a title
  // can arrive a moment before the session's first main-loop request. Thread-safe.
  std::string session_folder(std::string_view session_id, std::string cwd_tag);
  static constexpr std::string_view kUnknownFolder = "unknown";

  // Writes one of a turn's request bodies to disk now, under the turn's `spool_id`, instead of
  // its being held until record() (TraceStore::spool): "request_anthropic" or
  // "request_openai". False when traces are off or the recorder is closing: then keep the
  // body in the TurnTrace.
  bool spool(const std::string& spool_id, std::string key, std::shared_ptr<const std::string> body,
             std::vector<std::string> secrets);

  void record(TurnRecord record, TurnTrace trace);

  // Waits until everything recorded so far is written (tests, shutdown).
  void flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace claudegpt
