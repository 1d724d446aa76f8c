#include "server/connection_table.h"

#include <algorithm>
#include <utility>

namespace claudegpt {

ConnectionTable::Member::Member(ConnectionTable& table, std::function<void()> close)
    : table_(table), close_(std::move(close)) {
  ++table_.open_;
  place_ = table_.sheddable_.insert(table_.sheddable_.end(), this);
}

ConnectionTable::Member::~Member() {
  if (shed_) return;  // already out of the count and the list
  --table_.open_;
  if (sheddable_) table_.sheddable_.erase(place_);
}

void ConnectionTable::Member::set_sheddable(bool sheddable) {
  if (shed_ || sheddable == sheddable_) return;
  sheddable_ = sheddable;
  if (sheddable) place_ = table_.sheddable_.insert(table_.sheddable_.end(), this);
  else table_.sheddable_.erase(place_);
}

ConnectionTable::ConnectionTable(std::size_t cap) : cap_(std::max<std::size_t>(cap, 1)) {}

bool ConnectionTable::make_room(Clock::time_point now) {
  return open_ < cap_ || shed_oldest(now);
}

bool ConnectionTable::shed_oldest(Clock::time_point now, const Member* except) {
  auto victim = sheddable_.begin();
  if (victim != sheddable_.end() && *victim == except) ++victim;
  if (victim == sheddable_.end()) return false;
  Member* member = *victim;
  sheddable_.erase(victim);
  member->sheddable_ = false;
  member->shed_ = true;
  --open_;
  ++shed_total_;
  begin_or_extend_episode(now);
  ++episode_.shed;
  // Last: closing may run code that looks at the table.
  std::exchange(member->close_, nullptr)();
  return true;
}

void ConnectionTable::note_refused(Clock::time_point now) {
  begin_or_extend_episode(now);
  ++episode_.refused;
}

void ConnectionTable::begin_or_extend_episode(Clock::time_point now) {
  if (!episode_open_) {
    episode_open_ = true;
    episode_start_ = now;
    episode_ = {};
  }
  episode_last_ = now;
}

bool ConnectionTable::end_quiet_episode(Clock::time_point now, Clock::duration quiet, Episode& ended) {
  if (!episode_open_ || now - episode_last_ < quiet) return false;
  episode_open_ = false;
  ended = episode_;
  ended.length = episode_last_ - episode_start_;
  return true;
}

bool SheddingLog::began() {
  std::lock_guard lock(mutex_);
  return under_way_++ == 0;
}

std::optional<ConnectionTable::Episode> SheddingLog::ended(const ConnectionTable::Episode& part) {
  std::lock_guard lock(mutex_);
  whole_.shed += part.shed;
  whole_.refused += part.refused;
  whole_.length = std::max(whole_.length, part.length);
  if (--under_way_ > 0) return std::nullopt;
  return std::exchange(whole_, {});
}

}  // namespace claudegpt
