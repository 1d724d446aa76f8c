// The proxy's WebFetch, one call of it: fetch the page (page_fetch.h), have a small model
// extract what the calling model asked for (CLAUDEGPT_WEB_FETCH_SUMMARIZER), and describe the
// result for the web_fetch_tool_result block and for the model. Internal to src/server/.
#pragma once

#include <cstdint>
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

  // What the extraction used (it is paid for too: the ledger gets a row for it).
  std::string extraction_model;  // empty: no extraction was asked for
  std::int64_t extraction_input_tokens = 0, extraction_cached_tokens = 0;
  std::int64_t extraction_output_tokens = 0, extraction_reasoning_tokens = 0;
};

// Never throws for a failed fetch or extraction: a failure is a result. A failed extraction
// falls back on the page itself (cut to the summary limit). Cancelling the awaiting coroutine
// aborts whatever transfer is running.
net::awaitable<WebFetchResult> run_web_fetch(ServerContext& context, PendingFetch fetch,
                                             HttpHeaders credentials, std::string session_id);

}  // namespace claudegpt
