#include "anvil/core/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace anvil::core {
namespace {

TEST(EnvironmentTest, SnapshotsTheProcessEnvironment) {
  ASSERT_EQ(::setenv("ANVIL_ENVIRONMENT_TEST", "值=with equals", 1), 0);
  Environment env = process_environment();
  ASSERT_EQ(env.count("ANVIL_ENVIRONMENT_TEST"), 1u);
  EXPECT_EQ(env.at("ANVIL_ENVIRONMENT_TEST"), "值=with equals");
  ::unsetenv("ANVIL_ENVIRONMENT_TEST");
  EXPECT_EQ(process_environment().count("ANVIL_ENVIRONMENT_TEST"), 0u);
}

}  // namespace
}  // namespace anvil::core
