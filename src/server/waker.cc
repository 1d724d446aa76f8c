#include "server/waker.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace claudegpt {

net::awaitable<bool> Waker::wait_until(std::chrono::steady_clock::time_point when) {
  if (pending) co_return false;
  timer.expires_at(when);
  boost::system::error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  co_return !ec;
}

}  // namespace claudegpt
