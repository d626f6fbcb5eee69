#include "anvil/store/key_store.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace anvil::store {
namespace {

using anvil::testing::TempDir;

std::string hash_of(char c) { return std::string(64, c); }

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = KeyStore::open(dir_ / "anvil.db");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_.emplace(std::move(s).value());
  }

  ApiKeyRecord create(const std::string& name, char hash, ApiKeyLimits limits = {}) {
    auto k = store_->create({.name = name, .tenant = "acme", .prefix = "ak-abc", .key_sha256 = hash_of(hash),
                             .limits = limits});
    EXPECT_TRUE(k.ok()) << k.status().to_string();
    return k.ok() ? *k : ApiKeyRecord{};
  }

  TempDir dir_;
  std::optional<KeyStore> store_;
};

TEST_F(KeyStoreTest, StoresNameTenantLimitsAndHash) {
  auto k = create("ci", 'a', {.requests_per_minute = 60, .tokens_per_minute = 10000, .budget_usd = 2.5});
  EXPECT_EQ(k.id, 1);
  auto found = store_->find("ci");
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  EXPECT_EQ(found->tenant, "acme");
  EXPECT_EQ(found->prefix, "ak-abc");
  EXPECT_EQ(found->key_sha256, hash_of('a'));
  EXPECT_EQ(found->limits.requests_per_minute, 60);
  EXPECT_EQ(found->limits.tokens_per_minute, 10000);
  EXPECT_EQ(found->limits.budget_usd, 2.5);
  EXPECT_FALSE(found->revoked());
  EXPECT_EQ(found->created_at.size(), std::string("2026-01-01T00:00:00Z").size());
}

TEST_F(KeyStoreTest, AbsentLimitsStayAbsent) {
  create("free", 'b');
  auto found = store_->find("1");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->name, "free");
  EXPECT_FALSE(found->limits.requests_per_minute.has_value());
  EXPECT_FALSE(found->limits.tokens_per_minute.has_value());
  EXPECT_FALSE(found->limits.budget_usd.has_value());
}

TEST_F(KeyStoreTest, RejectsBadNamesLimitsAndDuplicates) {
  auto bad = store_->create({.name = "7up", .tenant = "acme", .prefix = "ak-x", .key_sha256 = hash_of('c')});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "name: expected 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter, found '7up'");
  auto zero = store_->create({.name = "z", .tenant = "acme", .prefix = "ak-x", .key_sha256 = hash_of('c'),
                              .limits = {.requests_per_minute = 0}});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "rpm: expected a positive number, found 0");
  auto short_hash = store_->create({.name = "h", .tenant = "acme", .prefix = "ak-x", .key_sha256 = "abc"});
  ASSERT_FALSE(short_hash.ok());
  EXPECT_EQ(short_hash.status().code(), core::StatusCode::kInvalidArgument);

  create("ci", 'd');
  auto dup = store_->create({.name = "ci", .tenant = "acme", .prefix = "ak-x", .key_sha256 = hash_of('e')});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), core::StatusCode::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "an API key named 'ci' already exists");
  auto same_hash = store_->create({.name = "other", .tenant = "acme", .prefix = "ak-x", .key_sha256 = hash_of('d')});
  ASSERT_FALSE(same_hash.ok());
  EXPECT_EQ(same_hash.status().code(), core::StatusCode::kAlreadyExists);
}

TEST_F(KeyStoreTest, RevokeByNameOrIdOnce) {
  create("a", '1');
  create("b", '2');
  auto r = store_->revoke("a");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->revoked());
  auto by_id = store_->revoke("2");
  ASSERT_TRUE(by_id.ok()) << by_id.status().to_string();
  EXPECT_EQ(by_id->name, "b");

  auto again = store_->revoke("a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.status().message(), "API key 1 'a' was already revoked at " + *r->revoked_at);

  auto list = store_->list();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_TRUE((*list)[0].revoked());
  EXPECT_TRUE((*list)[1].revoked());
}

TEST_F(KeyStoreTest, UnknownKeyListsExisting) {
  auto none = store_->find("ghost");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "no API key with name 'ghost' (there are no keys yet)");
  create("ci", 'f');
  auto missing = store_->revoke("9");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "no API key with id 9 (existing: 1 ci)");
}

TEST_F(KeyStoreTest, ChangeCounterSeesOtherConnections) {
  auto other = KeyStore::open(dir_ / "anvil.db");
  ASSERT_TRUE(other.ok());
  auto c0 = store_->change_counter();
  ASSERT_TRUE(c0.ok());
  ASSERT_TRUE(other->create({.name = "x", .tenant = "t", .prefix = "ak-x", .key_sha256 = hash_of('9')}).ok());
  auto c1 = store_->change_counter();
  ASSERT_TRUE(c1.ok());
  EXPECT_GT(*c1, *c0);
  ASSERT_TRUE(other->revoke("x").ok());
  auto c2 = store_->change_counter();
  ASSERT_TRUE(c2.ok());
  EXPECT_GT(*c2, *c1);
  // A failed revoke changes nothing.
  ASSERT_FALSE(other->revoke("x").ok());
  EXPECT_EQ(*store_->change_counter(), *c2);
}

}  // namespace
}  // namespace anvil::store
