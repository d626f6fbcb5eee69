#include "anvil/core/dotenv.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace anvil::core {
namespace {

DotenvEntries parse_ok(std::string_view text) {
  Result<DotenvEntries> r = parse_dotenv(text, ".env");
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : DotenvEntries{};
}

std::string parse_error(std::string_view text) {
  Result<DotenvEntries> r = parse_dotenv(text, ".env");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(DotenvTest, ParsesTheCommonForms) {
  DotenvEntries e = parse_ok(
      "# upstream keys\n"
      "\n"
      "OPENAI_API_KEY=sk-123\n"
      "export ADMIN_KEY = admin-456   \n"
      "  SPACED=  padded value  # trailing comment\n"
      "HASH=pa#ss\n"
      "SINGLE='no $expansion \\n here'\n"
      "DOUBLE=\"tab\\there \\\"quoted\\\" \\\\ \\$HOME\"  # comment\n"
      "EMPTY=\n"
      "CHINESE=密钥值\n"
      "WINDOWS=crlf\r\n");
  EXPECT_EQ(e.size(), 9u);
  EXPECT_EQ(e.at("OPENAI_API_KEY").value, "sk-123");
  EXPECT_EQ(e.at("OPENAI_API_KEY").line, 3);
  EXPECT_EQ(e.at("ADMIN_KEY").value, "admin-456");
  EXPECT_EQ(e.at("SPACED").value, "padded value");
  EXPECT_EQ(e.at("HASH").value, "pa#ss");
  EXPECT_EQ(e.at("SINGLE").value, "no $expansion \\n here");
  EXPECT_EQ(e.at("DOUBLE").value, "tab\there \"quoted\" \\ $HOME");
  EXPECT_EQ(e.at("EMPTY").value, "");
  EXPECT_EQ(e.at("CHINESE").value, "密钥值");
  EXPECT_EQ(e.at("WINDOWS").value, "crlf");
  EXPECT_EQ(e.at("WINDOWS").line, 11);
}

TEST(DotenvTest, QuotedValuesMaySpanLines) {
  DotenvEntries e = parse_ok(
      "PEM=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\n"
      "AFTER=1\n"
      "RAW='a\nb'\n");
  EXPECT_EQ(e.at("PEM").value, "-----BEGIN KEY-----\nabc\n-----END KEY-----");
  EXPECT_EQ(e.at("PEM").line, 1);
  EXPECT_EQ(e.at("AFTER").line, 4);
  EXPECT_EQ(e.at("RAW").value, "a\nb");
  EXPECT_EQ(e.at("RAW").line, 5);
}

TEST(DotenvTest, LastAssignmentWins) {
  DotenvEntries e = parse_ok("K=first\nK=second\n");
  EXPECT_EQ(e.at("K").value, "second");
  EXPECT_EQ(e.at("K").line, 2);
}

TEST(DotenvTest, ErrorsNameTheLineButNeverEchoIt) {
  EXPECT_EQ(parse_error("OK=1\nsk-live-4f9a8b7c6d\n"),
            ".env:2: expected KEY=VALUE, found a line without '='");
  EXPECT_EQ(parse_error("1ST=x\n"),
            ".env:1: invalid variable name before '=' (expected letters, digits and '_', not "
            "starting with a digit)");
  EXPECT_EQ(parse_error("my key=x\n"),
            ".env:1: invalid variable name before '=' (expected letters, digits and '_', not "
            "starting with a digit)");
  EXPECT_EQ(parse_error("=x\n"),
            ".env:1: invalid variable name before '=' (expected letters, digits and '_', not "
            "starting with a digit)");
  EXPECT_EQ(parse_error("A=1\nPEM=\"never closed\nmore\n"),
            ".env:2: unterminated double-quoted value for 'PEM'");
  EXPECT_EQ(parse_error("S='open\n"), ".env:1: unterminated single-quoted value for 'S'");
  EXPECT_EQ(parse_error("Q=\"a\" b\n"), ".env:1: unexpected text after the closing quote of 'Q'");
  EXPECT_EQ(parse_error("export\n"), ".env:1: expected KEY=VALUE, found a line without '='");
}

TEST(DotenvTest, ReadsFilesAndReportsMissingOnes) {
  testing::TempDir dir;
  auto path = dir.write(".env", "K=v\n");
  Result<DotenvEntries> r = read_dotenv(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->at("K").value, "v");

  Result<DotenvEntries> bad = read_dotenv(dir.write("bad.env", "oops\n"));
  EXPECT_EQ(bad.status().message(),
            (dir / "bad.env").string() + ":1: expected KEY=VALUE, found a line without '='");

  Result<DotenvEntries> missing = read_dotenv(dir / "absent.env");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            (dir / "absent.env").string() + ": cannot read: No such file or directory");
}

}  // namespace
}  // namespace anvil::core
