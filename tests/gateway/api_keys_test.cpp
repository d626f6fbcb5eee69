#include "anvil/gateway/api_keys.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

#include "testing/temp_dir.h"

namespace anvil::gateway {
namespace {

using anvil::testing::TempDir;

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::KeyStore::open(db());
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_.emplace(std::move(s).value());
  }

  std::filesystem::path db() const { return dir_ / "anvil.db"; }

  IssuedKey issue(const std::string& name, store::ApiKeyLimits limits = {}) {
    auto k = issue_api_key(*store_, name, "acme", limits);
    EXPECT_TRUE(k.ok()) << k.status().to_string();
    return k.ok() ? *k : IssuedKey{};
  }

  std::unique_ptr<ApiKeys> open(std::string admin_key = "", std::chrono::milliseconds poll = {},
                                std::function<void()> on_reload = {}) {
    auto k = ApiKeys::open({.database = db(), .admin_key = std::move(admin_key), .poll_interval = poll,
                            .metrics = &metrics_, .on_reload = std::move(on_reload)});
    EXPECT_TRUE(k.ok()) << k.status().to_string();
    return k.ok() ? std::move(k).value() : nullptr;
  }

  TempDir dir_;
  core::MetricsRegistry metrics_;
  std::optional<store::KeyStore> store_;
};

TEST(ApiKeySecret, FormatAndRandomness) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto k = generate_api_key();
    ASSERT_TRUE(k.ok());
    ASSERT_EQ(k->size(), kApiKeyLength);
    EXPECT_TRUE(k->starts_with("ak-"));
    for (char c : k->substr(3)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << *k;
    seen.insert(*k);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ApiKeySecret, DigestIsSha256) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(digest_hex(api_key_digest("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(digests_equal(api_key_digest("x"), api_key_digest("x")));
  EXPECT_FALSE(digests_equal(api_key_digest("x"), api_key_digest("y")));
  EXPECT_EQ(api_key_prefix("ak-ABCDEFGHIJ"), "ak-ABCDEF");
}

TEST_F(ApiKeysTest, ThePlaintextKeyNeverReachesTheDatabase) {
  auto k = issue("ci");
  store_.reset();  // close the connection; the WAL stays beside the database
  std::string bytes = read_bytes(db()) + read_bytes(dir_ / "anvil.db-wal");
  // The scan finds what is stored (so it can see the key if it were there)...
  EXPECT_NE(bytes.find(digest_hex(api_key_digest(k.secret))), std::string::npos);
  EXPECT_NE(bytes.find(k.record.prefix), std::string::npos);
  // ...and neither the key nor its secret part after the listed prefix.
  EXPECT_EQ(bytes.find(k.secret), std::string::npos);
  EXPECT_EQ(bytes.find(k.secret.substr(kApiKeyPrefixLength)), std::string::npos);
}

TEST_F(ApiKeysTest, AuthenticatesAnIssuedKeyWithItsLimits) {
  auto k = issue("ci", {.requests_per_minute = 60, .tokens_per_minute = 5000, .budget_usd = 1.5});
  issue("other");
  auto keys = open();
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 2u);
  auto p = keys->authenticate(k.secret);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_EQ((*p)->key_id, std::to_string(k.record.id));
  EXPECT_EQ((*p)->name, "ci");
  EXPECT_EQ((*p)->tenant, "acme");
  EXPECT_EQ((*p)->prefix, k.secret.substr(0, 9));
  EXPECT_EQ((*p)->limits.requests_per_minute, 60);
  EXPECT_EQ((*p)->limits.tokens_per_minute, 5000);
  EXPECT_EQ((*p)->limits.budget_usd, 1.5);
  EXPECT_FALSE((*p)->admin);
  auto h = keys->authenticate_header("Bearer " + k.secret);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->get(), p->get());
  EXPECT_TRUE(keys->authenticate_header("bearer   " + k.secret + " ").ok());
}

TEST_F(ApiKeysTest, UnknownMalformedAndMissingKeys) {
  auto k = issue("ci");
  auto keys = open();
  std::string unknown = k.secret;
  unknown.back() = unknown.back() == 'A' ? 'B' : 'A';
  auto u = keys->authenticate(unknown);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), core::StatusCode::kPermissionDenied);
  EXPECT_EQ(u.status().message(),
            "invalid API key: no key of this server matches it (revoked keys are reported as revoked)");

  auto m = keys->authenticate("sk-1234");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "invalid API key: expected 'ak-' followed by 43 characters (a key made by `anvil keys create`), "
            "found 7 characters of another form");

  EXPECT_EQ(keys->authenticate("").status().message(), "missing API key: expected 'Authorization: Bearer <key>'");
  EXPECT_EQ(keys->authenticate_header("").status().message(),
            "missing API key: expected 'Authorization: Bearer <key>'");
  EXPECT_EQ(keys->authenticate_header("Basic dXNlcjpwYXNz").status().message(),
            "expected 'Authorization: Bearer <key>', found the scheme 'Basic'");
  // A key sent without "Bearer " is not echoed back.
  auto bare = keys->authenticate_header(k.secret);
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.status().message(), "expected 'Authorization: Bearer <key>', found no 'Bearer' scheme");
}

TEST_F(ApiKeysTest, RevocationByAnotherProcessIsSeenAfterARefresh) {
  auto k = issue("ci");
  auto keys = open();
  ASSERT_TRUE(keys->authenticate(k.secret).ok());

  auto cli = store::KeyStore::open(db());  // the CLI's own connection
  ASSERT_TRUE(cli.ok());
  auto revoked = cli->revoke("ci");
  ASSERT_TRUE(revoked.ok());
  auto r = keys->refresh();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(*r);
  auto denied = keys->authenticate(k.secret);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().message(),
            "API key " + k.secret.substr(0, 9) + " ('ci') was revoked at " + *revoked->revoked_at);
  EXPECT_EQ(denied.status().message().find(k.secret), std::string::npos);
  // Nothing changed since: no reload.
  EXPECT_FALSE(*keys->refresh());
}

TEST_F(ApiKeysTest, ThePollerPicksUpNewAndRevokedKeys) {
  std::mutex mu;
  std::condition_variable cv;
  int reloads = 0;
  auto keys = open("", std::chrono::milliseconds(5), [&] {
    std::lock_guard lock(mu);
    ++reloads;
    cv.notify_all();
  });
  auto wait_for_reload = [&](int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return reloads >= n; });
  };
  auto k = issue("late");
  wait_for_reload(1);
  EXPECT_TRUE(keys->authenticate(k.secret).ok());
  ASSERT_TRUE(store_->revoke("late").ok());
  wait_for_reload(2);
  EXPECT_FALSE(keys->authenticate(k.secret).ok());
}

TEST_F(ApiKeysTest, AdminKeyFromTheSecretsIsNeverStored) {
  const std::string admin = "adm-0123456789-secret";
  auto keys = open(admin);
  auto p = keys->authenticate(admin);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)->admin);
  EXPECT_EQ((*p)->key_id, "");
  EXPECT_EQ((*p)->limits.requests_per_minute, 0);
  EXPECT_FALSE(keys->authenticate(admin + "x").ok());
  EXPECT_FALSE(keys->authenticate(admin.substr(0, admin.size() - 1)).ok());
  EXPECT_EQ(keys->size(), 0u);
  keys.reset();
  store_.reset();
  std::string bytes = read_bytes(db()) + read_bytes(dir_ / "anvil.db-wal");
  EXPECT_EQ(bytes.find(admin), std::string::npos);
}

}  // namespace
}  // namespace anvil::gateway
