#include "codec/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace eventlens::codec {

namespace {

// Returns whether any of the 8 bytes in `w` needs escaping in JSON: below
// 0x20, '"' or '\\' (bit tricks from "Bit Twiddling Hacks": haszero/hasless).
bool word_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  const std::uint64_t q = w ^ (kOnes * '"');
  const std::uint64_t quote = (q - kOnes) & ~q & kHigh;
  const std::uint64_t b = w ^ (kOnes * '\\');
  const std::uint64_t backslash = (b - kOnes) & ~b & kHigh;
  return (below_space | quote | backslash) != 0;
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Most strings (names, labels, ids) need no escaping: check eight bytes at
  // a time and copy them whole.
  std::size_t clean = 0;
  while (clean + 8 <= s.size()) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + clean, 8);
    if (word_needs_escape(w)) break;
    clean += 8;
  }
  std::size_t run_start = 0;
  for (std::size_t i = clean; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run_start, s.size() - run_start);
}

void JsonWriter::key(std::string_view k) {
  separate();
  out_ += '"';
  append_json_escaped(out_, k);
  out_ += "\":";
  after_key_ = true;
}

void JsonWriter::string(std::string_view s) {
  separate();
  out_ += '"';
  append_json_escaped(out_, s);
  out_ += '"';
}

void JsonWriter::integer(std::int64_t v) {
  separate();
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, res.ptr);
}

void JsonWriter::number(double v) {
  if (std::isnan(v)) return string("NaN");
  if (std::isinf(v)) return string(v > 0 ? "+Inf" : "-Inf");
  separate();
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, res.ptr);
  // "3" would read back as an integer; keep it a double.
  const std::string_view written(buf, static_cast<std::size_t>(res.ptr - buf));
  if (written.find_first_of(".eE") == std::string_view::npos) out_ += ".0";
}

void JsonWriter::boolean(bool v) {
  separate();
  out_ += v ? "true" : "false";
}

void JsonWriter::null() {
  separate();
  out_ += "null";
}

void JsonWriter::time(TimeNs t) {
  separate();
  out_ += '"';
  append_rfc3339(out_, t);
  out_ += '"';
}

void JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
}

void JsonWriter::attributes(const Attributes& attrs) {
  begin_object();
  for (const auto& [k, v] : attrs) {
    key(k);
    std::visit(
        [this](const auto& x) {
          using V = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<V, std::string>) {
            string(x);
          } else if constexpr (std::is_same_v<V, std::int64_t>) {
            integer(x);
          } else if constexpr (std::is_same_v<V, double>) {
            number(x);
          } else {
            boolean(x);
          }
        },
        v);
  }
  end_object();
}

void JsonWriter::labels(const Labels& labels) {
  begin_object();
  for (const auto& [k, v] : labels) field(k, v);
  end_object();
}

}  // namespace eventlens::codec
