#include "anvil/core/config.h"

#include <gtest/gtest.h>

#include "anvil/core/redactor.h"
#include "testing/temp_dir.h"

namespace anvil::core {
namespace {

ConfigSchema test_schema() {
  ConfigSchema s;
  s.add_string("data_dir", "./anvil-data", "Where anvil.db and the indexes live")
      .add_choice("log.level", "info", {"trace", "debug", "info", "warn", "error"}, "Least severe level logged")
      .add_bool("log.json", false, "JSON lines instead of text")
      .add_double("bm25.k1", 1.2, "Term-frequency saturation", 0, std::nullopt)
      .add_double("bm25.b", 0.75, "Length normalization", 0, 1)
      .add_int("server.port", 8080, "TCP port", 1, 65535)
      .add_string_list("rag.languages", {"en", "zh"}, "Analyzers to build");
  return s;
}

Config load_ok(std::string_view toml, const Environment& env = {}, const ConfigFlags& flags = {}) {
  Result<Config> c = Config::load_from_string(test_schema(), toml, "anvil.toml", env, flags);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return std::move(c).value();
}

std::string load_error(std::string_view toml, const Environment& env = {},
                       const ConfigFlags& flags = {}) {
  Result<Config> c = Config::load_from_string(test_schema(), toml, "anvil.toml", env, flags);
  EXPECT_FALSE(c.ok());
  return c.status().message();
}

TEST(ConfigTest, DefaultsWhenNothingIsGiven) {
  Result<Config> c = Config::load(test_schema(), std::nullopt, {}, {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(*c->get_string("data_dir"), "./anvil-data");
  EXPECT_DOUBLE_EQ(*c->get_double("bm25.k1"), 1.2);
  EXPECT_EQ(*c->get_int("server.port"), 8080);
  EXPECT_FALSE(*c->get_bool("log.json"));
  EXPECT_EQ(*c->get_string_list("rag.languages"), (std::vector<std::string>{"en", "zh"}));
  EXPECT_EQ(c->source_of("bm25.k1"), "default");
}

TEST(ConfigTest, TomlValuesAndSources) {
  Config c = load_ok(
      "data_dir = \"/srv/知识库\"\n"
      "log.level = \"debug\"\n"
      "\n"
      "[bm25]\n"
      "k1 = 2\n"
      "b = 0.5\n"
      "\n"
      "[rag]\n"
      "languages = [\"zh\"]\n");
  EXPECT_EQ(*c.get_string("data_dir"), "/srv/知识库");
  EXPECT_EQ(*c.get_string("log.level"), "debug");
  EXPECT_DOUBLE_EQ(*c.get_double("bm25.k1"), 2.0);  // a TOML integer is a fine number
  EXPECT_DOUBLE_EQ(*c.get_double("bm25.b"), 0.5);
  EXPECT_EQ(*c.get_string_list("rag.languages"), (std::vector<std::string>{"zh"}));
  EXPECT_EQ(c.source_of("data_dir"), "anvil.toml:1");
  EXPECT_EQ(c.source_of("log.level"), "anvil.toml:2");
  EXPECT_EQ(c.source_of("bm25.k1"), "anvil.toml:5");
  EXPECT_EQ(c.source_of("bm25.b"), "anvil.toml:6");
  EXPECT_EQ(c.source_of("server.port"), "default");
  EXPECT_EQ(c.source_of("no.such.key"), "");
}

TEST(ConfigTest, ExternalTablesAreSkipped) {
  ConfigSchema schema = test_schema();
  schema.add_external_table("gateway");
  Result<Config> c = Config::load_from_string(schema, R"(
data_dir = "/d"
[gateway]
anything = 1
[[gateway.models]]
name = "chat"
)", "anvil.toml", {}, {});
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(*c->get_string("data_dir"), "/d");
  // Without the declaration the same table is an unknown one.
  EXPECT_EQ(load_error("[gateway]\nanything = 1\n"),
            "anvil.toml:1: unknown table 'gateway' (known top-level keys: data_dir, log, bm25, "
            "server, rag)");
}

TEST(ConfigTest, DottedKeysAndInlineTablesAreTheSameKeys) {
  for (const char* toml : {"[bm25]\nk1 = 1.7\n", "bm25.k1 = 1.7\n", "bm25 = { k1 = 1.7 }\n"}) {
    Config c = load_ok(toml);
    EXPECT_DOUBLE_EQ(*c.get_double("bm25.k1"), 1.7) << toml;
    EXPECT_TRUE(c.source_of("bm25.k1").starts_with("anvil.toml:")) << toml;
  }
  EXPECT_EQ(load_error("bm25 = { k1 = 1.7, k9 = 2 }\n"),
            "anvil.toml:1: unknown key 'bm25.k9' (known keys in [bm25]: k1, b)");
}

TEST(ConfigTest, LayersOverrideInOrder) {
  Environment env{{"ANVIL_BM25_K1", "1.6"},
                  {"ANVIL_SERVER_PORT", "9000"},
                  {"ANVIL_LOG_JSON", "yes"},
                  {"ANVIL_RAG_LANGUAGES", "en, zh, ja"}};
  ConfigFlags flags{{"server.port", "9100"}, {"server.port", "9200"}};
  Config c = load_ok("[bm25]\nk1 = 2.0\nb = 0.3\n", env, flags);
  EXPECT_DOUBLE_EQ(*c.get_double("bm25.k1"), 1.6);
  EXPECT_EQ(c.source_of("bm25.k1"), "environment ANVIL_BM25_K1");
  EXPECT_DOUBLE_EQ(*c.get_double("bm25.b"), 0.3);
  EXPECT_EQ(c.source_of("bm25.b"), "anvil.toml:3");
  EXPECT_EQ(*c.get_int("server.port"), 9200);  // the last flag wins
  EXPECT_EQ(c.source_of("server.port"), "flag");
  EXPECT_TRUE(*c.get_bool("log.json"));
  EXPECT_EQ(*c.get_string_list("rag.languages"), (std::vector<std::string>{"en", "zh", "ja"}));
}

TEST(ConfigTest, UnrelatedAndEmptyEnvironmentVariablesAreIgnored) {
  Environment env{{"ANVIL_NOT_A_KEY", "x"},  // shared environment: not an error
                  {"OPENAI_API_KEY", "sk-1"},
                  {"ANVIL_SERVER_PORT", ""},  // empty counts as unset
                  {"anvil_data_dir", "lower-case is a different variable"}};
  Config c = load_ok("", env);
  EXPECT_EQ(*c.get_int("server.port"), 8080);
  EXPECT_EQ(*c.get_string("data_dir"), "./anvil-data");
}

TEST(ConfigTest, UnknownKeysNameTheLineAndTheKnownKeys) {
  EXPECT_EQ(load_error("[bm25]\nk1 = 1.0\n\n\n\n\nk3 = 2\n"),
            "anvil.toml:7: unknown key 'bm25.k3' (known keys in [bm25]: k1, b)");
  EXPECT_EQ(load_error("datadir = \"x\"\n"),
            "anvil.toml:1: unknown key 'datadir' (known top-level keys: data_dir, log, bm25, "
            "server, rag)");
  EXPECT_EQ(load_error("x = 1\n[bm26]\nk1 = 1\n"),
            "anvil.toml:1: unknown key 'x' (known top-level keys: data_dir, log, bm25, server, "
            "rag)\n"
            "anvil.toml:2: unknown table 'bm26' (known top-level keys: data_dir, log, bm25, "
            "server, rag)");
  EXPECT_EQ(load_error("[rag]\nlog.level = \"debug\"\n"),
            "anvil.toml:2: unknown table 'rag.log' (known keys in [rag]: languages)");
}

TEST(ConfigTest, WrongTypesInToml) {
  EXPECT_EQ(load_error("[bm25]\nk1 = \"fast\"\n"),
            "anvil.toml:2: expected a number for 'bm25.k1', found string \"fast\"");
  EXPECT_EQ(load_error("[server]\nport = 80.5\n"),
            "anvil.toml:2: expected an integer for 'server.port', found float 80.5");
  EXPECT_EQ(load_error("[log]\njson = \"true\"\n"),
            "anvil.toml:2: expected a boolean for 'log.json', found string \"true\"");
  EXPECT_EQ(load_error("data_dir = 5\n"),
            "anvil.toml:1: expected a string for 'data_dir', found integer 5");
  EXPECT_EQ(load_error("[rag]\nlanguages = \"en\"\n"),
            "anvil.toml:2: expected a list of strings for 'rag.languages', found string \"en\"");
  EXPECT_EQ(load_error("[rag]\nlanguages = [\"en\", 3]\n"),
            "anvil.toml:2: expected a list of strings for 'rag.languages', found integer 3 as "
            "element 2");
  EXPECT_EQ(load_error("log = \"debug\"\n"),
            "anvil.toml:1: expected a table for 'log' (keys: level, json), found string \"debug\"");
  EXPECT_EQ(load_error("[data_dir]\nx = 1\n"),
            "anvil.toml:1: expected a string for 'data_dir', found table");
  EXPECT_EQ(load_error("[bm25]\nk1 = inf\n"),
            "anvil.toml:2: expected a number for 'bm25.k1', found float inf");
}

TEST(ConfigTest, LimitsAndChoicesApplyToEveryLayer) {
  EXPECT_EQ(load_error("[bm25]\nb = 1.5\n"),
            "anvil.toml:2: expected a number between 0 and 1 for 'bm25.b', found 1.5");
  EXPECT_EQ(load_error("[log]\nlevel = \"verbose\"\n"),
            "anvil.toml:2: expected one of trace, debug, info, warn, error for 'log.level', found "
            "\"verbose\"");
  EXPECT_EQ(load_error("", {{"ANVIL_SERVER_PORT", "0"}}),
            "environment ANVIL_SERVER_PORT: expected an integer between 1 and 65535 for "
            "'server.port', found 0");
  EXPECT_EQ(load_error("", {}, {{"log.level", "loud"}}),
            "flag: expected one of trace, debug, info, warn, error for 'log.level', found \"loud\"");
}

TEST(ConfigTest, EnvironmentAndFlagErrorsNameTheirSource) {
  EXPECT_EQ(load_error("", {{"ANVIL_BM25_K1", "fast"}}),
            "environment ANVIL_BM25_K1: expected a number for 'bm25.k1', found 'fast'");
  EXPECT_EQ(load_error("", {}, {{"bm25.k3", "1"}}),
            "flag: unknown key 'bm25.k3' (known keys in [bm25]: k1, b)");
  EXPECT_EQ(load_error("", {}, {{"nope", "1"}}),
            "flag: unknown key 'nope' (known top-level keys: data_dir, log, bm25, server, rag)");
  EXPECT_EQ(load_error("", {}, {{"server.port", "http"}}),
            "flag: expected an integer for 'server.port', found 'http'");
}

TEST(ConfigTest, AllErrorsAreReportedTogetherInLayerAndLineOrder) {
  // toml++ iterates tables by key; errors still come out in line order.
  EXPECT_EQ(load_error("zzz = 1\n[bm25]\nk1 = \"x\"\n", {{"ANVIL_LOG_JSON", "perhaps"}},
                       {{"server.port", "-1"}}),
            "anvil.toml:1: unknown key 'zzz' (known top-level keys: data_dir, log, bm25, server, "
            "rag)\n"
            "anvil.toml:3: expected a number for 'bm25.k1', found string \"x\"\n"
            "environment ANVIL_LOG_JSON: expected a boolean (true or false) for 'log.json', found "
            "'perhaps'\n"
            "flag: expected an integer between 1 and 65535 for 'server.port', found -1");
}

TEST(ConfigTest, MalformedTomlGivesLineAndColumn) {
  auto error = [](std::string_view toml) {
    Result<Config> c = Config::load_from_string(test_schema(), toml, "anvil.toml", {}, {});
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    return c.status().message();
  };
  EXPECT_EQ(error("[bm25]\nk1 = = 2\n"),
            "anvil.toml:2:6: invalid TOML: Error while parsing value: could not determine value "
            "type");
  EXPECT_EQ(error("data_dir = \"a\"\ndata_dir = \"b\"\n"),
            "anvil.toml:2:12: invalid TOML: Error while parsing key-value pair: cannot redefine "
            "existing string 'data_dir'");
  EXPECT_EQ(error("[bm25\n"),
            "anvil.toml:1:6: invalid TOML: Error while parsing table header: expected ']', saw "
            "'\\n'");
  EXPECT_EQ(error("data_dir = \"\xff\"\n"),
            "anvil.toml:1:12: invalid TOML: Encountered invalid utf-8 sequence");
}

TEST(ConfigTest, FileErrors) {
  testing::TempDir dir;
  Result<Config> missing = Config::load(test_schema(), dir / "anvil.toml", {}, {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "config file " + (dir / "anvil.toml").string() +
                                            ": cannot read: No such file or directory");
  Result<Config> folder = Config::load(test_schema(), dir.path(), {}, {});
  EXPECT_EQ(folder.status().message(),
            "config file " + dir.path().string() + ": cannot read: Is a directory");

  auto path = dir.write("anvil.toml", "[server]\nport = 9999\nhost = \"x\"\n");
  Result<Config> bad = Config::load(test_schema(), path, {}, {});
  EXPECT_EQ(bad.status().message(),
            path.string() + ":3: unknown key 'server.host' (known keys in [server]: port)");

  dir.write("anvil.toml", "[server]\nport = 9999\n");
  Result<Config> good = Config::load(test_schema(), path, {}, {});
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  EXPECT_EQ(good->source_of("server.port"), path.string() + ":2");
}

TEST(ConfigTest, BrokenSchemaIsReportedByLoad) {
  ConfigSchema s;
  s.add_string("Bad", "", "");
  Result<Config> c = Config::load(s, std::nullopt, {}, {});
  EXPECT_EQ(c.status().code(), StatusCode::kInternal);
}

TEST(ConfigTest, GettersReportCallerBugs) {
  Config c = load_ok("");
  EXPECT_EQ(c.get_string("nope").status().message(), "config key 'nope' is not in the schema");
  EXPECT_EQ(c.get_string("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(c.get_int("bm25.k1").status().message(),
            "config key 'bm25.k1' holds a number, not an integer");
  EXPECT_EQ(c.get_int("bm25.k1").status().code(), StatusCode::kInternal);
  ASSERT_NE(c.find("bm25.b"), nullptr);
  EXPECT_DOUBLE_EQ(std::get<double>(*c.find("bm25.b")), 0.75);
  EXPECT_EQ(c.find("nope"), nullptr);
}

TEST(ConfigTest, DumpListsKeyValueAndSource) {
  Config c = load_ok("[bm25]\nk1 = 2\n", {{"ANVIL_DATA_DIR", "/var/lib/anvil"}},
                     {{"log.level", "debug"}});
  EXPECT_EQ(c.dump(),
            "data_dir      = \"/var/lib/anvil\"  (environment ANVIL_DATA_DIR)\n"
            "log.level     = \"debug\"  (flag)\n"
            "log.json      = false  (default)\n"
            "bm25.k1       = 2.0  (anvil.toml:2)\n"
            "bm25.b        = 0.75  (default)\n"
            "server.port   = 8080  (default)\n"
            "rag.languages = [\"en\", \"zh\"]  (default)\n");
  std::string described = c.dump(/*with_descriptions=*/true);
  EXPECT_TRUE(described.starts_with("# Where anvil.db and the indexes live\n"
                                    "data_dir      = \"/var/lib/anvil\"  (environment "
                                    "ANVIL_DATA_DIR)\n"
                                    "# Least severe level logged\n"))
      << described;
}

TEST(ConfigTest, DumpRedactsRegisteredSecrets) {
  Redactor::global().add("MISPLACED_SECRET", "hunter2-secret-value");
  Config c = load_ok("data_dir = \"hunter2-secret-value\"\n");
  EXPECT_EQ(*c.get_string("data_dir"), "hunter2-secret-value");
  EXPECT_NE(c.dump().find("data_dir      = \"[REDACTED:MISPLACED_SECRET]\"  (anvil.toml:1)"),
            std::string::npos)
      << c.dump();
}

TEST(ConfigTest, FlagOverridesParse) {
  auto kv = parse_flag_override("bm25.k1=1.5");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "bm25.k1");
  EXPECT_EQ(kv->second, "1.5");
  EXPECT_EQ(parse_flag_override("data_dir=a=b")->second, "a=b");
  EXPECT_EQ(parse_flag_override("data_dir=")->second, "");
  EXPECT_EQ(parse_flag_override("bm25.k1").status().message(),
            "expected KEY=VALUE, found 'bm25.k1'");
  EXPECT_EQ(parse_flag_override("=1").status().message(), "expected KEY=VALUE, found '=1'");
}

}  // namespace
}  // namespace anvil::core
