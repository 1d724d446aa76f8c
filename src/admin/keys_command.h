// `claudegpt keys …`: a team gateway's virtual keys, managed in its database
// (CLAUDEGPT_DATABASE_URL, or libpq's PG* variables when that is empty).
//
//   keys create --user NAME [--team NAME] [--budget USD] [--period day|week|month] [--rpm N]
//               [--tpm N] [--tiers opus,sonnet,…] [--expires 90d|2027-03-01] [--json]
//   keys list [--json]      keys revoke ID      keys rotate ID [--json]
//
// A key's text is printed once, by create and rotate, and never stored: the database holds
// its hash (gateway/virtual_key.h). Each command brings the schema up to date first.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace claudegpt {

struct KeysCommand {
  enum class Action { create, list, revoke, rotate } action = Action::list;
  std::string id;  // revoke, rotate
  // create:
  std::string user;
  std::string team;
  std::optional<double> budget_usd;
  std::string period = "month";
  std::optional<int> rpm;
  std::optional<int> tpm;
  std::string tiers;    // comma-separated tier names
  std::string expires;  // a duration from now, or a UTC date
  bool json = false;
};

// Exit status: 0 done, 1 no such key or the database failed, 2 a bad argument. Errors go to
// `err` in one line each, the database's own message included.
int run_keys_command(const std::string& database_url, const KeysCommand& command, std::ostream& out,
                     std::ostream& err);

}  // namespace claudegpt
