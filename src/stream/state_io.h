// The binary encoding of checkpointed state: fixed-width little-endian
// integers and IEEE doubles, length-prefixed strings and sequences, inside
// an envelope with a magic, a format version, the payload length and a
// checksum. A reader never trusts its input: corrupt or truncated bytes give
// an Error, never a crash. Plain values, one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/result.h"

namespace eventlens::stream {

// Bumped whenever the encoding of any checkpointed component changes; a
// checkpoint of another version is refused, not misread. The history of the
// versions: docs/engine.md, "Format".
inline constexpr std::uint32_t kStateFormatVersion = 11;

// Appends values; finish() wraps them in the envelope.
class StateWriter {
 public:
  StateWriter();

  void u8(std::uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) { fixed(v, 4); }
  void u64(std::uint64_t v) { fixed(v, 8); }
  void i64(std::int64_t v) { fixed(static_cast<std::uint64_t>(v), 8); }
  void f32(float v);
  void f64(double v);
  void boolean(bool v) { u8(v ? 1 : 0); }
  void str(std::string_view s);
  // The length of a sequence whose items follow.
  void count(std::size_t n) { u64(n); }

  // Returns the envelope with everything written; the writer is spent.
  std::string finish();

 private:
  void fixed(std::uint64_t v, int width);
  std::string bytes_;
};

// Reads what a StateWriter wrote, in the same order. Errors are sticky: the
// first one (a bad envelope, a read past the end, an impossible length, a
// value the caller refused with fail()) is kept, and every read after it
// returns zero or empty. So a loader reads straight through and checks ok()
// where a value is about to be trusted (an index, a size) and status() at
// the end.
class StateReader {
 public:
  // Checks the envelope; `what` names the state in errors ("shard").
  StateReader(std::string_view bytes, std::string what);

  std::uint8_t u8();
  std::uint32_t u32() { return static_cast<std::uint32_t>(fixed(4)); }
  std::uint64_t u64() { return fixed(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(fixed(8)); }
  float f32();
  double f64();
  // Anything but 0 or 1 is an error.
  bool boolean();
  std::string str();
  // Returns the length of a sequence whose items take at least
  // `min_item_bytes` each; 0 (and an error) when the rest of the input could
  // not hold that many, so a corrupt length never drives a huge allocation.
  std::size_t count(std::size_t min_item_bytes = 1);

  // Records `reason` as the error (when there is none yet).
  void fail(std::string reason);
  bool ok() const { return error_.empty(); }
  // Ok when every read succeeded and the payload was read to its end.
  Status finish() const;

 private:
  std::uint64_t fixed(int width);

  std::string_view payload_;
  std::size_t at_ = 0;
  std::string what_;
  std::string error_;
};

}  // namespace eventlens::stream
