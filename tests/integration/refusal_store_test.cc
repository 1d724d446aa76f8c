// The refusals kept across runs (<state dir>/refusals.json): once each, private, and a damaged
// file costs nothing but a failed request later.
#include "upstream/refusal_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace claudegpt {
namespace {

class RefusalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("claudegpt-refusals-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

const StoredRefusal kSummary{"openai", "https://api.openai.com/v1/responses", "gpt-5.5",
                             {"reasoning.summary", "", ""}, ""};

TEST_F(RefusalStoreTest, EachRefusalIsKeptOnceInAPrivateFile) {
  RefusalStore store(dir_ / "state" / "refusals.json");
  store.add(kSummary);
  store.add(kSummary);
  store.add({"openai", kSummary.endpoint, "gpt-5-mini", {"reasoning.effort", "xhigh", "high"}, ""});
  auto kept = store.load();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].refusal, kSummary.refusal);
  EXPECT_FALSE(kept[0].since.empty());
  EXPECT_EQ(kept[1].refusal.replacement, "high");
  struct stat info {};
  ASSERT_EQ(::stat(store.file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(store.clear(), 2u);
  EXPECT_TRUE(store.load().empty());
}

TEST_F(RefusalStoreTest, ADamagedFileIsNoneAndIsRewrittenWhole) {
  RefusalStore store(dir_ / "refusals.json");
  std::ofstream(store.file()) << "{not json";
  EXPECT_TRUE(store.load().empty());
  store.add(kSummary);
  EXPECT_EQ(store.load().size(), 1u);
}

TEST_F(RefusalStoreTest, WithoutAStateDirNothingIsKept) {
  RefusalStore store("");
  store.add(kSummary);
  EXPECT_TRUE(store.load().empty());
  EXPECT_EQ(store.clear(), 0u);
}

}  // namespace
}  // namespace claudegpt
