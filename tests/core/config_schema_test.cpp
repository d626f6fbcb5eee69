#include "anvil/core/config_schema.h"

#include <gtest/gtest.h>

namespace anvil::core {
namespace {

TEST(ConfigSchemaTest, EnvironmentNames) {
  EXPECT_EQ(ConfigSchema::env_name("data_dir"), "ANVIL_DATA_DIR");
  EXPECT_EQ(ConfigSchema::env_name("log.level"), "ANVIL_LOG_LEVEL");
  EXPECT_EQ(ConfigSchema::env_name("gateway.retry-max"), "ANVIL_GATEWAY_RETRY_MAX");
}

TEST(ConfigSchemaTest, TablesAndChildrenKeepSchemaOrder) {
  ConfigSchema s;
  s.add_string("data_dir", "d", "").add_double("bm25.k1", 1.2, "").add_double("bm25.b", 0.75, "");
  s.add_string("log.level", "info", "").add_string("rag.fusion.method", "rrf", "");
  EXPECT_TRUE(s.status().ok()) << s.status().to_string();
  EXPECT_EQ(s.children(""), (std::vector<std::string>{"data_dir", "bm25", "log", "rag"}));
  EXPECT_EQ(s.children("bm25"), (std::vector<std::string>{"k1", "b"}));
  EXPECT_EQ(s.children("rag"), (std::vector<std::string>{"fusion"}));
  EXPECT_TRUE(s.is_table("rag.fusion"));
  EXPECT_FALSE(s.is_table("bm2"));
  EXPECT_FALSE(s.is_table("data_dir"));
  EXPECT_EQ(s.find("bm25.b")->type, ConfigType::kDouble);
  EXPECT_EQ(s.find("bm25"), nullptr);
}

TEST(ConfigSchemaTest, MistakesAreKeptAsTheFirstError) {
  auto first_error = [](auto build) {
    ConfigSchema s;
    build(s);
    EXPECT_EQ(s.status().code(), StatusCode::kInternal);
    return s.status().message();
  };
  EXPECT_EQ(first_error([](ConfigSchema& s) { s.add_string("Data_Dir", "", ""); }),
            "config schema: invalid key name 'Data_Dir' (expected lower-case dotted names like "
            "'bm25.k1')");
  EXPECT_EQ(first_error([](ConfigSchema& s) { s.add_string("a..b", "", ""); }),
            "config schema: invalid key name 'a..b' (expected lower-case dotted names like "
            "'bm25.k1')");
  EXPECT_EQ(first_error([](ConfigSchema& s) { s.add_string("x", "", "").add_int("x", 1, ""); }),
            "config schema: key 'x' is defined twice");
  EXPECT_EQ(first_error([](ConfigSchema& s) { s.add_string("log", "", "").add_string("log.level", "", ""); }),
            "config schema: key 'log.level' conflicts with key 'log' (one would have to be both a "
            "value and a table)");
  EXPECT_EQ(first_error([](ConfigSchema& s) { s.add_string("log.level", "", "").add_string("log_level", "", ""); }),
            "config schema: keys 'log.level' and 'log_level' both map to environment variable "
            "ANVIL_LOG_LEVEL");
  EXPECT_EQ(first_error([](ConfigSchema& s) { s.add_int("threads", 0, "", 1, 64); }),
            "config schema: default of 'threads': expected an integer between 1 and 64 for "
            "'threads', found 0");
  EXPECT_EQ(first_error([](ConfigSchema& s) {
              s.add_choice("log.level", "loud", {"info", "warn"}, "");
            }),
            "config schema: default of 'log.level': expected one of info, warn for 'log.level', "
            "found \"loud\"");
  EXPECT_EQ(first_error([](ConfigSchema& s) {
              s.add(ConfigKey{"n", ConfigType::kInt, std::string("5"), ""});
            }),
            "config schema: default of 'n' is not an integer");
  // Later mistakes do not overwrite the first; valid keys after it are still added.
  ConfigSchema s;
  s.add_string("A", "", "").add_string("b..", "", "").add_string("ok", "", "");
  EXPECT_EQ(s.status().message(),
            "config schema: invalid key name 'A' (expected lower-case dotted names like "
            "'bm25.k1')");
  EXPECT_NE(s.find("ok"), nullptr);
}

TEST(ConfigSchemaTest, ParsesTextValues) {
  ConfigKey i{"n", ConfigType::kInt, std::int64_t{0}, ""};
  ConfigKey d{"bm25.k1", ConfigType::kDouble, 0.0, ""};
  ConfigKey b{"flag", ConfigType::kBool, false, ""};
  ConfigKey l{"langs", ConfigType::kStringList, std::vector<std::string>{}, ""};
  ConfigKey s{"name", ConfigType::kString, std::string(), ""};
  EXPECT_EQ(std::get<std::int64_t>(*parse_config_value(i, " 42 ")), 42);
  EXPECT_EQ(std::get<std::int64_t>(*parse_config_value(i, "+7")), 7);
  EXPECT_EQ(std::get<std::int64_t>(*parse_config_value(i, "-3")), -3);
  EXPECT_DOUBLE_EQ(std::get<double>(*parse_config_value(d, "1.5")), 1.5);
  EXPECT_DOUBLE_EQ(std::get<double>(*parse_config_value(d, "2e-1")), 0.2);
  for (const char* t : {"true", "TRUE", "1", "yes", "On"}) {
    EXPECT_TRUE(std::get<bool>(*parse_config_value(b, t))) << t;
  }
  for (const char* t : {"false", "0", "no", "OFF"}) {
    EXPECT_FALSE(std::get<bool>(*parse_config_value(b, t))) << t;
  }
  EXPECT_EQ(std::get<std::vector<std::string>>(*parse_config_value(l, " en, zh ,,")),
            (std::vector<std::string>{"en", "zh"}));
  EXPECT_TRUE(std::get<std::vector<std::string>>(*parse_config_value(l, "")).empty());
  EXPECT_EQ(std::get<std::string>(*parse_config_value(s, "  中文 路径 ")), "  中文 路径 ");
}

TEST(ConfigSchemaTest, TextValueErrors) {
  ConfigKey i{"chunk.size", ConfigType::kInt, std::int64_t{512}, "", {}, 16, 65536};
  ConfigKey d{"bm25.k1", ConfigType::kDouble, 1.2, "", {}, 0, std::nullopt};
  ConfigKey b{"flag", ConfigType::kBool, false, ""};
  ConfigKey c{"log.level", ConfigType::kString, std::string("info"), "", {"debug", "info"}};
  auto error = [](const ConfigKey& key, std::string_view text) {
    return parse_config_value(key, text).status().message();
  };
  EXPECT_EQ(error(d, "fast"), "expected a number for 'bm25.k1', found 'fast'");
  EXPECT_EQ(error(d, "nan"), "expected a number for 'bm25.k1', found 'nan'");
  EXPECT_EQ(error(d, "1.5x"), "expected a number for 'bm25.k1', found '1.5x'");
  EXPECT_EQ(error(d, "-1"), "expected a number >= 0 for 'bm25.k1', found -1.0");
  EXPECT_EQ(error(i, "1.5"), "expected an integer for 'chunk.size', found '1.5'");
  EXPECT_EQ(error(i, ""), "expected an integer for 'chunk.size', found ''");
  EXPECT_EQ(error(i, "99999999999999999999"),
            "expected an integer that fits in 64 bits for 'chunk.size', found "
            "'99999999999999999999'");
  EXPECT_EQ(error(i, "8"), "expected an integer between 16 and 65536 for 'chunk.size', found 8");
  EXPECT_EQ(error(b, "maybe"), "expected a boolean (true or false) for 'flag', found 'maybe'");
  EXPECT_EQ(error(c, "loud"), "expected one of debug, info for 'log.level', found \"loud\"");
}

TEST(ConfigSchemaTest, FormatsValuesAsToml) {
  EXPECT_EQ(format_config_value(std::string("a \"b\"\n中")), "\"a \\\"b\\\"\\n中\"");
  EXPECT_EQ(format_config_value(std::int64_t{-5}), "-5");
  EXPECT_EQ(format_config_value(1.0), "1.0");
  EXPECT_EQ(format_config_value(0.75), "0.75");
  EXPECT_EQ(format_config_value(1e21), "1e+21");
  EXPECT_EQ(format_config_value(true), "true");
  EXPECT_EQ(format_config_value(std::vector<std::string>{"en", "zh"}), "[\"en\", \"zh\"]");
  EXPECT_EQ(format_config_value(std::vector<std::string>{}), "[]");
}

}  // namespace
}  // namespace anvil::core
