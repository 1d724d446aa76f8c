// Upstream failures → the Anthropic error Claude Code knows how to handle.
//
// Claude Code 2.1.330 retries 401, 408, 409, 429 and every 5xx ten times over about three
// minutes unless the answer says `x-should-retry: false` (ApiError::no_retry), compacts on
// "prompt is too long: N tokens > M maximum", and degrades the session on any other 400
// (measured against a scripted server, 2026-12-07). So each failure carries its true status
// and type, and says so when retrying cannot help:
//
//   context overflow (code context_length_exceeded, or a message about the context window /
//     maximum context length)            → 400 invalid_request_error "prompt is too long: N
//                                           tokens > M maximum (upstream: …)"
//   insufficient_quota, billing_*        → 402 billing_error, no retry
//   usage_limit_reached (a spent plan)   → 429 rate_limit_error with when it resets (Codex
//                                           `resets_at`, older `resets_in_seconds`) in the
//                                           user's local time, and retry-after; no retry
//                                           unless it resets within 60 s
//   usage_not_included (a plan without   → 402 billing_error naming the plan and the fix, no
//     Codex; sent as a 429 by Codex)       retry: only another plan or backend helps (Claude
//                                           Code shows a 403 as "Failed to authenticate")
//   HTTP 403 with `cf-mitigated: challenge` or an HTML body
//                                        → 502 api_error "<host>'s Cloudflare challenged the
//                                           request (HTTP 403)", no retry, no credentials advice
//   an HTML or empty body, any status    → "<host> answered HTTP N with an HTML page (“title”)"
//                                           / "… with an empty body", then mapped by status
//   HTTP 429, rate_limit_exceeded        → 429 rate_limit_error + retry-after; no retry when
//                                           the wait is over 60 s (Claude Code gives up then)
//   overloaded (code or message), HTTP 503 → 529 overloaded_error (Claude Code backs off)
//   HTTP 401, 403                        → the same status and type, no retry, with
//                                           ErrorContext::credentials_fix
//   HTTP 400/409/415/422, 404            → 502 api_error, no retry: the upstream refused the
//                                           translation or has no such model; the same
//                                           request would meet the same answer (a 404 would
//                                           have Claude Code replace the text with its own)
//   HTTP 402, 413 → the same status and its type, no retry
//   HTTP 408, 504, 522, 524 (timeouts)   → 504 timeout_error
//   HTTP 500, server_error               → 500 api_error; 502 and other 5xx → api_error
//   in a stream: invalid_prompt          → 400 (the prompt itself was refused: retrying the
//                                           same prompt cannot help); any other code → 500
//                                           api_error, because after an HTTP 200 the request
//                                           was accepted and a 400 would wrongly degrade the
//                                           session.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/api_error.h"

namespace claudegpt {

// What the proxy knows about the request, for messages the upstream leaves vague
// (OpenAI's context-overflow error names no token counts).
struct ErrorContext {
  std::int64_t estimated_input_tokens = 0;
  // Counts the request's tokens when estimated_input_tokens is 0 and a message needs them;
  // lazy because counting costs about as much as translating, and overflows are rare.
  std::function<std::int64_t()> count_input_tokens;
  std::int64_t context_window = 0;  // 0 when unknown
  // Claude Code compacts near what it believes its model's window is, not the backend's; the
  // input figures it sees (usage, "prompt is too long") are multiplied by client/backend so
  // that its compaction fires at the backend's real window. 1: report true figures.
  double input_token_scale = 1.0;
  // What to do when the upstream refuses the credentials (401, 403): which setting to fix
  // and how ("check OPENAI_API_KEY: `claudegpt setup` …"). Appended to the upstream's words.
  std::string credentials_fix;
  // The upstream's host ("chatgpt.com"), named when its answer says nothing itself (an HTML
  // page, an empty body). Empty: "the upstream".
  std::string upstream_host;
  // Now, in unix seconds, to turn a reset time (Codex `resets_at`) into a wait; 0: unknown.
  std::int64_t now_unix_seconds = 0;
  // A unix time as the user's clock shows it ("14:05", "Mon 14:05"): the core knows no time
  // zone. Unset: a reset is told as a wait only.
  std::function<std::string(std::int64_t unix_seconds)> local_time;
};

// The response headers an error's mapping reads, as received (empty when absent).
struct UpstreamErrorHeaders {
  std::string retry_after{};
  std::string cf_mitigated{};  // "challenge": Cloudflare stopped the request before the service
  std::string content_type{};
};

// An upstream HTTP error response. `body` is OpenAI's {"error":{message,type,code}} or the
// Codex backend's {"detail":…} or anything else (HTML, empty: the message names the status
// and the host); `headers.retry_after` is used if set (else a "try again in Xs" in the
// message, or the Codex `resets_at` / `resets_in_seconds`).
ApiError map_upstream_http_error(int status, std::string_view body, const UpstreamErrorHeaders& headers,
                                 const ErrorContext& context);

// The error object of a `response.failed` event or of an `error` event (fields at the top
// level or nested under "error"; a whole `response.failed` event is accepted too).
ApiError map_upstream_stream_error(const boost::json::object& error, const ErrorContext& context);

// Seconds in a `retry-after` header: a decimal number, rounded up. nullopt for anything else
// (HTTP dates are not used by the upstreams).
std::optional<int> parse_retry_after_header(std::string_view value);

// Seconds in a "try again in 11.054s" / "Try again in 35 seconds" / "in 20ms" / "in 1m30s"
// message, rounded up; nullopt when there is none.
std::optional<int> parse_retry_after_message(std::string_view message);

// "prompt is too long: N tokens > M maximum". N and M come from `upstream_message` when it
// names them ("maximum context length is M tokens … resulted in N tokens"), else from
// `context` (estimated tokens, context window). When the window is unknown M is N − 1; when
// the figures contradict the overflow (N ≤ M), N becomes M + 1: the upstream has the last word.
std::string prompt_too_long_message(std::string_view upstream_message, const ErrorContext& context);

}  // namespace claudegpt
