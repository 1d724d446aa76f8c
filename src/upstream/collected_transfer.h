// One upstream transfer awaited to its end and collected whole: for the small side requests
// (a web page, a summary, a judgement), where event-by-event streaming is not needed.
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "upstream/upstream_call.h"

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

// Runs `call` on the upstream client of the awaiting coroutine's io_context and returns when it
// is over. If that coroutine is cancelled (the client went away) or destroyed, the transfer is
// aborted at once and its connection closed; cancellation then ends this with
// boost::asio::error::operation_aborted.
boost::asio::awaitable<CollectedTransfer> collect_transfer(UpstreamCall call);

}  // namespace claudegpt
