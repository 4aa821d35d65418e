#pragma once

#include <string>
#include <utility>
#include <variant>

namespace streamrelay::task {

// The kinds of failure the API contract distinguishes; api/ maps each to an HTTP status and code.
enum class ErrorKind {
  invalid_request,
  bad_state,
  unauthenticated,
  project_mismatch,  // X-Project-Id names another project than the path
  forbidden,
  not_found,
  no_such_route,
  method_not_allowed,
  conflict,
  too_large,
  unsupported_media_type,
  rate_limited,
  quota_exceeded,
  internal,
};

struct Error {
  ErrorKind kind = ErrorKind::invalid_request;
  std::string message;
};

inline Error invalid(std::string message) {
  return {ErrorKind::invalid_request, std::move(message)};
}

// A value or the expected failure that prevented it (C++20 has no std::expected).
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Done {};
using Status = Result<Done>;

inline Status ok_status() {
  return Done{};
}

}  // namespace streamrelay::task
