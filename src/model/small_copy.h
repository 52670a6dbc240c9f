// Copies and comparisons of the short strings records are made of (names, ids,
// types), inline: a libc memcpy or memcmp call costs more than the work itself
// below 33 bytes. Pure functions; callable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace eventlens {

// Copies `n` bytes from `src` to `dst` (which must not overlap), reading and
// writing only those bytes: short lengths as two overlapping fixed-size moves.
inline void copy_small(char* dst, const char* src, std::size_t n) {
  if (n > 32) {
    std::memcpy(dst, src, n);
  } else if (n >= 16) {
    char a[16];
    char b[16];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
  } else if (n >= 8) {
    std::uint64_t a;
    std::uint64_t b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    std::uint32_t a;
    std::uint32_t b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n != 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
}

// Returns true when the `n` bytes at `a` and `b` are equal, reading only those
// bytes: the inline counterpart of copy_small, for comparing short names.
inline bool equal_small(const char* a, const char* b, std::size_t n) {
  if (n > 32) return std::memcmp(a, b, n) == 0;
  if (n >= 16) {
    std::uint64_t x[4];
    std::uint64_t y[4];
    std::memcpy(&x[0], a, 16);
    std::memcpy(&x[2], a + n - 16, 16);
    std::memcpy(&y[0], b, 16);
    std::memcpy(&y[2], b + n - 16, 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
  }
  if (n >= 8) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4) {
    std::uint32_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

// Returns true when `a` and `b` hold the same bytes (see equal_small).
inline bool equal_short(std::string_view a, std::string_view b) {
  return a.size() == b.size() && equal_small(a.data(), b.data(), a.size());
}

// Sets `out` to `s`. When `out` already holds at least as many characters (a
// reused record's field, record after record) the bytes are copied in place
// and the string shortened, with no call into the library; otherwise as
// std::string::assign. `s` must not point into `out`.
inline void assign_reusing(std::string& out, std::string_view s) {
  if (s.size() <= out.size()) {
    copy_small(out.data(), s.data(), s.size());
    out.erase(s.size());
  } else {
    out.assign(s.data(), s.size());
  }
}

}  // namespace eventlens
