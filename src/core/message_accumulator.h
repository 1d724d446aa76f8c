// Anthropic stream events → the one Message JSON a non-streaming client gets.
// claudegpt always streams from upstream; this folds the translated stream back together.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/anthropic_event.h"
#include "core/api_error.h"

namespace claudegpt {

class MessageAccumulator {
 public:
  // Folds one event in: message_start gives the skeleton, content_block_* build content[]
  // (text and thinking deltas concatenated, signature_delta sets the signature,
  // citations_delta appends a citation), message_delta overwrites stop_reason, stop_sequence
  // and each usage figure it carries (they are cumulative), message_stop completes, an
  // `error` event is captured. Events that do not fit (an index never started) are ignored.
  void add(const AnthropicEvent& event);

  bool complete() const { return complete_; }  // message_stop seen
  const std::optional<ApiError>& error() const { return error_; }  // an `error` event seen

  // The Message: {id, type:"message", role, model, content[], stop_reason, stop_sequence, usage}.
  // tool_use inputs are parsed from their accumulated partial_json ({} when it is empty or
  // not a JSON object).
  boost::json::object message() const;

 private:
  boost::json::object message_;
  std::vector<std::string> partial_json_;  // per content index
  std::optional<ApiError> error_;
  bool complete_ = false;
};

}  // namespace claudegpt
