// A process-wide bound on bytes held for clients, and the leases that draw on it.
//
// Any local process may open connections and send slowly; what the proxy buffers for them
// (request headers, bodies not yet translated) is drawn from a MemoryBudget through a
// BudgetLease, so the total is bounded whatever they send:
//
//   BudgetLease lease(context.request_memory);
//   if (!lease.resize(buffer.capacity() + body.capacity())) → 503 overloaded_error
//
// Single-threaded: used on the server's I/O thread only.
#pragma once

#include <cstddef>
#include <utility>

namespace claudegpt {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit) : limit_(limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  std::size_t limit() const { return limit_; }
  std::size_t used() const { return used_; }
  std::size_t available() const { return limit_ - used_; }

 private:
  friend class BudgetLease;
  std::size_t limit_;
  std::size_t used_ = 0;
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
    if (bytes > held_ && bytes - held_ > budget_->available()) return false;
    budget_->used_ = budget_->used_ - held_ + bytes;
    held_ = bytes;
    return true;
  }

  void release() {
    if (budget_) budget_->used_ -= held_;
    held_ = 0;
  }

  std::size_t held() const { return held_; }

 private:
  MemoryBudget* budget_ = nullptr;
  std::size_t held_ = 0;
};

}  // namespace claudegpt
