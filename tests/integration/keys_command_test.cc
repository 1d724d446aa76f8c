// `claudegpt keys …` against a real PostgreSQL: what an admin types, and what it prints.
#include "admin/keys_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <sstream>

#include "test_database.h"

namespace claudegpt {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Output {
  int status;
  std::string out;
  std::string err;
};

Output run(const std::string& url, KeysCommand command) {
  std::ostringstream out, err;
  int status = run_keys_command(url, command, out, err);
  return {status, out.str(), err.str()};
}

KeysCommand create_for(std::string user) {
  KeysCommand command;
  command.action = KeysCommand::Action::create;
  command.user = std::move(user);
  return command;
}

TEST(KeysCommand, CreatePrintsTheKeyOnceAndListNeverShowsIt) {
  std::string url = testing::fresh_test_database();
  KeysCommand create = create_for("ada");
  create.team = "compilers";
  create.budget_usd = 25;
  create.period = "week";
  create.rpm = 30;
  create.tiers = "sonnet,haiku";
  create.expires = "90d";
  Output created = run(url, create);
  ASSERT_EQ(created.status, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("team compilers; budget $25.00 a week, 30 requests/min, tiers sonnet,haiku"));
  EXPECT_THAT(created.out, HasSubstr("shown this once"));
  std::string key = created.out.substr(created.out.find("\ncgk-") + 1, 47);

  Output listed = run(url, KeysCommand{});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr(key.substr(0, 10) + "…  ada (compilers)  active"));
  EXPECT_THAT(listed.out, Not(HasSubstr(key)));

  KeysCommand list_json;
  list_json.json = true;
  boost::json::array keys = boost::json::parse(run(url, list_json).out).as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].at("user"), "ada");
  EXPECT_EQ(keys[0].at("budget_usd").as_double(), 25.0);
  EXPECT_EQ(keys[0].at("state"), "active");
  EXPECT_FALSE(keys[0].as_object().contains("key"));
}

TEST(KeysCommand, JsonCreateHoldsTheIdAndTheKey) {
  std::string url = testing::fresh_test_database();
  KeysCommand create = create_for("bob");
  create.json = true;
  Output created = run(url, create);
  ASSERT_EQ(created.status, 0) << created.err;
  boost::json::object key = boost::json::parse(created.out).as_object();
  EXPECT_THAT(std::string(key.at("id").as_string()), ::testing::StartsWith("key_"));
  EXPECT_THAT(std::string(key.at("key").as_string()), ::testing::StartsWith("cgk-"));
  EXPECT_TRUE(key.at("budget_usd").is_null());
}

TEST(KeysCommand, RevokeAndRotateNameTheKeyById) {
  std::string url = testing::fresh_test_database();
  KeysCommand create = create_for("ada");
  create.json = true;
  boost::json::object key = boost::json::parse(run(url, create).out).as_object();
  std::string id(key.at("id").as_string());

  KeysCommand rotate;
  rotate.action = KeysCommand::Action::rotate;
  rotate.id = id;
  Output rotated = run(url, rotate);
  ASSERT_EQ(rotated.status, 0) << rotated.err;
  EXPECT_THAT(rotated.out, HasSubstr("New secret for " + id));
  EXPECT_THAT(rotated.out, HasSubstr("The old secret no longer works."));

  KeysCommand revoke;
  revoke.action = KeysCommand::Action::revoke;
  revoke.id = id;
  Output revoked = run(url, revoke);
  ASSERT_EQ(revoked.status, 0) << revoked.err;
  EXPECT_THAT(revoked.out, HasSubstr("Revoked " + id + " (ada)"));
  EXPECT_THAT(run(url, KeysCommand{}).out, HasSubstr("ada  revoked"));

  EXPECT_EQ(run(url, rotate).status, 1);
  revoke.id = "key_none";
  Output missing = run(url, revoke);
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, HasSubstr("no key key_none"));
}

TEST(KeysCommand, BadArgumentsAreRefusedBeforeTheDatabaseIsAsked) {
  const std::string nowhere = "postgres://postgres@127.0.0.1:1/none";
  KeysCommand create = create_for("ada");
  create.tiers = "sonnet,gpt";
  Output tiers = run(nowhere, create);
  EXPECT_EQ(tiers.status, 2);
  EXPECT_THAT(tiers.err, HasSubstr("\"gpt\" is not a tier"));
  create = create_for("ada");
  create.period = "year";
  EXPECT_THAT(run(nowhere, create).err, HasSubstr("--period: expected day, week or month"));
  create = create_for("ada");
  create.expires = "soon";
  EXPECT_THAT(run(nowhere, create).err, HasSubstr("--expires: expected a duration"));
}

TEST(KeysCommand, AnUnreachableDatabaseIsOneLineAndStatus1) {
  Output listed = run("postgres://postgres@127.0.0.1:1/none", KeysCommand{});
  EXPECT_EQ(listed.status, 1);
  EXPECT_THAT(listed.err, HasSubstr("claudegpt keys: cannot connect to PostgreSQL"));
}

}  // namespace
}  // namespace claudegpt
