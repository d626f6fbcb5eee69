// Status and Result<T>: how expected failures travel in Anvil. Exceptions never cross module
// boundaries; a failing call returns a Status whose message says what was expected and what was found.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace anvil::core {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller passed something malformed (bad filter, bad config value)
  kNotFound,            // a named thing does not exist (collection, file, key)
  kAlreadyExists,
  kFailedPrecondition,  // the system is not in a state where the call can run
  kCorrupt,             // stored data fails its own checks (bad magic, checksum, truncation)
  kUnsupported,         // a well-formed input Anvil cannot handle (unknown file type, version)
  kIo,                  // the operating system refused (open, read, write, rename)
  kResourceExhausted,
  kUnavailable,
  kDeadlineExceeded,
  kCancelled,
  kPermissionDenied,
  kInternal,            // a bug: an invariant did not hold
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }
  static Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status already_exists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status failed_precondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
  static Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status io(std::string m) { return {StatusCode::kIo, std::move(m)}; }
  static Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status deadline_exceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status permission_denied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "context: message": used to add the file, key or line that a failure concerns.
  Status with_context(std::string_view context) const {
    if (ok()) return *this;
    return {code_, std::string(context) + ": " + message_};
  }

  // "not found: collection 'x' does not exist", with registered secrets replaced by
  // "[REDACTED:NAME]" (see redactor.h): this is the form to print or return to a client.
  std::string to_string() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status carries no value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace anvil::core

#define ANVIL_CONCAT_INNER_(a, b) a##b
#define ANVIL_CONCAT_(a, b) ANVIL_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define ANVIL_RETURN_IF_ERROR(expr)                       \
  do {                                                    \
    ::anvil::core::Status anvil_status_ = (expr);         \
    if (!anvil_status_.ok()) return anvil_status_;        \
  } while (0)

// `ANVIL_ASSIGN_OR_RETURN(auto x, make_x());` binds the value or returns the Status.
#define ANVIL_ASSIGN_OR_RETURN(lhs, expr) \
  ANVIL_ASSIGN_OR_RETURN_IMPL_(ANVIL_CONCAT_(anvil_result_, __LINE__), lhs, expr)
#define ANVIL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
