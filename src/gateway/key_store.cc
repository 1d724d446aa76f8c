#include "gateway/key_store.h"

#include <algorithm>
#include <stdexcept>

#include "gateway/pg_connection.h"
#include "gateway/virtual_key.h"
#include "support/random_id.h"

namespace claudegpt {

namespace {

constexpr std::string_view kColumns =
    "id, prefix, user_name, coalesce(team_name, ''), budget_usd::text, budget_period, rpm, tpm, "
    "coalesce(array_to_string(tiers, ','), ''), "
    "(extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM expires_at) * 1000)::bigint, "
    "(extract(epoch FROM revoked_at) * 1000)::bigint, (extract(epoch FROM rotated_at) * 1000)::bigint, "
    "encode(hash, 'hex')";

// bytea's text input form.
std::string bytea_hex(std::string_view bytes) { return "\\x" + hex(bytes); }

std::optional<std::int64_t> optional_int(const PgResult& rows, int row, int column) {
  if (rows.is_null(row, column)) return std::nullopt;
  return std::stoll(std::string(rows.text(row, column)));
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

KeyInfo key_at(const PgResult& rows, int row) {
  KeyInfo info;
  info.id = rows.text(row, 0);
  info.prefix = rows.text(row, 1);
  info.spec.user = rows.text(row, 2);
  info.spec.team = rows.text(row, 3);
  if (!rows.is_null(row, 4)) info.spec.budget_usd = std::stod(std::string(rows.text(row, 4)));
  info.spec.period = parse_budget_period(rows.text(row, 5)).value_or(BudgetPeriod::month);
  if (auto rpm = optional_int(rows, row, 6)) info.spec.rpm = static_cast<int>(*rpm);
  if (auto tpm = optional_int(rows, row, 7)) info.spec.tpm = static_cast<int>(*tpm);
  info.spec.tiers = split_commas(rows.text(row, 8));
  info.created_ms = optional_int(rows, row, 9).value_or(0);
  info.spec.expires_ms = optional_int(rows, row, 10);
  info.revoked_ms = optional_int(rows, row, 11);
  info.rotated_ms = optional_int(rows, row, 12);
  info.hash_hex = rows.text(row, 13);
  return info;
}

// Tier names go into a text[] literal: words only, so nothing in them needs quoting.
void check(const KeySpec& spec) {
  if (spec.user.empty()) throw std::invalid_argument("a key needs a user");
  for (const std::string& tier : spec.tiers) {
    bool word = !tier.empty() && std::all_of(tier.begin(), tier.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
    if (!word) throw std::invalid_argument("not a tier name: \"" + tier + "\"");
  }
  if (spec.budget_usd && !(*spec.budget_usd >= 0)) throw std::invalid_argument("a budget cannot be negative");
  if ((spec.rpm && *spec.rpm <= 0) || (spec.tpm && *spec.tpm <= 0))
    throw std::invalid_argument("a rate limit must be at least 1");
}

template <typename Number>
PgParam optional_param(const std::optional<Number>& value) {
  return value ? PgParam(std::to_string(*value)) : std::nullopt;
}

// Tells the gateway instances listening that key `id` changed (inside the change's transaction).
void announce(PgConnection& db, std::string_view id) {
  db.exec("SELECT pg_notify($1, $2)", {std::string(kKeysChannel), std::string(id)});
}

// Draws a new key and runs `write(key)` in a transaction, drawing again while the database
// finds its hash (or a drawn id) taken. Returns the rows `write` returned, and the key.
template <typename Write>
std::pair<PgResult, std::string> with_new_key(PgConnection& db, Write write) {
  for (;;) {
    std::string key = new_virtual_key();
    try {
      PgResult rows = db.transaction([&] { return write(key); });
      return {std::move(rows), std::move(key)};
    } catch (const PgError& e) {
      if (!e.unique_violation()) throw;
    }
  }
}

}  // namespace

std::string_view to_string(BudgetPeriod period) {
  switch (period) {
    case BudgetPeriod::day: return "day";
    case BudgetPeriod::week: return "week";
    case BudgetPeriod::month: return "month";
  }
  return "month";
}

std::optional<BudgetPeriod> parse_budget_period(std::string_view text) {
  if (text == "day") return BudgetPeriod::day;
  if (text == "week") return BudgetPeriod::week;
  if (text == "month") return BudgetPeriod::month;
  return std::nullopt;
}

IssuedKey KeyStore::create(const KeySpec& spec) {
  check(spec);
  std::string tiers;
  for (const std::string& tier : spec.tiers) tiers += (tiers.empty() ? "{" : ",") + tier;
  if (!tiers.empty()) tiers += "}";
  auto [rows, key] = with_new_key(db_, [&](const std::string& key) {
    PgResult inserted = db_.exec(
        "INSERT INTO keys (id, hash, prefix, user_name, team_name, budget_usd, budget_period, rpm, tpm, "
        "tiers, expires_at) VALUES ($1, $2::bytea, $3, $4, $5, $6::numeric, $7, $8::integer, $9::integer, "
        "$10::text[], to_timestamp($11::bigint / 1000.0)) RETURNING " + std::string(kColumns),
        {random_id("key_"), bytea_hex(virtual_key_hash(key)), virtual_key_prefix(key), spec.user,
         spec.team.empty() ? PgParam() : PgParam(spec.team), optional_param(spec.budget_usd),
         std::string(to_string(spec.period)), optional_param(spec.rpm), optional_param(spec.tpm),
         tiers.empty() ? PgParam() : PgParam(tiers), optional_param(spec.expires_ms)});
    announce(db_, inserted.text(0, 0));
    return inserted;
  });
  return {key_at(rows, 0), std::move(key)};
}

std::vector<KeyInfo> KeyStore::list() {
  PgResult rows = db_.exec("SELECT " + std::string(kColumns) + " FROM keys ORDER BY created_at, id");
  std::vector<KeyInfo> keys;
  for (int row = 0; row < rows.rows(); ++row) keys.push_back(key_at(rows, row));
  return keys;
}

std::optional<KeyInfo> KeyStore::get(std::string_view id) {
  PgResult rows = db_.exec("SELECT " + std::string(kColumns) + " FROM keys WHERE id = $1", {std::string(id)});
  if (rows.rows() == 0) return std::nullopt;
  return key_at(rows, 0);
}

std::optional<KeyInfo> KeyStore::find_by_key(std::string_view key) {
  PgResult rows = db_.exec("SELECT " + std::string(kColumns) + " FROM keys WHERE hash = $1::bytea",
                           {bytea_hex(virtual_key_hash(key))});
  if (rows.rows() == 0) return std::nullopt;
  return key_at(rows, 0);
}

bool KeyStore::revoke(std::string_view id) {
  return db_.transaction([&] {
    PgResult updated = db_.exec(
        "UPDATE keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1", {std::string(id)});
    if (updated.affected() == 0) return false;
    announce(db_, id);
    return true;
  });
}

std::optional<IssuedKey> KeyStore::rotate(std::string_view id) {
  auto [rows, key] = with_new_key(db_, [&](const std::string& key) {
    PgResult updated = db_.exec(
        "UPDATE keys SET hash = $2::bytea, prefix = $3, rotated_at = now() "
        "WHERE id = $1 AND revoked_at IS NULL RETURNING " + std::string(kColumns),
        {std::string(id), bytea_hex(virtual_key_hash(key)), virtual_key_prefix(key)});
    if (updated.rows() == 1) announce(db_, id);
    return updated;
  });
  if (rows.rows() == 0) return std::nullopt;
  return IssuedKey{key_at(rows, 0), std::move(key)};
}

}  // namespace claudegpt
