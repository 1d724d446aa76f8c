// The team gateway's schema and virtual keys, on a real PostgreSQL (tests/lib/temp_postgres).
#include "gateway/key_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <set>
#include <thread>

#include "gateway/pg_connection.h"
#include "gateway/schema.h"
#include "gateway/virtual_key.h"
#include "test_database.h"

namespace claudegpt {
namespace {

using testing::fresh_test_database;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// A spec for `user`, changed by `edit`.
template <typename Edit = void (*)(KeySpec&)>
KeySpec spec_of(std::string user, Edit edit = [](KeySpec&) {}) {
  KeySpec spec;
  spec.user = std::move(user);
  edit(spec);
  return spec;
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url = fresh_test_database();
    db.emplace(url);
    migrate_gateway_schema(*db);
    keys.emplace(*db);
  }
  std::string url;
  std::optional<PgConnection> db;
  std::optional<KeyStore> keys;
};

TEST(GatewaySchema, InstancesStartingTogetherApplyEachVersionOnce) {
  std::string url = fresh_test_database();
  std::vector<std::thread> instances;
  std::vector<int> versions(3, -1);
  for (int i = 0; i < 3; ++i)
    instances.emplace_back([&, i] {
      PgConnection db(url);
      versions[i] = migrate_gateway_schema(db);
    });
  for (std::thread& t : instances) t.join();
  EXPECT_THAT(versions, ::testing::Each(kGatewaySchemaVersion));
  PgConnection db(url);
  PgResult rows = db.exec("SELECT version FROM claudegpt_schema ORDER BY version");
  ASSERT_EQ(rows.rows(), kGatewaySchemaVersion);
  EXPECT_EQ(rows.text(0, 0), "1");
  EXPECT_EQ(migrate_gateway_schema(db), kGatewaySchemaVersion);  // again: nothing to do
  EXPECT_EQ(db.exec("SELECT count(*) FROM claudegpt_schema").text(0, 0), std::to_string(kGatewaySchemaVersion));
}

TEST(GatewaySchema, AnUnreachableDatabaseIsAnErrorNamingIt) {
  try {
    PgConnection db("postgres://postgres@127.0.0.1:1/none?connect_timeout=2");
    FAIL() << "connected";
  } catch (const PgError& e) {
    EXPECT_TRUE(e.connection_lost());
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot connect to PostgreSQL"));
  }
}

TEST(VirtualKey, IsThePrefixAnd256RandomBitsInBase64Url) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string key = new_virtual_key();
    ASSERT_TRUE(looks_like_virtual_key(key)) << key;
    EXPECT_EQ(key.size(), 4u + 43u);
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_FALSE(looks_like_virtual_key("cgk-short"));
  EXPECT_FALSE(looks_like_virtual_key("sk-" + std::string(44, 'a')));
  EXPECT_EQ(virtual_key_hash("cgk-x").size(), 32u);
  EXPECT_EQ(virtual_key_prefix("cgk-ABCDEFGHIJ"), "cgk-ABCDEF");
}

TEST_F(KeyStoreTest, ACreatedKeyIsFoundByItsTextAndListedByPrefixOnly) {
  KeySpec spec;
  spec.user = "ada";
  spec.team = "compilers";
  spec.budget_usd = 12.5;
  spec.period = BudgetPeriod::week;
  spec.rpm = 60;
  spec.tpm = 200000;
  spec.tiers = {"sonnet", "haiku"};
  IssuedKey issued = keys->create(spec);
  EXPECT_TRUE(looks_like_virtual_key(issued.key));
  EXPECT_THAT(issued.info.id, ::testing::StartsWith("key_"));

  std::optional<KeyInfo> found = keys->find_by_key(issued.key);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, issued.info.id);
  EXPECT_EQ(found->spec.user, "ada");
  EXPECT_EQ(found->spec.team, "compilers");
  EXPECT_EQ(found->spec.budget_usd, 12.5);
  EXPECT_EQ(found->spec.period, BudgetPeriod::week);
  EXPECT_EQ(found->spec.rpm, 60);
  EXPECT_EQ(found->spec.tpm, 200000);
  EXPECT_THAT(found->spec.tiers, ::testing::ElementsAre("sonnet", "haiku"));
  EXPECT_NEAR(static_cast<double>(found->created_ms), static_cast<double>(now_ms()), 60'000);
  EXPECT_TRUE(found->usable(now_ms()));

  std::vector<KeyInfo> listed = keys->list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].prefix, issued.key.substr(0, 10));
  // The database holds no key text, only its hash.
  PgResult raw = db->exec("SELECT row_to_json(keys)::text FROM keys");
  EXPECT_THAT(std::string(raw.text(0, 0)), ::testing::Not(::testing::HasSubstr(issued.key.substr(10))));

  EXPECT_FALSE(keys->find_by_key(new_virtual_key()));
}

