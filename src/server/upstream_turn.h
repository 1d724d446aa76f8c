// The upstream side of one response: its request sent, and sent again while the client has
// seen nothing and the failure allows it:
//   - once with renewed credentials after a 401 (a Codex token re-read, else refreshed);
//   - up to upstream_retries times after a passing failure (a 5xx, a dropped connection, an
//     overload reported in the stream), with jittered exponential backoff (250 ms, 500 ms, …);
//   - once without the reasoning sent back, when the upstream can no longer verify it;
//   - without an optional field the upstream refuses, a few times at most (remembered across
//     runs: upstream/refusal_store.h).
// What comes back is read into the pure StreamTranslator; a failure becomes the client's error
// (core/upstream_error.h). Internal to src/server/.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/api_error.h"
#include "core/codex_rate_limits.h"
#include "core/responses_stream_reader.h"
#include "core/stream_translator.h"
#include "core/upstream_error.h"
#include "server/connection.h"
#include "server/exchange.h"
#include "server/trace_tap.h"

namespace claudegpt {

class UpstreamTransfer;
struct UpstreamProgress;

class UpstreamTurn {
 public:
  // `waker` is woken whenever the transfer has news; `trace` sees each request and event.
  UpstreamTurn(Connection& c, const Exchange& exchange, Waker& waker, TraceTap& trace);
  ~UpstreamTurn();  // aborts the transfer: nobody pays for tokens no one reads
  UpstreamTurn(const UpstreamTurn&) = delete;
  UpstreamTurn& operator=(const UpstreamTurn&) = delete;

  // Gets the credentials the turn's calls use, off the I/O thread when that may block (reading
  // auth.json, refreshing a token). The client's error when there are none to be had.
  net::awaitable<std::optional<ApiError>> get_credentials();
  const HttpHeaders& credentials() const { return credentials_; }

  // Sends `body` (the turn's request, or its continuation after web fetches): a new attempt.
  // The body is let go once the answer's output starts: no retry can need it then.
  void send(std::shared_ptr<const std::string> body);
  // Aborts the attempt under way, closing its connection.
  void abort();
  std::size_t sent_bytes() const { return sent_bytes_; }  // of the last body sent

  // Moves what arrived into `translator`, its events onto `events`; the end of the transfer too,
  // unless the response ended with WebFetch calls for the proxy. Returns whether bytes came.
  bool read(StreamTranslator& translator, AnthropicEvents& events);

  // The translator failed with `failure` before any output: makes another attempt when the
  // failure allows one (after its backoff) and returns true; the caller then starts a fresh
  // translator. False when it does not; `instead` may then hold the error to give the client
  // instead (renewing the credentials failed).
  net::awaitable<bool> retry(const ApiError& failure, std::optional<ApiError>& instead);

  // What a translator needs to turn upstream errors into the client's.
  ErrorContext error_context() const;

  int attempts() const { return attempts_; }  // upstream requests made
  const std::vector<std::string>& degradations() const { return degradations_; }
  // The subscription's usage as the Codex backend reports it (x-codex-* headers): as they
  // came, for the log, and the windows they report, for the ledger.
  const std::string& rate_limits_text() const { return rate_limits_text_; }
  const CodexRateLimits& rate_limits() const { return rate_limits_; }

 private:
  void take_data(const std::string& data, StreamTranslator& translator, AnthropicEvents& events);
  void finish(const UpstreamProgress& end, StreamTranslator& translator, AnthropicEvents& events);
  void note_rate_limits(const HttpHeaders& headers);
  net::awaitable<bool> renew_credentials(std::optional<ApiError>& instead);
  template <typename Get>
  net::awaitable<std::optional<ApiError>> fetch_credentials(Get get);

  Connection& c_;
  const Exchange& exchange_;
  const Settings& settings_;
  Waker& waker_;
  TraceTap& trace_;
  HttpHeaders credentials_;
  std::shared_ptr<const std::string> body_;  // until the output starts
  std::size_t sent_bytes_ = 0;
  std::shared_ptr<UpstreamTransfer> transfer_;
  int attempts_ = 0;
  int retries_ = 0;               // of which retries after a passing failure
  bool renewed_credentials_ = false;
  bool retried_without_reasoning_ = false;
  std::vector<std::string> degradations_;  // what was left out to get an answer, for the trace
  std::string rate_limits_text_;
  CodexRateLimits rate_limits_;

  // The attempt under way.
  int status_ = 0;
  bool retryable_ = false;               // its failure may pass on another attempt
  bool unverifiable_reasoning_ = false;  // its stream failed on reasoning it could not verify
  UpstreamErrorHeaders error_headers_;   // what an error response's mapping reads
  std::string error_body_;
  ResponsesStreamReader reader_;
  std::vector<ResponsesEvent> upstream_events_;
};

}  // namespace claudegpt
