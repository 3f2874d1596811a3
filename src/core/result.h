// Result<T>: a value or an Error with a stable code, for every boundary where input can be wrong.
// Marked [[nodiscard]] so an unchecked result is a compile error under -Werror.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace lachan {

// Stable error codes: tests and callers compare these, never message text.
enum class Errc {
  ok = 0,
  io,             // file cannot be opened or read
  malformed,      // a record cannot be parsed
  unsupported,    // valid input we do not handle
  invalid_rule,   // a Sigma rule violates the specification
  invalid_config, // a configuration or mapping file is wrong
  limit,          // input exceeds a configured limit
  internal,       // a library failed in a way we did not expect
  not_found,      // no such record, or not visible to the caller (the two are not told apart)
  conflict,       // the record exists already, or a state change is not allowed from here
  denied,         // the caller is not authenticated or its role may not do this
  busy,           // overloaded: try again later
};

const char* errc_name(Errc c) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}       // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}   // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { assert(!ok_); return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace lachan
