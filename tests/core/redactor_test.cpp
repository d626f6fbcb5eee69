#include "anvil/core/redactor.h"

#include <gtest/gtest.h>

#include "anvil/core/status.h"

namespace anvil::core {
namespace {

TEST(RedactorTest, ReplacesEveryOccurrenceWithTheName) {
  Redactor r;
  EXPECT_TRUE(r.add("OPENAI_API_KEY", "sk-abc123"));
  EXPECT_EQ(r.redact("key=sk-abc123 again sk-abc123."),
            "key=[REDACTED:OPENAI_API_KEY] again [REDACTED:OPENAI_API_KEY].");
  EXPECT_EQ(r.redact("nothing secret here"), "nothing secret here");
  EXPECT_EQ(r.redact(""), "");
}

TEST(RedactorTest, ShortValuesAreNotRegistered) {
  Redactor r;
  EXPECT_FALSE(r.add("PIN", "123"));
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.redact("123"), "123");
  EXPECT_TRUE(r.add("PIN4", "1234"));
  EXPECT_EQ(r.redact("a1234b"), "a[REDACTED:PIN4]b");
}

TEST(RedactorTest, LongerValueWinsWhenOneContainsAnother) {
  Redactor r;
  r.add("SHORT", "abcd");
  r.add("LONG", "abcdefgh");
  EXPECT_EQ(r.redact("xabcdefghx abcdx"), "x[REDACTED:LONG]x [REDACTED:SHORT]x");
}

TEST(RedactorTest, ReplacementTextIsNotRedactedAgain) {
  Redactor r;
  r.add("A", "secret-value");
  r.add("B", "REDACTED");  // a silly secret that occurs in the replacement text
  EXPECT_EQ(r.redact("secret-value"), "[REDACTED:A]");
}

TEST(RedactorTest, DuplicateValuesKeepTheFirstNameAndRotationKeepsBoth) {
  Redactor r;
  r.add("KEY", "old-secret");
  r.add("OTHER", "old-secret");
  r.add("KEY", "new-secret");
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r.redact("old-secret new-secret"), "[REDACTED:KEY] [REDACTED:KEY]");
  r.clear();
  EXPECT_EQ(r.redact("old-secret"), "old-secret");
}

TEST(RedactorTest, ChineseTextAroundSecretsIsKept) {
  Redactor r;
  r.add("TOKEN", "令牌-9f8e7d");
  EXPECT_EQ(r.redact("使用令牌-9f8e7d登录"), "使用[REDACTED:TOKEN]登录");
}

TEST(RedactorTest, StatusToStringIsRedactedWithTheGlobalRedactor) {
  Redactor::global().add("UPSTREAM_KEY", "sk-status-test-4242");
  Status s = Status::unavailable("upstream rejected key sk-status-test-4242");
  EXPECT_EQ(s.to_string(), "unavailable: upstream rejected key [REDACTED:UPSTREAM_KEY]");
  // message() stays raw for code that must compare it; to_string() is the printable form.
  EXPECT_EQ(s.message(), "upstream rejected key sk-status-test-4242");
  EXPECT_EQ(redact("sk-status-test-4242"), "[REDACTED:UPSTREAM_KEY]");
}

}  // namespace
}  // namespace anvil::core
