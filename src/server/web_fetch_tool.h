// The proxy's WebFetch, one call of it: fetch the page (page_fetch.h), have a small model
// extract what the calling model asked for (CLAUDEGPT_WEB_FETCH_SUMMARIZER), and describe the
// result for the web_fetch_tool_result block and for the model. Internal to src/server/.
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/server_tool_blocks.h"
#include "server/connection.h"

namespace claudegpt {

struct WebFetchResult {
  FetchOutcome outcome;          // the block's content (its error code, when it failed)
  std::string failure;           // when it failed: status and reason, as the model reads them
  std::size_t page_chars = 0;    // the page as text, before the extraction
  bool extracted = false;        // the summariser made outcome.text
};

// Never throws for a failed fetch or extraction: a failure is a result. A failed extraction
// falls back on the page itself (cut to the summary limit). Cancelling the awaiting coroutine
// aborts whatever transfer is running.
net::awaitable<WebFetchResult> run_web_fetch(ServerContext& context, PendingFetch fetch,
                                             HttpHeaders credentials, std::string session_id);

}  // namespace claudegpt
