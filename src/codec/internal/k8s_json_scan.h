// Byte-level scanning of Kubernetes JSON payloads before simdjson sees them:
// splitting a payload into its top-level values (one object, JSON lines,
// concatenated pretty-printed objects), finding truncated or too-deep values,
// and naming the field at a byte offset for errors that simdjson reports
// without one. Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eventlens::codec::internal {

// Deeper nesting than this is refused: no Kubernetes object comes close, and
// the limit keeps error paths and converters bounded.
inline constexpr std::size_t kMaxK8sNesting = 100;

enum class JsonFlaw : std::uint8_t {
  none,
  unterminated_string,  // a string runs into a line end or the end of the input
  truncated,            // an object or array is never closed
  too_deep,             // nesting beyond kMaxK8sNesting
  not_json,             // text that does not start an object or array
};

struct JsonValueSpan {
  std::size_t begin = 0;  // offsets into the payload
  std::size_t end = 0;
  std::size_t line = 1;   // 1-based line of `begin`
  JsonFlaw flaw = JsonFlaw::none;
  std::size_t flaw_offset = 0;  // where the flaw is, relative to `begin`
};

// Splits `payload` into top-level JSON values. A value that is never closed
// ends where the next line starts with '{' after a line that could not have
// continued it, so that one truncated watch line does not swallow the lines
// after it. Calls fn(const JsonValueSpan&) for each value, in order.
class JsonValueScanner {
 public:
  explicit JsonValueScanner(std::string_view payload) : s_(payload) {}
  // Returns false when the payload holds no further value.
  bool next(JsonValueSpan& out);

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

// Returns the field path of the value around byte `offset` of `json`
// ("object.involvedObject.name", "items[2].count"), read tolerantly so that
// it works on truncated text; empty at the top level.
std::string json_path_at(std::string_view json, std::size_t offset);

// Returns the offset of the first byte of `s` that is not valid UTF-8, or
// s.size() when all of it is.
std::size_t first_invalid_utf8(std::string_view s);

}  // namespace eventlens::codec::internal
