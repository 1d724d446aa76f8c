// Relays one /v1/messages exchange: the translated request goes upstream, the upstream's
// event stream comes back through the pure StreamTranslator to the client, as SSE or (for a
// non-streaming client) as one Message. Internal to src/server/.
#pragma once

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
net::awaitable<std::string> relay(Connection& c, const Exchange& exchange);

}  // namespace claudegpt
