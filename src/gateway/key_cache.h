// A gateway instance's virtual keys in memory, so that checking a request's key costs no
// database round trip: a SHA-256 of the key and a hash-map lookup, under a shared lock.
//
// It stays current through PostgreSQL's LISTEN/NOTIFY: KeyStore announces every change on
// `claudegpt_keys` in the change's own transaction, and a listener thread here reloads the key
// each notification names, so a revocation reaches every instance within milliseconds of its
// commit. Notifications sent while the listener's connection is down are lost: it reconnects
// (after 0.25 s, backing off to 5 s) and then reloads every key. While it cannot reach the
// database the instance keeps the keys it has; a change made meanwhile reaches it when the
// connection returns (and `claudegpt keys` cannot change anything in a database it cannot
// reach either).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/key_store.h"

namespace claudegpt {

class KeyCache {
 public:
  // Loads every key from `conninfo`'s database (migrated) and starts listening. Throws
  // PgError when that first load fails: a gateway does not start without its keys.
  // `on_error`: told (on the listener thread) when the connection drops or a reload fails.
  explicit KeyCache(std::string conninfo, std::function<void(const std::string&)> on_error = {});
  // Stops the listener.
  ~KeyCache();
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The key whose text this is, whatever its state (check usable()), or null. Thread-safe.
  std::shared_ptr<const KeyInfo> find(std::string_view key) const;

  // How many keys it holds.
  std::size_t size() const;

  // How many times it has (re)loaded every key: 1 after the constructor. For tests.
  std::uint64_t full_loads() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace claudegpt
