// What a turn's trace keeps while the turn streams: each upstream request body once, and the
// upstream's events up to a budget (moved out of the stream, never copied), the rest only
// counted: a trace is for reading, and memory per stream must stay bounded. Off when traces
// are: then it keeps nothing. Internal to src/server/.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/responses_stream_reader.h"
#include "server/turn_recorder.h"

namespace claudegpt {

class TraceTap {
 public:
  explicit TraceTap(bool on) : on_(on) {}

  bool on() const { return on_; }

  // An upstream request about to be sent (the same body again, on a retry, is kept once).
  void request(const std::shared_ptr<const std::string>& body);
  // Bytes of the upstream's stream read; they count against the budget.
  void read(std::size_t bytes) { read_ += bytes; }
  // One event of it, after the translator saw it: kept (moved from) within the budget.
  void event(ResponsesEvent& event);

  // Hands what was kept to `trace`.
  void into(TurnTrace& trace);

 private:
  const bool on_;
  std::size_t read_ = 0;
  std::vector<std::shared_ptr<const std::string>> requests_;
  boost::json::array events_;
  std::int64_t left_out_ = 0;
};

}  // namespace claudegpt
