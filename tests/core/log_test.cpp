#include "anvil/core/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <thread>

#include "anvil/core/clock.h"
#include "anvil/core/file_io.h"
#include "anvil/core/json.h"
#include "anvil/core/redactor.h"
#include "testing/temp_dir.h"

namespace anvil::core::log {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Captures the process-wide log into a string for one test, then restores stderr output.
class LogTest : public ::testing::Test {
 protected:
  void capture(Level level, Format format) { configure_stream(out_, level, format); }
  void TearDown() override { ASSERT_TRUE(configure({}).ok()); }
  std::vector<std::string> lines() const { return lines_of(out_.str()); }

  std::ostringstream out_;
};

TEST_F(LogTest, TextLinesWithFields) {
  capture(Level::kInfo, Format::kText);
  info("ingested {} files", 3);
  with("collection", "手册").with("dry_run", true).warn("slow: {:.1f} s", 2.25);
  auto lg = with("request_id", "r-1");
  lg.with("request_id", "r-2").error("replaced");
  auto ls = lines();
  ASSERT_EQ(ls.size(), 3u) << out_.str();
  // gtest uses POSIX extended regular expressions: no \d.
  const std::string ts = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z";
  EXPECT_THAT(ls[0], ::testing::MatchesRegex(ts + " INFO  ingested 3 files"));
  EXPECT_THAT(ls[1], ::testing::MatchesRegex(ts + " WARN  slow: 2.2 s collection=手册 dry_run=true"));
  EXPECT_THAT(ls[2], ::testing::MatchesRegex(ts + " ERROR replaced request_id=r-2"));
}

TEST_F(LogTest, LevelFiltersBeforeFormatting) {
  capture(Level::kWarn, Format::kText);
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kError));
  EXPECT_FALSE(enabled(Level::kOff));
  debug("hidden");
  info("hidden");
  warn("shown");
  set_level(Level::kTrace);
  EXPECT_EQ(level(), Level::kTrace);
  trace("now shown");
  set_level(Level::kOff);
  error("hidden too");
  auto ls = lines();
  ASSERT_EQ(ls.size(), 2u) << out_.str();
  EXPECT_THAT(ls[0], ::testing::EndsWith("WARN  shown"));
  EXPECT_THAT(ls[1], ::testing::EndsWith("TRACE now shown"));
}

TEST_F(LogTest, JsonLinesParseBack) {
  capture(Level::kDebug, Format::kJson);
  with("files", 3).with("collection", "说明书").debug("ingested \"{}\"", "x\ny");
  auto ls = lines();
  ASSERT_EQ(ls.size(), 1u);
  Result<boost::json::value> v = parse_json(ls[0]);
  ASSERT_TRUE(v.ok()) << v.status().to_string() << "\n" << ls[0];
  const auto& o = v->get_object();
  EXPECT_EQ(o.at("level").as_string(), "debug");
  EXPECT_EQ(o.at("msg").as_string(), "ingested \"x\ny\"");
  EXPECT_EQ(o.at("files").as_int64(), 3);
  EXPECT_EQ(o.at("collection").as_string(), "说明书");
  Result<std::int64_t> ts = core::parse_timestamp(std::string(o.at("ts").as_string()));
  EXPECT_TRUE(ts.ok()) << ts.status().to_string();
}

TEST_F(LogTest, SecretsAreRedactedInMessagesAndFields) {
  Redactor::global().add("LOG_TEST_KEY", "sk-log-test-9b8a7c");
  capture(Level::kInfo, Format::kText);
  with("auth", "Bearer sk-log-test-9b8a7c").info("calling with sk-log-test-9b8a7c");
  capture(Level::kInfo, Format::kJson);
  with("auth", "Bearer sk-log-test-9b8a7c").info("calling with sk-log-test-9b8a7c");
  std::string all = out_.str();
  EXPECT_EQ(all.find("sk-log-test-9b8a7c"), std::string::npos) << all;
  auto ls = lines();
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_THAT(ls[0], ::testing::EndsWith(
                         "INFO  calling with [REDACTED:LOG_TEST_KEY] auth=\"Bearer "
                         "[REDACTED:LOG_TEST_KEY]\""));
  EXPECT_THAT(ls[1], ::testing::EndsWith(
                         "\"msg\":\"calling with [REDACTED:LOG_TEST_KEY]\",\"auth\":\"Bearer "
                         "[REDACTED:LOG_TEST_KEY]\"}"));
}

TEST_F(LogTest, WritesToAFile) {
  testing::TempDir dir;
  auto path = dir / "anvil.log";
  ASSERT_TRUE(configure({Level::kInfo, Format::kJson, path}).ok());
  info("first");
  info("second");
  flush();
  Result<std::string> text = read_file(path);
  ASSERT_TRUE(text.ok()) << text.status().to_string();
  auto ls = lines_of(*text);
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_THAT(ls[1], ::testing::HasSubstr("\"msg\":\"second\""));
}

TEST_F(LogTest, UnopenableFileIsAnError) {
  testing::TempDir dir;
  // spdlog creates missing folders; a path under a regular file cannot be created.
  auto file = dir.write("plain", "");
  Status s = configure({Level::kInfo, Format::kText, file / "anvil.log"});
  EXPECT_EQ(s.code(), StatusCode::kIo);
  EXPECT_THAT(s.message(), ::testing::StartsWith("cannot open log file '" +
                                                 (file / "anvil.log").string() + "': "));
}

TEST_F(LogTest, ConcurrentWritersProduceWholeLines) {
  capture(Level::kInfo, Format::kText);
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      auto lg = with("thread", t);
      for (int i = 0; i < kLines; ++i) lg.info("line {}", i);
    });
  }
  for (auto& th : threads) th.join();
  auto ls = lines();
  ASSERT_EQ(ls.size(), static_cast<std::size_t>(kThreads * kLines));
  for (const auto& l : ls) {
    EXPECT_THAT(l, ::testing::MatchesRegex(".*Z INFO  line [0-9]+ thread=[0-9]"));
  }
}

}  // namespace
}  // namespace anvil::core::log
