// Every client connection the server holds, and which of them may be closed to make room.
//
// Any local process can open connections until the proxy runs out of file descriptors, and
// then nobody is served, the user's Claude Code included. So connections are capped below the
// open-file limit, and at the cap the server sheds connections that cost nobody anything to
// lose: idle keep-alive ones and ones whose request has not yet shown the access token. The
// oldest of those goes first; a request that is authorized and being served is never shed.
//
//   ConnectionTable::Member member(table, [&] { close the socket });
//   member.set_sheddable(false);   // its request carries the token: serve it
//
// Single-threaded: each I/O thread has a table for its share of the cap (and a SheddingLog
// joins their episodes for the log).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>

namespace claudegpt {

class ConnectionTable {
 public:
  using Clock = std::chrono::steady_clock;

  // One connection's place in the table, for the connection's whole life.
  class Member {
   public:
    // `close` closes the connection's socket and lets go of what it holds; the connection's
    // coroutine then ends on its own. It is called at most once, by the table.
    Member(ConnectionTable& table, std::function<void()> close);
    ~Member();
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

    // Sheddable members are closed oldest first (by when they last became sheddable) when
    // room is needed. A new member is sheddable.
    void set_sheddable(bool sheddable);
    // Whether the table closed it to make room.
    bool shed() const { return shed_; }

   private:
    friend class ConnectionTable;
    ConnectionTable& table_;
    std::function<void()> close_;
    std::list<Member*>::iterator place_;  // in table_.sheddable_, when sheddable
    bool sheddable_ = true;
    bool shed_ = false;
  };

  // `cap`: the most connections held at once (at least 1).
  explicit ConnectionTable(std::size_t cap);

  std::size_t cap() const { return cap_; }
  // Connections open (those shed are closed at once, so they no longer count).
  std::size_t open() const { return open_; }

  // Before accepting one more connection: true when there is room for it, after shedding
  // the oldest sheddable connection if the table is full.
  bool make_room(Clock::time_point now);
  // Sheds the oldest sheddable connection other than `except`; false when there is none.
  bool shed_oldest(Clock::time_point now, const Member* except = nullptr);

  // A shedding episode starts with the first connection shed and ends when none has been
  // shed for `quiet`; each end reports one line, not one per connection.
  struct Episode {
    std::uint64_t shed = 0;     // connections shed in it
    std::uint64_t refused = 0;  // connections refused because none could be shed
    Clock::duration length{};
  };
  // Called for each connection refused for want of room (counted in the episode).
  void note_refused(Clock::time_point now);
  // Whether an episode is under way.
  bool shedding() const { return episode_open_; }
  // Ends the episode if it has been quiet for `quiet` and returns it; otherwise nothing.
  bool end_quiet_episode(Clock::time_point now, Clock::duration quiet, Episode& ended);
  // Total connections shed since start.
  std::uint64_t shed_total() const { return shed_total_; }

 private:
  void begin_or_extend_episode(Clock::time_point now);

  std::size_t cap_;
  std::size_t open_ = 0;
  std::list<Member*> sheddable_;  // oldest first
  std::uint64_t shed_total_ = 0;

  bool episode_open_ = false;
  Clock::time_point episode_start_{}, episode_last_{};
  Episode episode_;
};

// The tables of all I/O threads shed as one in the log: the first to begin an episode says so,
// the last to end one reports the whole. Thread-safe.
class SheddingLog {
 public:
  // A table began an episode. True when no other table is in one: log the start.
  bool began();
  // A table's episode ended. The whole episode when it was the last one under way: log it.
  std::optional<ConnectionTable::Episode> ended(const ConnectionTable::Episode& part);

 private:
  std::mutex mutex_;
  int under_way_ = 0;
  ConnectionTable::Episode whole_;
};

}  // namespace claudegpt