TEST_F(KeyStoreTest, AKeyWithoutLimitsHasNone) {
  IssuedKey issued = keys->create(spec_of("bob"));
  KeyInfo info = *keys->get(issued.info.id);
  EXPECT_EQ(info.spec.team, "");
  EXPECT_FALSE(info.spec.budget_usd);
  EXPECT_EQ(info.spec.period, BudgetPeriod::month);
  EXPECT_FALSE(info.spec.rpm);
  EXPECT_FALSE(info.spec.tpm);
  EXPECT_TRUE(info.spec.tiers.empty());
  EXPECT_FALSE(info.spec.expires_ms);
  EXPECT_FALSE(keys->get("key_none"));
}

TEST_F(KeyStoreTest, ARevokedKeyIsNoLongerUsableAndKeepsItsFirstRevocationTime) {
  IssuedKey issued = keys->create(spec_of("ada"));
  ASSERT_TRUE(keys->revoke(issued.info.id));
  KeyInfo revoked = *keys->find_by_key(issued.key);
  ASSERT_TRUE(revoked.revoked_ms);
  EXPECT_FALSE(revoked.usable(now_ms()));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(keys->revoke(issued.info.id));
  EXPECT_EQ(keys->get(issued.info.id)->revoked_ms, revoked.revoked_ms);
  EXPECT_FALSE(keys->revoke("key_none"));
}

TEST_F(KeyStoreTest, RotatingGivesANewSecretToTheSameKeyAndRetiresTheOldOne) {
  IssuedKey issued = keys->create(spec_of("ada", [](KeySpec& s) { s.budget_usd = 5.0; }));
  std::optional<IssuedKey> rotated = keys->rotate(issued.info.id);
  ASSERT_TRUE(rotated);
  EXPECT_NE(rotated->key, issued.key);
  EXPECT_EQ(rotated->info.id, issued.info.id);
  EXPECT_EQ(rotated->info.spec.budget_usd, 5.0);
  EXPECT_TRUE(rotated->info.rotated_ms);
  EXPECT_FALSE(keys->find_by_key(issued.key));
  EXPECT_EQ(keys->find_by_key(rotated->key)->id, issued.info.id);

  ASSERT_TRUE(keys->revoke(issued.info.id));
  EXPECT_FALSE(keys->rotate(issued.info.id));  // a revoked key stays revoked
  EXPECT_FALSE(keys->rotate("key_none"));
}

TEST_F(KeyStoreTest, AnExpiredKeyIsNotUsable) {
  IssuedKey issued = keys->create(spec_of("ada", [](KeySpec& s) { s.expires_ms = now_ms() - 1000; }));
  EXPECT_FALSE(keys->find_by_key(issued.key)->usable(now_ms()));
  IssuedKey later = keys->create(spec_of("ada", [](KeySpec& s) { s.expires_ms = now_ms() + 3'600'000; }));
  EXPECT_TRUE(keys->find_by_key(later.key)->usable(now_ms()));
}

TEST_F(KeyStoreTest, ASpecThatCannotBeStoredIsRefused) {
  EXPECT_THROW(keys->create(spec_of("")), std::invalid_argument);
  EXPECT_THROW(keys->create(spec_of("ada", [](KeySpec& s) { s.tiers = {"opus}"}; })), std::invalid_argument);
  EXPECT_THROW(keys->create(spec_of("ada", [](KeySpec& s) { s.budget_usd = -1.0; })), std::invalid_argument);
  EXPECT_THROW(keys->create(spec_of("ada", [](KeySpec& s) { s.rpm = 0; })), std::invalid_argument);
  EXPECT_TRUE(keys->list().empty());
}

TEST_F(KeyStoreTest, EveryChangeIsAnnouncedToListeners) {
  PgConnection listener(url);
  listener.exec("LISTEN " + std::string(kKeysChannel));
  IssuedKey issued = keys->create(spec_of("ada"));
  keys->rotate(issued.info.id);
  keys->revoke(issued.info.id);
  std::vector<std::string> ids;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (ids.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{listener.socket(), POLLIN, 0};
    ::poll(&fd, 1, 100);
    for (auto& [channel, payload] : listener.notifications()) {
      EXPECT_EQ(channel, kKeysChannel);
      ids.push_back(payload);
    }
  }
  EXPECT_THAT(ids, ::testing::ElementsAre(issued.info.id, issued.info.id, issued.info.id));
}

}  // namespace
}  // namespace claudegpt
