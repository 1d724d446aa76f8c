#include "admin/keys_command.h"

#include <boost/json.hpp>

#include <chrono>
#include <stdexcept>

#include "core/model_tier.h"
#include "gateway/key_store.h"
#include "gateway/pg_connection.h"
#include "gateway/schema.h"
#include "ledger/usage_report.h"
#include "support/utc_time.h"

namespace claudegpt {

namespace json = boost::json;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// The tier names a key may be limited to: the tiers requests are routed by (core/model_tier.h).
std::vector<std::string> parse_tiers(std::string_view text) {
  std::vector<std::string> tiers;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string tier(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (tier.empty()) continue;
    bool known = false;
    for (ModelTier t : {ModelTier::opus, ModelTier::sonnet, ModelTier::haiku, ModelTier::fable, ModelTier::other})
      known = known || to_string(t) == tier;
    if (!known) throw std::invalid_argument("--tiers: \"" + tier + "\" is not a tier (opus, sonnet, haiku, fable, other)");
    tiers.push_back(std::move(tier));
  }
  return tiers;
}

std::string state_of(const KeyInfo& key, std::int64_t now) {
  if (key.revoked_ms) return "revoked";
  if (!key.usable(now)) return "expired";
  return "active";
}

json::object to_json(const KeyInfo& key, std::int64_t now) {
  json::object out;
  out["id"] = key.id;
  out["prefix"] = key.prefix;
  out["user"] = key.spec.user;
  out["team"] = key.spec.team.empty() ? json::value(nullptr) : json::value(key.spec.team);
  out["budget_usd"] = key.spec.budget_usd ? json::value(*key.spec.budget_usd) : json::value(nullptr);
  out["period"] = to_string(key.spec.period);
  out["rpm"] = key.spec.rpm ? json::value(*key.spec.rpm) : json::value(nullptr);
  out["tpm"] = key.spec.tpm ? json::value(*key.spec.tpm) : json::value(nullptr);
  json::array tiers;
  for (const std::string& tier : key.spec.tiers) tiers.emplace_back(tier);
  out["tiers"] = std::move(tiers);
  out["created"] = utc_timestamp(key.created_ms);
  out["expires"] = key.spec.expires_ms ? json::value(utc_timestamp(*key.spec.expires_ms)) : json::value(nullptr);
  out["revoked"] = key.revoked_ms ? json::value(utc_timestamp(*key.revoked_ms)) : json::value(nullptr);
  out["state"] = state_of(key, now);
  return out;
}

// "budget $12.50 a week, 60 requests/min, 200,000 tokens/min, tiers sonnet and haiku"
std::string limits_text(const KeySpec& spec) {
  std::string text;
  auto add = [&](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  if (spec.budget_usd) add("budget " + format_usd(*spec.budget_usd) + " a " + std::string(to_string(spec.period)));
  if (spec.rpm) add(format_count(*spec.rpm) + " requests/min");
  if (spec.tpm) add(format_count(*spec.tpm) + " tokens/min");
  if (!spec.tiers.empty()) {
    std::string tiers;
    for (const std::string& tier : spec.tiers) tiers += (tiers.empty() ? "" : ",") + tier;
    add("tiers " + tiers);
  }
  return text.empty() ? "no limits" : text;
}

void print_issued(const IssuedKey& issued, bool rotated, bool as_json, std::ostream& out) {
  if (as_json) {
    json::object object = to_json(issued.info, now_ms());
    object["key"] = issued.key;
    out << json::serialize(object) << "\n";
    return;
  }
  const KeySpec& spec = issued.info.spec;
  out << (rotated ? "New secret for " : "Key ") << issued.info.id << " (" << spec.user
      << (spec.team.empty() ? "" : ", team " + spec.team) << "; " << limits_text(spec)
      << (spec.expires_ms ? "; expires " + utc_timestamp(*spec.expires_ms) : "") << "):\n"
      << issued.key << "\n"
      << "It is shown this once and stored only as a hash: hand it over now."
      << (rotated ? " The old secret no longer works." : "") << "\n";
}

void print_list(const std::vector<KeyInfo>& keys, bool as_json, std::ostream& out) {
  const std::int64_t now = now_ms();
  if (as_json) {
    json::array array;
    for (const KeyInfo& key : keys) array.push_back(to_json(key, now));
    out << json::serialize(array) << "\n";
    return;
  }
  if (keys.empty()) {
    out << "No keys yet: `claudegpt keys create --user NAME` makes one.\n";
    return;
  }
  for (const KeyInfo& key : keys) {
    out << key.id << "  " << key.prefix << "…  " << key.spec.user
        << (key.spec.team.empty() ? "" : " (" + key.spec.team + ")") << "  " << state_of(key, now) << "  "
        << limits_text(key.spec) << "  created " << utc_timestamp(key.created_ms)
        << (key.spec.expires_ms ? ", expires " + utc_timestamp(*key.spec.expires_ms) : "") << "\n";
  }
}

}  // namespace

int run_keys_command(const std::string& database_url, const KeysCommand& command, std::ostream& out,
                     std::ostream& err) {
  KeySpec spec;
  if (command.action == KeysCommand::Action::create) {
    try {
      spec.user = command.user;
      spec.team = command.team;
      spec.budget_usd = command.budget_usd;
      std::optional<BudgetPeriod> period = parse_budget_period(command.period);
      if (!period) throw std::invalid_argument("--period: expected day, week or month, got \"" + command.period + "\"");
      spec.period = *period;
      spec.rpm = command.rpm;
      spec.tpm = command.tpm;
      spec.tiers = parse_tiers(command.tiers);
      if (!command.expires.empty()) spec.expires_ms = parse_until(command.expires, now_ms());
      if (spec.user.empty()) throw std::invalid_argument("--user: a key needs a user");
    } catch (const std::invalid_argument& e) {
      err << "claudegpt keys create: " << e.what() << "\n";
      return 2;
    }
  }
  try {
    PgConnection db(database_url);
    migrate_gateway_schema(db);
    KeyStore keys(db);
    switch (command.action) {
      case KeysCommand::Action::create:
        print_issued(keys.create(spec), /*rotated=*/false, command.json, out);
        return 0;
      case KeysCommand::Action::list:
        print_list(keys.list(), command.json, out);
        return 0;
      case KeysCommand::Action::revoke: {
        std::optional<KeyInfo> key = keys.get(command.id);
        if (!key || !keys.revoke(command.id)) {
          err << "claudegpt keys revoke: no key " << command.id << " (`claudegpt keys list` shows them)\n";
          return 1;
        }
        out << "Revoked " << command.id << " (" << key->spec.user
            << "). Every gateway instance refuses it within a second.\n";
        return 0;
      }
      case KeysCommand::Action::rotate: {
        std::optional<IssuedKey> issued = keys.rotate(command.id);
        if (!issued) {
          err << "claudegpt keys rotate: no key " << command.id << " that is not revoked\n";
          return 1;
        }
        print_issued(*issued, /*rotated=*/true, command.json, out);
        return 0;
      }
    }
  } catch (const PgError& e) {
    err << "claudegpt keys: " << e.what() << "\n";
  } catch (const std::invalid_argument& e) {
    err << "claudegpt keys: " << e.what() << "\n";
    return 2;
  }
  return 1;
}

}  // namespace claudegpt
