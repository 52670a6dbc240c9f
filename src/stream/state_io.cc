#include "stream/state_io.h"

#include <xxhash.h>

#include <bit>
#include <cstring>

namespace eventlens::stream {

namespace {

// Envelope: magic, format version (u32), payload length (u64), XXH3-64 of
// the payload (u64), then the payload.
constexpr std::string_view kMagic = "ELCK";
constexpr std::size_t kHeaderBytes = 4 + 4 + 8 + 8;

std::uint64_t load_le(const char* p, int width) {
  std::uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

void store_le(char* p, std::uint64_t v, int width) {
  for (int i = 0; i < width; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

StateWriter::StateWriter() { bytes_.assign(kHeaderBytes, '\0'); }

void StateWriter::fixed(std::uint64_t v, int width) {
  char buf[8];
  store_le(buf, v, width);
  bytes_.append(buf, static_cast<std::size_t>(width));
}

// Bit patterns, so NaNs (missing steps) and -0 come back exactly.
void StateWriter::f32(float v) { fixed(std::bit_cast<std::uint32_t>(v), 4); }
void StateWriter::f64(double v) { fixed(std::bit_cast<std::uint64_t>(v), 8); }

void StateWriter::str(std::string_view s) {
  count(s.size());
  bytes_.append(s);
}

std::string StateWriter::finish() {
  const std::string_view payload = std::string_view(bytes_).substr(kHeaderBytes);
  std::memcpy(bytes_.data(), kMagic.data(), 4);
  store_le(bytes_.data() + 4, kStateFormatVersion, 4);
  store_le(bytes_.data() + 8, payload.size(), 8);
  store_le(bytes_.data() + 16, XXH3_64bits(payload.data(), payload.size()), 8);
  return std::move(bytes_);
}

StateReader::StateReader(std::string_view bytes, std::string what) : what_(std::move(what)) {
  if (bytes.size() < kHeaderBytes || bytes.substr(0, 4) != kMagic) {
    fail("not a checkpoint (no header)");
    return;
  }
  const std::uint64_t version = load_le(bytes.data() + 4, 4);
  if (version != kStateFormatVersion) {
    fail("format version " + std::to_string(version) + ", this build reads version " +
         std::to_string(kStateFormatVersion) +
         ": it was written by another eventlens; start over with an empty state directory");
    return;
  }
  const std::uint64_t length = load_le(bytes.data() + 8, 8);
  if (length != bytes.size() - kHeaderBytes) {
    fail("truncated: the header promises " + std::to_string(length) + " bytes, " +
         std::to_string(bytes.size() - kHeaderBytes) + " are there");
    return;
  }
  const std::string_view payload = bytes.substr(kHeaderBytes);
  if (load_le(bytes.data() + 16, 8) != XXH3_64bits(payload.data(), payload.size())) {
    fail("corrupt: checksum mismatch");
    return;
  }
  payload_ = payload;
}

void StateReader::fail(std::string reason) {
  if (error_.empty()) error_ = reason.empty() ? "invalid" : std::move(reason);
}

std::uint64_t StateReader::fixed(int width) {
  if (!ok()) return 0;
  if (payload_.size() - at_ < static_cast<std::size_t>(width)) {
    fail("truncated at byte " + std::to_string(at_));
    return 0;
  }
  const std::uint64_t v = load_le(payload_.data() + at_, width);
  at_ += static_cast<std::size_t>(width);
  return v;
}

std::uint8_t StateReader::u8() { return static_cast<std::uint8_t>(fixed(1)); }

float StateReader::f32() { return std::bit_cast<float>(static_cast<std::uint32_t>(fixed(4))); }
double StateReader::f64() { return std::bit_cast<double>(fixed(8)); }

bool StateReader::boolean() {
  const std::uint8_t v = u8();
  if (v > 1) fail("corrupt: a flag of value " + std::to_string(v) + " at byte " + std::to_string(at_ - 1));
  return v == 1;
}

std::size_t StateReader::count(std::size_t min_item_bytes) {
  const std::uint64_t n = u64();
  if (!ok()) return 0;
  const std::size_t left = payload_.size() - at_;
  if (min_item_bytes == 0) min_item_bytes = 1;
  if (n > left / min_item_bytes) {
    fail("corrupt: a length of " + std::to_string(n) + " at byte " + std::to_string(at_ - 8) + " with " +
         std::to_string(left) + " bytes left");
    return 0;
  }
  return static_cast<std::size_t>(n);
}

std::string StateReader::str() {
  const std::size_t n = count(1);
  if (!ok()) return {};
  std::string s(payload_.substr(at_, n));
  at_ += n;
  return s;
}

Status StateReader::finish() const {
  if (!ok()) return make_error(what_, error_);
  if (at_ != payload_.size()) {
    return make_error(what_, "corrupt: " + std::to_string(payload_.size() - at_) + " bytes left over");
  }
  return ok_status();
}

}  // namespace eventlens::stream
