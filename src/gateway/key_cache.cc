#include "gateway/key_cache.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "gateway/pg_connection.h"
#include "gateway/virtual_key.h"
#include "support/unique_fd.h"

namespace claudegpt {

struct KeyCache::Impl {
  std::string conninfo;
  std::function<void(const std::string&)> on_error;

  mutable std::shared_mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const KeyInfo>> by_hash;  // hex SHA-256 -> key
  std::unordered_map<std::string, std::string> hash_of_id;
  std::atomic<std::uint64_t> full_loads = 0;

  UniqueFd stop_event{::eventfd(0, EFD_CLOEXEC)};
  std::thread listener;

  void report(const std::string& message) {
    if (on_error) on_error(message);
  }

  // Puts `key` in place of whatever its id held (a rotation changes its hash); null removes.
  void put_locked(const std::string& id, std::shared_ptr<const KeyInfo> key) {
    if (auto old = hash_of_id.find(id); old != hash_of_id.end()) {
      by_hash.erase(old->second);
      hash_of_id.erase(old);
    }
    if (!key) return;
    hash_of_id[id] = key->hash_hex;
    by_hash[key->hash_hex] = std::move(key);
  }

  void load_all(PgConnection& db) {
    std::vector<KeyInfo> keys = KeyStore(db).list();
    std::unique_lock lock(mutex);
    by_hash.clear();
    hash_of_id.clear();
    for (KeyInfo& key : keys) {
      std::string id = key.id;
      put_locked(id, std::make_shared<const KeyInfo>(std::move(key)));
    }
    ++full_loads;
  }

  void reload(PgConnection& db, const std::string& id) {
    std::optional<KeyInfo> key = KeyStore(db).get(id);
    std::unique_lock lock(mutex);
    put_locked(id, key ? std::make_shared<const KeyInfo>(std::move(*key)) : nullptr);
  }

  // Waits up to `timeout` for the database socket (-1: none) or the stop event. False: stop.
  bool wait(int socket, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{stop_event.get(), POLLIN, 0}, {socket, POLLIN, 0}};
    ::poll(fds, socket >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    return !(fds[0].revents & POLLIN);
  }

  // The listener: LISTEN, apply notifications; on a lost connection, reconnect and reload all.
  void listen(std::optional<PgConnection> db) {
    std::chrono::milliseconds backoff{250};
    for (;;) {
      if (!db) {
        if (!wait(-1, backoff)) return;
        try {
          db.emplace(conninfo);
          db->exec("LISTEN " + std::string(kKeysChannel));
          load_all(*db);  // (what changed while it was away)
          backoff = std::chrono::milliseconds(250);
        } catch (const PgError& e) {
          db.reset();
          report(std::string("virtual keys: ") + e.what() + "; keeping the keys held, retrying");
          backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
          continue;
        }
      }
      if (!wait(db->socket(), std::chrono::milliseconds(1000))) return;
      try {
        for (auto& [channel, id] : db->notifications()) reload(*db, id);
      } catch (const PgError& e) {
        report(std::string("virtual keys: ") + e.what() + "; reconnecting");
        db.reset();
      }
    }
  }
};

KeyCache::KeyCache(std::string conninfo, std::function<void(const std::string&)> on_error)
    : impl_(std::make_unique<Impl>()) {
  impl_->conninfo = std::move(conninfo);
  impl_->on_error = std::move(on_error);
  if (!impl_->stop_event) throw std::runtime_error("eventfd failed");
  // LISTEN before the first load, so that no change falls between the two.
  PgConnection db(impl_->conninfo);
  db.exec("LISTEN " + std::string(kKeysChannel));
  impl_->load_all(db);
  impl_->listener = std::thread([impl = impl_.get(), db = std::move(db)]() mutable {
    impl->listen(std::move(db));
  });
}

KeyCache::~KeyCache() {
  std::uint64_t one = 1;
  (void)!::write(impl_->stop_event.get(), &one, sizeof one);
  impl_->listener.join();
}

std::shared_ptr<const KeyInfo> KeyCache::find(std::string_view key) const {
  std::string hash = hex(virtual_key_hash(key));
  std::shared_lock lock(impl_->mutex);
  auto it = impl_->by_hash.find(hash);
  return it == impl_->by_hash.end() ? nullptr : it->second;
}

std::size_t KeyCache::size() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->by_hash.size();
}

std::uint64_t KeyCache::full_loads() const { return impl_->full_loads; }

}  // namespace claudegpt
