// What a turn's trace keeps while the turn streams. The request bodies go to disk when the
// turn starts (TurnRecorder::spool): the client's and the first upstream request, so an open
// stream holds neither; a later request (a degraded retry, a continuation after web fetches),
// or one the recorder could not take (it is closing), is kept, each once. The upstream's events are kept up to
// a budget (moved out of the stream, never copied), the rest only counted: a trace is for
// reading, and memory per stream must stay bounded. Off when traces are: then it keeps
// nothing. Internal to src/server/.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/responses_stream_reader.h"
#include "server/turn_recorder.h"

namespace claudegpt {

class TraceTap {
 public:
  // Puts a request body on disk now under `key` ("request_anthropic", "request_openai");
  // false when it could not: then the tap keeps it.
  using Spool = std::function<bool(std::string key, const std::shared_ptr<const std::string>& body)>;

  explicit TraceTap(bool on, std::shared_ptr<const std::string> client_body = nullptr, Spool spool = {})
      : on_(on), client_body_(on ? std::move(client_body) : nullptr), spool_(std::move(spool)) {}

  bool on() const { return on_; }

  // An upstream request about to be sent (the same body again, on a retry, is kept once).
  // With the first, the client's body goes to the spool too.
  void request(const std::shared_ptr<const std::string>& body);
  // Bytes of the upstream's stream read; they count against the budget.
  void read(std::size_t bytes) { read_ += bytes; }
  // One event of it, after the translator saw it: kept (moved from) within the budget.
  void event(ResponsesEvent& event);

  // Hands what was kept to `trace` (its spool_id is the caller's to set).
  void into(TurnTrace& trace);

 private:
  const bool on_;
  std::shared_ptr<const std::string> client_body_;  // until spooled
  Spool spool_;
  std::weak_ptr<const std::string> last_request_;  // (weak: only to recognise a retry)
  bool first_request_seen_ = false;
  bool first_request_spooled_ = false;
  std::size_t read_ = 0;
  std::vector<std::shared_ptr<const std::string>> requests_;
  boost::json::array events_;
  std::int64_t left_out_ = 0;
};

}  // namespace claudegpt
