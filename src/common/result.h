// Result<T>: the value of an operation that can fail in an expected way.
// Errors are values (sold out, rate limited, dependency down, bad input); exceptions
// are reserved for start-up and for adapters over throwing libraries.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace minishop {

// The generic kinds of expected failure, known to every layer (compare gRPC's status codes
// and userver's protocol-agnostic handler codes). A domain gives some of them a finer name
// with an Outcome (the shop's "sold out" is a kResourceExhausted); each protocol maps codes
// and outcomes to its own answers in one place (HTTP: gateway/http_errors.h).
enum class Code {
  kOk = 0,
  kInvalidArgument,     // a value the caller sent is wrong: type, range, format
  kUnauthenticated,     // missing, forged or expired credentials
  kPermissionDenied,    // authenticated but not allowed
  kNotFound,            // no such thing (or not the caller's)
  kConflict,            // the thing is in a state that refuses this (duplicate, in progress)
  kFailedPrecondition,  // not now: the system is not in the state this needs
  kResourceExhausted,   // a quota or a stock is used up
  kUnimplemented,       // a protocol feature the server does not implement
  kUnavailable,         // a dependency is down or overloaded: retry later
  kDeadlineExceeded,    // a dependency did not answer within its deadline: outcome unknown
  kInternal,
};

// The generic name of a code: "invalid_argument", "not_found", ….
std::string_view CodeName(Code code);

// The Code whose CodeName is `name`; nullopt for any other text.
std::optional<Code> CodeFromName(std::string_view name);

// A domain's named outcome: a generic code and the outcome's name (static text, which is
// also its public error code), e.g. {kResourceExhausted, "sold_out"}.
struct Outcome {
  Code code;
  std::string_view reason;
};

struct Error {
  Code code = Code::kInternal;
  std::string message;
  std::string_view reason;  // an Outcome's name (static text), or empty

  bool Is(Outcome outcome) const { return code == outcome.code && reason == outcome.reason; }
};

inline Error MakeError(Code code, std::string message) { return Error{code, std::move(message), {}}; }
inline Error MakeError(Outcome outcome, std::string message) {
  return Error{outcome.code, std::move(message), outcome.reason};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Code code() const { return ok() ? Code::kOk : error().code; }
  // The error's Outcome name, or empty (no error, or a plain generic one).
  std::string_view reason() const { return ok() ? std::string_view() : error().reason; }
  bool Is(Outcome outcome) const { return !ok() && error().Is(outcome); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Code code() const { return ok_ ? Code::kOk : error_.code; }
  std::string_view reason() const { return ok_ ? std::string_view() : error_.reason; }
  bool Is(Outcome outcome) const { return !ok_ && error_.Is(outcome); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace minishop
