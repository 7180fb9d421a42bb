// Result<T>: the value of an operation that can fail in an expected way.
// Errors are values (sold out, rate limited, dependency down, bad input); exceptions
// are reserved for start-up and for adapters over throwing libraries.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace minishop {

// Every expected failure in MiniShop. The HTTP mapping lives in one table
// (net/http_types.cc, StatusFor); everything else only names the code.
enum class Code {
  kOk = 0,
  kBadRequest,    // wrong types, invalid values
  kInvalidJson,   // a body that is not JSON, or JSON with duplicate object keys
  kUnauthorized,  // missing, forged or expired token; bad credentials
  kForbidden,     // authenticated but not allowed (e.g. not admin)
  kNotFound,      // unknown sale, order, route
  kMethodNotAllowed,
  kConflict,      // duplicate (e.g. email already registered)
  kLimitReached,  // per-user purchase limit
  kSoldOut,
  kNotStarted,
  kEnded,
  kPayloadTooLarge,
  kHeadersTooLarge,
  kUriTooLong,  // a request line longer than the header limit
  kUnsupportedMediaType,
  kNotImplemented,  // a transfer coding (or other protocol feature) the server does not implement
  kRateLimited,
  kUnavailable,  // a dependency is down or overloaded: retry later
  kTimeout,      // a dependency did not answer within its deadline
  kRecovering,   // the thing exists but its hot copy is being rebuilt (e.g. a sale after
                 // Redis lost its keys): retry shortly
  kInternal,
};

std::string_view CodeName(Code code);

struct Error {
  Code code = Code::kInternal;
  std::string message;
};

inline Error MakeError(Code code, std::string message) { return Error{code, std::move(message)}; }

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

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace minishop
