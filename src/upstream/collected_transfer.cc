#include "upstream/collected_transfer.h"

#include <algorithm>

#include <boost/asio/this_coro.hpp>

#include "upstream/upstream_client.h"

namespace claudegpt {

net::awaitable<CollectedTransfer> collect_transfer(UpstreamCall call) {
  const std::size_t limit = call.max_body_bytes;
  // Dropped with this frame, however it ends: an unfinished transfer is cancelled then.
  auto transfer = UpstreamClient::of(co_await net::this_coro::executor).start(std::move(call));
  CollectedTransfer out;
  for (;;) {
    UpstreamProgress got = co_await transfer->next();
    if (got.has_response) {
      out.status = got.status;
      if (!got.headers.empty()) out.headers = std::move(got.headers);
    }
    std::size_t room = limit ? limit - std::min(limit, out.body.size()) : got.data.size();
    out.body.append(got.data, 0, std::min(room, got.data.size()));
    if (got.finished) {
      out.truncated = got.truncated;
      out.effective_url = std::move(got.effective_url);
      out.redirect_url = std::move(got.redirect_url);
      out.error = std::move(got.error);
      out.timed_out = got.timed_out;
      out.refused = got.refused;
      co_return out;
    }
  }
}

}  // namespace claudegpt
