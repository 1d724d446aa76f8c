// One upstream transfer awaited to its end and collected whole: for the small side requests
// (a web page, a summary), where the relay's event-by-event streaming is not needed.
// Internal to src/server/.
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "server/connection.h"

namespace claudegpt {

struct CollectedTransfer {
  int status = 0;               // 0: no HTTP response (see error)
  HttpHeaders headers;          // of the final response, lower-case names
  std::string body;             // at most call.max_body_bytes when that is set
  bool truncated = false;       // the body was cut at max_body_bytes
  std::string effective_url;    // after redirects
  std::string redirect_url;     // the answer is a redirect curl did not follow: where to (absolute)
  std::string error;            // non-empty: the transfer failed (connection, TLS, timeout…),
                                // perhaps after the status came (then status and body hold
                                // what was read)
  bool timed_out = false;       // it failed because call.total_timeout/connect_timeout passed
  bool refused = false;         // it failed because the address was private (see UpstreamCall)
};

// Starts `call` on the context's upstream client and returns when it is over. If the awaiting
// coroutine is cancelled (the client went away) or destroyed, the transfer is aborted at once
// and its connection closed; cancellation then ends this with net::error::operation_aborted.
net::awaitable<CollectedTransfer> collect_transfer(ServerContext& context, UpstreamCall call);

}  // namespace claudegpt
