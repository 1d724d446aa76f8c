#include "server/collected_transfer.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace claudegpt {
namespace {

// Aborts the transfer when the collecting coroutine ends early: cancelled (its error
// unwinds through here) or destroyed while suspended (its frame is freed without resuming).
class TransferGuard {
 public:
  TransferGuard(UpstreamClient& client, std::shared_ptr<UpstreamClient::Transfer> transfer)
      : client_(client), transfer_(std::move(transfer)) {}
  ~TransferGuard() {
    if (!transfer_) return;
    transfer_->inbox().set_notify(nullptr);  // after this returns, no notify is running
    client_.cancel(transfer_);
  }
  TransferGuard(const TransferGuard&) = delete;
  TransferGuard& operator=(const TransferGuard&) = delete;

  // The transfer is over: nothing to abort, but no more wake-ups either.
  void finished() {
    transfer_->inbox().set_notify(nullptr);
    transfer_.reset();
  }

 private:
  UpstreamClient& client_;
  std::shared_ptr<UpstreamClient::Transfer> transfer_;
};

}  // namespace

net::awaitable<CollectedTransfer> collect_transfer(ServerContext& context, UpstreamCall call) {
  const std::size_t limit = call.max_body_bytes;
  auto waker = std::make_shared<Waker>(co_await net::this_coro::executor);
  auto transfer = context.upstream.post(std::move(call));
  TransferGuard guard(context.upstream, transfer);
  // Runs on the upstream thread: at most one wake-up in flight. The server's io_context has
  // one thread, so the posted cancel cannot run before the wait below is in place.
  transfer->inbox().set_notify([weak = std::weak_ptr<Waker>(waker), executor = waker->timer.get_executor()] {
    auto w = weak.lock();
    if (!w || w->pending.exchange(true)) return;
    net::post(executor, [weak] {
      if (auto w = weak.lock()) w->timer.cancel();
    });
  });

  CollectedTransfer out;
  for (;;) {
    waker->pending.store(false);
    UpstreamInbox::Snapshot delivery = transfer->inbox().take();
    if (transfer->inbox().wants_resume()) context.upstream.resume(transfer);
    if (delivery.has_response) {
      out.status = delivery.status;
      if (!delivery.headers.empty()) out.headers = std::move(delivery.headers);
    }
    std::size_t room = limit ? limit - std::min(limit, out.body.size()) : delivery.data.size();
    out.body.append(delivery.data, 0, std::min(room, delivery.data.size()));
    if (delivery.finished) {
      guard.finished();
      out.truncated = delivery.truncated;
      out.effective_url = std::move(delivery.effective_url);
      out.redirect_url = std::move(delivery.redirect_url);
      out.error = std::move(delivery.error);
      out.timed_out = delivery.timed_out;
      out.refused = delivery.refused;
      co_return out;
    }
    if (!waker->pending.load()) {
      waker->timer.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ec;
      co_await waker->timer.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    // A wake-up and a cancellation both end the wait with operation_aborted: ask which.
    auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none)
      throw boost::system::system_error(net::error::operation_aborted);
  }
}

}  // namespace claudegpt
