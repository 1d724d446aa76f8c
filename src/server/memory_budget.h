// A process-wide bound on bytes held for clients, and the leases that draw on it.
//
// Any local process may open connections and send slowly; what the proxy buffers for them
// (request headers, bodies not yet translated) is drawn from a MemoryBudget through a
// BudgetLease, so the total is bounded whatever they send:
//
//   BudgetLease lease(context.request_memory);
//   if (!lease.resize(buffer.capacity() + body.capacity())) → 503 overloaded_error
//
// Thread-safe: the I/O threads draw on one budget; a lease is its connection's own.
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace claudegpt {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit) : limit_(limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  std::size_t limit() const { return limit_; }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  friend class BudgetLease;
  // Takes `bytes` more if they fit; a lone compare-and-swap, so that two threads growing at
  // once never pass the limit together.
  bool take(std::size_t bytes) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > limit_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
    return true;
  }
  void give_back(std::size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

// What one request holds of a budget; given back when resized down, released or destroyed.
class BudgetLease {
 public:
  BudgetLease() = default;
  explicit BudgetLease(MemoryBudget& budget) : budget_(&budget) {}
  BudgetLease(BudgetLease&& other) noexcept
      : budget_(std::exchange(other.budget_, nullptr)), held_(std::exchange(other.held_, 0)) {}
  BudgetLease& operator=(BudgetLease&& other) noexcept {
    if (this != &other) {
      release();
      budget_ = std::exchange(other.budget_, nullptr);
      held_ = std::exchange(other.held_, 0);
    }
    return *this;
  }
  ~BudgetLease() { release(); }

  // Holds exactly `bytes`. False, holding what it held before, when the budget cannot grant
  // the growth.
  bool resize(std::size_t bytes) {
    if (!budget_) return true;
    if (bytes > held_ && !budget_->take(bytes - held_)) return false;
    if (bytes < held_) budget_->give_back(held_ - bytes);
    held_ = bytes;
    return true;
  }

  void release() {
    if (budget_ && held_) budget_->give_back(held_);
    held_ = 0;
  }

  std::size_t held() const { return held_; }

 private:
  MemoryBudget* budget_ = nullptr;
  std::size_t held_ = 0;
};

}  // namespace claudegpt
