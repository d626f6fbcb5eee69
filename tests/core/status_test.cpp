#include "anvil/core/status.h"

#include <gtest/gtest.h>

namespace anvil::core {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return Status::invalid_argument("expected an even number, found " + std::to_string(n));
  return n / 2;
}

Result<int> quarter(int n) {
  ANVIL_ASSIGN_OR_RETURN(int h, half(n));
  ANVIL_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

Status check_even(int n) {
  ANVIL_RETURN_IF_ERROR(half(n).status());
  return {};
}

TEST(StatusTest, MacrosPropagateTheFirstFailure) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).status().message(), "expected an even number, found 3");
  EXPECT_TRUE(check_even(4).ok());
  EXPECT_EQ(check_even(5).code(), StatusCode::kInvalidArgument);
}

TEST(StatusTest, ToStringAndContext) {
  Status s = Status::not_found("collection 'x' does not exist").with_context("search");
  EXPECT_EQ(s.to_string(), "not found: search: collection 'x' does not exist");
  EXPECT_EQ(Status().to_string(), "ok");
  EXPECT_TRUE(Status().with_context("ignored").ok());
  EXPECT_EQ(Status::deadline_exceeded("d").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Status::permission_denied("p").to_string(), "permission denied: p");
}

TEST(StatusTest, ResultValueOr) {
  EXPECT_EQ(half(3).value_or(-1), -1);
  EXPECT_EQ(half(4).value_or(-1), 2);
  EXPECT_TRUE(half(4).status().ok());
}

}  // namespace
}  // namespace anvil::core
