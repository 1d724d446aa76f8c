// Wakes a relay waiting on more than one thing: its upstream transfer, the judges' verdicts, a
// web fetch, a ping or stall deadline, the server shutting down. All of them run on the relay's
// own thread. Internal to src/server/.
//
//   waker.pending = false;          // before looking at what it waits on
//   ... nothing new? ...
//   if (co_await waker.wait_until(next_ping)) → the deadline passed; else woken
#pragma once

#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace claudegpt {

namespace net = boost::asio;

struct Waker {
  net::steady_timer timer;
  bool pending = false;  // woken since the relay last looked
  explicit Waker(net::any_io_executor executor) : timer(std::move(executor)) {}

  void wake() {
    pending = true;
    timer.cancel();
  }

  // Returns true when `when` passed, false when woken (at once, if woken since `pending` was
  // cleared).
  net::awaitable<bool> wait_until(std::chrono::steady_clock::time_point when);
};

}  // namespace claudegpt
