// Result<T> and Error: the error-as-value types used on the data path.
// Plain value types; safe to move between threads, no shared state.
#pragma once

#include <new>
#include <string>
#include <type_traits>
#include <utility>

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
//
// The Error lives out of line, behind a pointer that is null on success: a
// decoder returns a Result for every field it reads, so the success path must
// cost no more than the value itself (no variant index, no visit on move).
// Errors are the rare path and pay one allocation.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) { new (&value_) T(std::move(value)); }  // NOLINT
  Result(Error error) : error_(new Error(std::move(error))) {}  // NOLINT

  Result(const Result& other)
    requires std::is_copy_constructible_v<T>
  {
    construct_from(other);
  }
  Result(Result&& other) noexcept { construct_from(std::move(other)); }
  Result& operator=(const Result& other)
    requires std::is_copy_constructible_v<T>
  {
    if (this != &other) {
      destroy();
      construct_from(other);
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept {
    if (this != &other) {
      destroy();
      construct_from(std::move(other));
    }
    return *this;
  }
  ~Result() { destroy(); }

  bool ok() const { return error_ == nullptr; }
  explicit operator bool() const { return ok(); }

  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

  const Error& error() const { return *error_; }

 private:
  [[gnu::always_inline]] void destroy() noexcept {
    if (error_ == nullptr) {
      if constexpr (!std::is_trivially_destructible_v<T>) value_.~T();
    } else {
      destroy_error();
    }
  }
  // Out of line: keeps the success path of every Result small enough to inline.
  [[gnu::noinline]] void destroy_error() noexcept {
    delete error_;
    error_ = nullptr;
  }
  // Moving from an error leaves `other` holding an empty Error: a Result is
  // never left holding neither.
  void construct_from(const Result& other) {
    if (other.error_ == nullptr) {
      new (&value_) T(other.value_);
      error_ = nullptr;
    } else {
      error_ = new Error(*other.error_);
    }
  }
  [[gnu::always_inline]] void construct_from(Result&& other) noexcept {
    if (other.error_ == nullptr) {
      new (&value_) T(std::move(other.value_));
      error_ = nullptr;
    } else {
      take_error(other);
    }
  }
  [[gnu::noinline]] void take_error(Result& other) noexcept {
    error_ = other.error_;
    other.error_ = new Error();  // out of memory here ends the process (noexcept)
  }

  union {
    T value_;
  };
  Error* error_ = nullptr;
};

// Status is a Result that carries nothing on success.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace eventlens
