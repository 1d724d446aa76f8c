#include "gateway/schema.h"

#include <array>
#include <string>

#include "gateway/pg_connection.h"

namespace claudegpt {

namespace {

// pg_advisory_lock's key: "claudegp" as a big-endian 64-bit number, so that another program's
// lock on the same database is unlikely to collide with it.
constexpr const char* kLockKey = "7164208264063051632";

// kMigrations[i] takes the schema from version i to i + 1.
constexpr std::array<const char*, kGatewaySchemaVersion> kMigrations = {
    // 1: virtual keys. Only a key's SHA-256 is stored; `prefix` is its first characters, so a
    // listing can show which key is which without being able to use it.
    R"sql(
CREATE TABLE keys (
  id            text PRIMARY KEY,
  hash          bytea NOT NULL UNIQUE,
  prefix        text NOT NULL,
  user_name     text NOT NULL,
  team_name     text,
  budget_usd    numeric(14, 6) CHECK (budget_usd >= 0),
  budget_period text NOT NULL DEFAULT 'month' CHECK (budget_period IN ('day', 'week', 'month')),
  rpm           integer CHECK (rpm > 0),
  tpm           integer CHECK (tpm > 0),
  tiers         text[],
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  rotated_at    timestamptz
);
CREATE INDEX keys_user ON keys (user_name);
CREATE INDEX keys_team ON keys (team_name);
)sql",
};

}  // namespace

int migrate_gateway_schema(PgConnection& db) {
  db.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")");
  try {
    db.exec(
        "CREATE TABLE IF NOT EXISTS claudegpt_schema ("
        "  version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    int version = std::stoi(std::string(
        db.exec("SELECT coalesce(max(version), 0) FROM claudegpt_schema").text(0, 0)));
    for (; version < kGatewaySchemaVersion; ++version) {
      db.transaction([&] {
        db.run_script(kMigrations[version]);
        db.exec("INSERT INTO claudegpt_schema (version) VALUES ($1)", {std::to_string(version + 1)});
      });
    }
    db.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")");
    return version;
  } catch (...) {
    try {
      db.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")");
    } catch (const PgError&) {
      // (a lost connection releases the lock with it)
    }
    throw;
  }
}

}  // namespace claudegpt
