// The proxy's own WebFetch inside a turn. When a response ends with WebFetch calls for the
// proxy, they are performed one after the other (in auto mode each passes the judge first, as
// Claude Code's WebFetch would: a URL can carry data out), each result delivered to the client
// as it comes, with pings meanwhile; then the turn goes on upstream with everything the client
// was sent so far appended to its request (core/web_fetch_requests.h). Internal to src/server/.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "core/anthropic_event.h"
#include "core/message_accumulator.h"
#include "core/stream_translator.h"
#include "server/connection.h"
#include "server/exchange.h"
#include "server/web_fetch_tool.h"

namespace claudegpt {

class CallJudges;

class FetchContinuation {
 public:
  // `original`: the turn's upstream request, which a continuation extends (null when the turn
  // cannot call WebFetch).
  FetchContinuation(Connection& c, const Exchange& exchange, std::shared_ptr<const std::string> original,
                    std::shared_ptr<Waker> waker);
  ~FetchContinuation();  // a fetch still running is cancelled (its transfer aborted)
  FetchContinuation(const FetchContinuation&) = delete;
  FetchContinuation& operator=(const FetchContinuation&) = delete;

  // Sends (or collects) the events the translator produced so far.
  using Deliver = std::function<net::awaitable<void>()>;

  // Performs the fetches `translator` waits for, its events going out through `deliver`;
  // `judges` (may be null) judge each first. Returns whether the turn goes on upstream.
  net::awaitable<bool> perform(StreamTranslator& translator, AnthropicEvents& events, const Deliver& deliver,
                               CallJudges* judges, const HttpHeaders& credentials);

  // The turn's next upstream request: its request with `delivered` (the message so far)
  // appended, `size_hint` bytes or so.
  std::shared_ptr<const std::string> next_request(const MessageAccumulator& delivered, std::size_t size_hint);

  // The page extractions made (paid calls: the ledger gets a row for each).
  const std::vector<WebFetchResult>& extractions() const { return extractions_; }
  int continuations() const { return continuations_; }

 private:
  net::awaitable<bool> refused_by_judge(const PendingFetch& fetch, StreamTranslator& translator,
                                        AnthropicEvents& events, const Deliver& deliver, CallJudges* judges,
                                        const HttpHeaders& credentials);

  Connection& c_;
  const Exchange& exchange_;
  const std::shared_ptr<const std::string> original_;
  std::shared_ptr<Waker> waker_;
  std::map<std::string, std::string> failures_;  // tool_use_id → status and reason, for the model
  std::vector<WebFetchResult> extractions_;
  std::shared_ptr<net::cancellation_signal> cancel_ = std::make_shared<net::cancellation_signal>();
  int continuations_ = 0;
};

}  // namespace claudegpt
