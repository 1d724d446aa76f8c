// Relays one /v1/messages exchange: the translated request goes upstream, the upstream's
// event stream comes back through the pure StreamTranslator to the client, as SSE or (for a
// non-streaming client) as one Message. Internal to src/server/.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "server/connection.h"
#include "server/exchange.h"

namespace claudegpt {

// Runs the exchange to its end: a finished answer, an error (as an HTTP error response
// when nothing was sent yet, else as an `event: error`), or the client gone, in which case
// the upstream transfer (or web fetch) is aborted at once. When the model calls WebFetch, the
// proxy performs the calls (web_fetch_tool.h) and continues the upstream conversation with
// their results, inside the same message. Returns how it ended, for the log.
//
// `upstream_body` is the serialised Responses request. It is held only while something may
// need it: a retry (before any output), a continuation after web fetches. `client_body` is
// the client's request as it came, for the trace (null when traces are off); the trace
// writes both to disk when the first attempt starts (trace_tap.h).
net::awaitable<std::string> relay(Connection& c, const Exchange& exchange,
                                  std::shared_ptr<const std::string> upstream_body,
                                  std::shared_ptr<const std::string> client_body);

}  // namespace claudegpt
