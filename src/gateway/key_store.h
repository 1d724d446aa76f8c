// The virtual keys of a team gateway, in PostgreSQL's `keys` table (gateway/schema.h): who a
// key belongs to, what it may spend and use, and whether it still works.
//
// Every change (create, revoke, rotate) is announced in its transaction with
// NOTIFY claudegpt_keys, '<key id>', so that gateway instances holding keys in memory drop
// them at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claudegpt {

class PgConnection;

inline constexpr std::string_view kKeysChannel = "claudegpt_keys";

enum class BudgetPeriod { day, week, month };
std::string_view to_string(BudgetPeriod period);
std::optional<BudgetPeriod> parse_budget_period(std::string_view text);

// What a key is for. Empty optionals are "no limit"; empty `tiers` is every tier.
struct KeySpec {
  std::string user;
  std::string team;                         // "" when the key has no team
  std::optional<double> budget_usd;
  BudgetPeriod period = BudgetPeriod::month;
  std::optional<int> rpm;                   // requests per minute
  std::optional<int> tpm;                   // tokens per minute
  std::vector<std::string> tiers;           // "opus", "sonnet", …
  std::optional<std::int64_t> expires_ms;   // Unix epoch ms
};

struct KeyInfo {
  std::string id;      // "key_…", what commands name a key by
  std::string prefix;  // "cgk-" and the key's next 6 characters
  std::string hash_hex;  // the key's SHA-256 in hex: what a cache finds it by (not secret)
  KeySpec spec;
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> revoked_ms;
  std::optional<std::int64_t> rotated_ms;  // the last time its secret was replaced

  // Neither revoked nor expired at `now_ms`.
  bool usable(std::int64_t now_ms) const {
    return !revoked_ms && (!spec.expires_ms || now_ms < *spec.expires_ms);
  }
};

// A key as it is handed out: the only time its text exists outside the client.
struct IssuedKey {
  KeyInfo info;
  std::string key;
};

class KeyStore {
 public:
  // `db` must outlive the store, with the schema migrated.
  explicit KeyStore(PgConnection& db) : db_(db) {}

  // Throws std::invalid_argument for a spec that cannot be stored (an empty user, a tier
  // name that is not a word), PgError for the database.
  IssuedKey create(const KeySpec& spec);

  // Every key, revoked and expired ones included, oldest first.
  std::vector<KeyInfo> list();

  // The key by id, or nullopt.
  std::optional<KeyInfo> get(std::string_view id);

  // The key whose text this is, whatever its state (the caller checks usable()), or nullopt.
  std::optional<KeyInfo> find_by_key(std::string_view key);

  // Marks the key revoked from now on. False when there is no such key; a key already revoked
  // keeps its first revocation time.
  bool revoke(std::string_view id);

  // Gives the key a new secret: same id, owner, limits and spend; the old text stops working.
  // nullopt when there is no such key, or it is revoked (a revoked key stays revoked).
  std::optional<IssuedKey> rotate(std::string_view id);

 private:
  PgConnection& db_;
};

}  // namespace claudegpt
