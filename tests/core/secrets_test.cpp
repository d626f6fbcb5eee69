#include "anvil/core/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testing/temp_dir.h"

namespace anvil::core {
namespace {

class SecretsTest : public ::testing::Test {
 protected:
  SecretStore open(Environment env, bool with_dotenv = true) {
    SecretStoreOptions options;
    options.environment = std::move(env);
    options.secrets_dir = dir_ / "run-secrets";
    if (with_dotenv) options.dotenv_path = dir_ / ".env";
    options.redactor = &redactor_;
    Result<SecretStore> store = SecretStore::open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status().to_string();
    return std::move(store).value();
  }

  testing::TempDir dir_;
  Redactor redactor_;
};

TEST_F(SecretsTest, EnvironmentComesFirst) {
  dir_.write("run-secrets/API_KEY", "from-dir\n");
  dir_.write(".env", "API_KEY=from-dotenv\n");
  SecretStore store = open({{"API_KEY", "from-env"}});
  Result<Secret> s = store.resolve("API_KEY");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->value, "from-env");
  EXPECT_EQ(s->source, "environment API_KEY");
}

TEST_F(SecretsTest, FileNamedByEnvironmentIsTrimmed) {
  auto path = dir_.write("keys/openai", "sk-from-file\r\n\n");
  dir_.write("run-secrets/API_KEY", "from-dir\n");
  SecretStore store = open({{"API_KEY", ""}, {"API_KEY_FILE", path.string()}});
  Result<Secret> s = store.resolve("API_KEY");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->value, "sk-from-file");
  EXPECT_EQ(s->source, "file " + path.string() + " (environment API_KEY_FILE)");
}

TEST_F(SecretsTest, MissingFileNamedByEnvironmentIsAnError) {
  SecretStore store = open({{"API_KEY_FILE", (dir_ / "nope").string()}});
  Result<Secret> s = store.resolve("API_KEY");
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.status().message(), "secret 'API_KEY' (environment API_KEY_FILE): " +
                                       (dir_ / "nope").string() +
                                       ": cannot read: No such file or directory");
}

TEST_F(SecretsTest, EmptySecretFileIsAnError) {
  auto path = dir_.write("empty", "\n");
  SecretStore store = open({{"API_KEY_FILE", path.string()}});
  EXPECT_EQ(store.resolve("API_KEY").status().message(),
            "secret 'API_KEY' (environment API_KEY_FILE): file '" + path.string() +
                "' is empty");
}

TEST_F(SecretsTest, SecretsDirectoryExactThenLowerCaseName) {
  dir_.write("run-secrets/admin_key", "lower\n");
  SecretStore store = open({});
  Result<Secret> s = store.resolve("ADMIN_KEY");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->value, "lower");
  EXPECT_EQ(s->source, "file " + (dir_ / "run-secrets/admin_key").string());

  dir_.write("run-secrets/ADMIN_KEY", "exact");
  EXPECT_EQ(*store.get("ADMIN_KEY"), "exact");  // read on every call: rotation is picked up
}

TEST_F(SecretsTest, DotenvIsTheLastResort) {
  dir_.write(".env", "# dev\nDB_PASSWORD='p@ss word'\nBLANK=\n");
  SecretStore store = open({});
  Result<Secret> s = store.resolve("DB_PASSWORD");
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->value, "p@ss word");
  EXPECT_EQ(s->source, (dir_ / ".env").string() + ":2");
  EXPECT_EQ(store.resolve("BLANK").status().code(), StatusCode::kNotFound);
}

TEST_F(SecretsTest, NotFoundListsWhereItLookedAndNeverAValue) {
  SecretStore store = open({{"OTHER", "x"}});
  Result<Secret> s = store.resolve("OPENAI_API_KEY");
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  const std::string d = (dir_ / "run-secrets").string();
  EXPECT_EQ(s.status().message(),
            "secret 'OPENAI_API_KEY' is not set (looked in: environment OPENAI_API_KEY, "
            "environment OPENAI_API_KEY_FILE, " +
                d + "/OPENAI_API_KEY, " + d + "/openai_api_key, " + (dir_ / ".env").string() +
                ")");
}

TEST_F(SecretsTest, LowerCaseNameIsLookedUpOnce) {
  SecretStoreOptions options;
  options.secrets_dir = "/nonexistent-anvil-secrets";
  options.redactor = &redactor_;
  Result<SecretStore> store = SecretStore::open(std::move(options));
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->resolve("token").status().message(),
            "secret 'token' is not set (looked in: environment token, environment token_FILE, "
            "/nonexistent-anvil-secrets/token)");
}

TEST_F(SecretsTest, InvalidNamesCannotEscapeTheSecretsFolder) {
  SecretStore store = open({});
  EXPECT_EQ(store.resolve("../etc/passwd").status().message(),
            "invalid secret name '../etc/passwd': expected letters, digits and '_', not starting "
            "with a digit");
  EXPECT_EQ(store.resolve("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.resolve("9KEY").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SecretsTest, MalformedDotenvFailsOpenWithTheLine) {
  dir_.write(".env", "GOOD=1\nsk-proj-leaked-value\n");
  SecretStoreOptions options;
  options.dotenv_path = dir_ / ".env";
  options.redactor = &redactor_;
  Result<SecretStore> store = SecretStore::open(std::move(options));
  EXPECT_EQ(store.status().message(),
            (dir_ / ".env").string() + ":2: expected KEY=VALUE, found a line without '='");
}

TEST_F(SecretsTest, MissingDotenvIsSkipped) {
  SecretStore store = open({{"K", "value-1"}});  // no .env written
  EXPECT_EQ(*store.get("K"), "value-1");
}

TEST_F(SecretsTest, UnreadableSecretFileIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files regardless of permissions";
  auto path = dir_.write("run-secrets/LOCKED", "x");
  ::chmod(path.c_str(), 0);
  SecretStore store = open({});
  Result<Secret> s = store.resolve("LOCKED");
  EXPECT_EQ(s.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(SecretsTest, SecretEntryThatCannotBeReadIsAnErrorNotAFallThrough) {
  // A folder where a secret file should be: unreadable as a file, whoever runs the test.
  std::filesystem::create_directories(dir_ / "run-secrets" / "MOUNTED");
  dir_.write(".env", "MOUNTED=stale-dev-value\n");
  SecretStore store = open({});
  Result<Secret> s = store.resolve("MOUNTED");
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(), "secret 'MOUNTED': " + (dir_ / "run-secrets" / "MOUNTED").string() +
                                      ": cannot read: Is a directory");
}

TEST_F(SecretsTest, ResolvedValuesAreRegisteredForRedaction) {
  dir_.write("run-secrets/LONG_KEY", "sk-registered-1234\n");
  SecretStore store = open({{"PIN", "123"}});
  ASSERT_TRUE(store.get("LONG_KEY").ok());
  ASSERT_TRUE(store.get("PIN").ok());
  EXPECT_EQ(redactor_.redact("auth sk-registered-1234 pin 123"),
            "auth [REDACTED:LONG_KEY] pin 123");
}

}  // namespace
}  // namespace anvil::core
