// A gateway instance's keys in memory, kept current by LISTEN/NOTIFY, on a real PostgreSQL.
#include "gateway/key_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "gateway/pg_connection.h"
#include "gateway/schema.h"
#include "test_database.h"

namespace claudegpt {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// How long `condition` took to hold, polled every millisecond; fails past `limit`.
std::chrono::milliseconds time_until(const std::function<bool()>& condition,
                                     std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto start = Clock::now();
  while (!condition()) {
    if (Clock::now() - start > limit) {
      ADD_FAILURE() << "not within " << limit.count() << " ms";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

KeySpec spec_of(std::string user) {
  KeySpec spec;
  spec.user = std::move(user);
  return spec;
}

class KeyCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url = testing::fresh_test_database();
    admin.emplace(url);
    migrate_gateway_schema(*admin);
    keys.emplace(*admin);
  }
  std::string url;
  std::optional<PgConnection> admin;  // what `claudegpt keys` does, on a connection of its own
  std::optional<KeyStore> keys;
};

TEST_F(KeyCacheTest, HoldsTheKeysThereWhenItStarts) {
  IssuedKey ada = keys->create(spec_of("ada"));
  IssuedKey bob = keys->create(spec_of("bob"));
  KeyCache cache(url);
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.find(ada.key));
  EXPECT_EQ(cache.find(ada.key)->spec.user, "ada");
  EXPECT_EQ(cache.find(bob.key)->id, bob.info.id);
  EXPECT_FALSE(cache.find("cgk-unknown"));
  EXPECT_EQ(cache.full_loads(), 1u);
}

TEST_F(KeyCacheTest, SeesANewKeyARevocationAndARotationWithinASecond) {
  KeyCache cache(url);
  IssuedKey ada = keys->create(spec_of("ada"));
  EXPECT_LT(time_until([&] { return cache.find(ada.key) != nullptr; }).count(), 1000);

  keys->revoke(ada.info.id);
  EXPECT_LT(time_until([&] { return !cache.find(ada.key)->usable(now_ms()); }).count(), 1000);

  IssuedKey bob = keys->create(spec_of("bob"));
  time_until([&] { return cache.find(bob.key) != nullptr; });
  std::optional<IssuedKey> rotated = keys->rotate(bob.info.id);
  ASSERT_TRUE(rotated);
  EXPECT_LT(time_until([&] { return cache.find(rotated->key) && !cache.find(bob.key); }).count(), 1000);
  EXPECT_EQ(cache.size(), 2u);
}

TEST_F(KeyCacheTest, AfterLosingItsConnectionItReloadsWhatChangedMeanwhile) {
  IssuedKey ada = keys->create(spec_of("ada"));
  std::vector<std::string> errors;
  std::mutex errors_mutex;
  KeyCache cache(url, [&](const std::string& e) {
    std::lock_guard lock(errors_mutex);
    errors.push_back(e);
  });
  // The database ends the listener's session (a restart, a failover, an admin): the only
  // other session on this test's database is the cache's.
  admin->exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
  keys->revoke(ada.info.id);  // (its notification may reach nobody)
  time_until([&] { return cache.full_loads() >= 2 && !cache.find(ada.key)->usable(now_ms()); });
  std::lock_guard lock(errors_mutex);
  EXPECT_THAT(errors, ::testing::Contains(::testing::HasSubstr("virtual keys:")));
}

TEST_F(KeyCacheTest, AGatewayDoesNotStartWithoutItsKeys) {
  EXPECT_THROW(KeyCache("postgres://postgres@127.0.0.1:1/none"), PgError);
}

}  // namespace
}  // namespace claudegpt
