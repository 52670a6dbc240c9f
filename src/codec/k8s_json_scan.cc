#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "codec/internal/k8s_json_scan.h"

namespace eventlens::codec::internal {
namespace {

// Returns the offset of the first byte at or after `i` that is one of
// `Stops`, or s.size(). Sixteen bytes at a time where SSE2 is there: the
// scanner sees every byte of every payload, so it must not be the slow part.
template <char... Stops>
std::size_t find_any(std::string_view s, std::size_t i) {
#ifdef __SSE2__
  while (i + 16 <= s.size()) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    __m128i hits = _mm_setzero_si128();
    ((hits = _mm_or_si128(hits, _mm_cmpeq_epi8(bytes, _mm_set1_epi8(Stops)))), ...);
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#endif
  while (i < s.size() && ((s[i] != Stops) && ...)) ++i;
  return i;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

bool JsonValueScanner::next(JsonValueSpan& out) {
  const std::size_t n = s_.size();
  while (pos_ < n) {
    const char c = s_[pos_];
    if (c == '\n') {
      ++line_;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      break;
    }
    ++pos_;
  }
  if (pos_ >= n) return false;
  out = JsonValueSpan{};
  out.begin = pos_;
  out.line = line_;
  if (s_[pos_] != '{' && s_[pos_] != '[') {
    std::size_t end = s_.find('\n', pos_);
    if (end == std::string_view::npos) end = n;
    out.end = end;
    out.flaw = JsonFlaw::not_json;
    pos_ = end;
    return true;
  }
  std::size_t depth = 0;
  bool in_string = false;
  char last = 0;  // the last byte outside strings that is not white space
  std::size_t string_start = 0;
  const auto flag = [&out](JsonFlaw flaw, std::size_t at) {
    if (out.flaw == JsonFlaw::none) {
      out.flaw = flaw;
      out.flaw_offset = at - out.begin;
    }
  };
  std::size_t i = pos_;
  while (i < n) {
    if (in_string) {
      // Most of a payload is string bodies: skip them in a tight loop.
      i = find_any<'"', '\\', '\n'>(s_, i);
      if (i == n) break;
      if (s_[i] == '"') {
        in_string = false;
        last = '"';
        ++i;
        continue;
      }
      if (s_[i] == '\\') {
        i += i + 1 < n && s_[i + 1] != '\n' ? 2 : 1;
        continue;
      }
      // JSON strings hold no raw line end: this one was cut off.
      in_string = false;
      flag(JsonFlaw::unterminated_string, string_start);
    }
    // Between strings, only these bytes matter; the last other one that is
    // not white space is all the line-end rule needs.
    const std::size_t run_start = i;
    i = find_any<'"', '{', '[', '}', ']', '\n'>(s_, i);
    for (std::size_t j = i; j > run_start; --j) {
      if (!is_space(s_[j - 1])) {
        last = s_[j - 1];
        break;
      }
    }
    if (i == n) break;
    const char ch = s_[i];
    switch (ch) {
      case '\n': {
        ++line_;
        // In valid JSON a nested '{' that starts a line follows '[', ',' or
        // ':'. After anything else, a '{' at the start of a line begins the
        // next value and the current one was cut short.
        const bool object_follows = i + 1 < n && s_[i + 1] == '{';
        const bool could_continue = last == '[' || last == ',' || last == ':' || last == '{';
        if (object_follows && (out.flaw != JsonFlaw::none || !could_continue)) {
          flag(JsonFlaw::truncated, i);
          out.end = i;
          pos_ = i + 1;
          return true;
        }
        ++i;
        continue;
      }
      case '"':
        in_string = true;
        string_start = i;
        break;
      case '{':
      case '[':
        if (++depth > kMaxK8sNesting) flag(JsonFlaw::too_deep, i);
        break;
      case '}':
      case ']':
        if (--depth == 0) {
          out.end = i + 1;
          pos_ = i + 1;
          return true;
        }
        break;
      default:
        break;
    }
    last = ch;
    ++i;
  }
  if (in_string) flag(JsonFlaw::unterminated_string, string_start);
  flag(JsonFlaw::truncated, n);
  out.end = n;
  pos_ = n;
  return true;
}

std::string json_path_at(std::string_view json, std::size_t offset) {
  struct Frame {
    bool object;
    bool expect_key;
    std::string_view key;
    std::size_t index;
  };
  std::vector<Frame> stack;
  bool in_string = false;
  std::size_t string_start = 0;
  const std::size_t end = offset < json.size() ? offset : json.size();
  for (std::size_t i = 0; i < end; ++i) {
    const char ch = json[i];
    if (in_string) {
      if (ch == '\\') {
        ++i;
      } else if (ch == '"' || ch == '\n') {
        in_string = false;
        if (ch == '"' && !stack.empty() && stack.back().object && stack.back().expect_key) {
          stack.back().key = json.substr(string_start + 1, i - string_start - 1);
        }
      }
      continue;
    }
    switch (ch) {
      case '"':
        in_string = true;
        string_start = i;
        break;
      case '{':
        stack.push_back(Frame{true, true, {}, 0});
        break;
      case '[':
        stack.push_back(Frame{false, false, {}, 0});
        break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ',':
        if (!stack.empty()) {
          if (stack.back().object) {
            stack.back().expect_key = true;
            stack.back().key = {};
          } else {
            ++stack.back().index;
          }
        }
        break;
      case ':':
        if (!stack.empty() && stack.back().object) stack.back().expect_key = false;
        break;
      default:
        break;
    }
  }
  // A key being read when the text ends names the field that was cut.
  if (in_string && !stack.empty() && stack.back().object && stack.back().expect_key) {
    stack.back().key = json.substr(string_start + 1, end - string_start - 1);
  }
  // Deep paths are cut: the first segments locate the fault well enough.
  constexpr std::size_t kMaxSegments = 16;
  std::string path;
  std::size_t segments = 0;
  for (const Frame& f : stack) {
    if (segments == kMaxSegments) {
      path += "...";
      break;
    }
    if (f.object) {
      if (f.key.empty()) break;
      if (!path.empty()) path += '.';
      path += f.key;
    } else {
      path += '[';
      path += std::to_string(f.index);
      path += ']';
    }
    ++segments;
  }
  return path;
}

std::size_t first_invalid_utf8(std::string_view s) {
  const auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char b = byte(i);
    if (b < 0x80) {
      ++i;
    } else if (b >= 0xC2 && b <= 0xDF) {
      if (!continuation(i + 1)) return i;
      i += 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      if (!continuation(i + 1) || !continuation(i + 2)) return i;
      if (b == 0xE0 && byte(i + 1) < 0xA0) return i;   // overlong
      if (b == 0xED && byte(i + 1) >= 0xA0) return i;  // UTF-16 surrogate
      i += 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      if (!continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3)) return i;
      if (b == 0xF0 && byte(i + 1) < 0x90) return i;   // overlong
      if (b == 0xF4 && byte(i + 1) >= 0x90) return i;  // beyond U+10FFFF
      i += 4;
    } else {
      return i;
    }
  }
  return s.size();
}

}  // namespace eventlens::codec::internal
