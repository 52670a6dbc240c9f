// Result<T> and Error: the error-as-value types used on the data path.
// Plain value types; safe to move between threads, no shared state.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace eventlens {

// Why a record (or an operation) was refused. `field` is a path into the input
// such as `resourceLogs[0].logRecords[3].timeUnixNano`, empty when the fault is
// not tied to one field (e.g. malformed JSON).
struct Error {
  std::string field;
  std::string reason;

  // Returns "field: reason", or just the reason when there is no field.
  std::string to_string() const {
    return field.empty() ? reason : field + ": " + reason;
  }
  friend bool operator==(const Error&, const Error&) = default;
};

// Returns an Error for `field` with `reason`.
inline Error make_error(std::string field, std::string reason) {
  return Error{std::move(field), std::move(reason)};
}

// A value or an Error; g++ 12 has no std::expected, so this is its small twin.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status is a Result that carries nothing on success.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace eventlens
