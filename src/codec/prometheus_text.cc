#include "codec/prometheus_text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "codec/internal/lines.h"

namespace eventlens::codec {
namespace {

// ---------------------------------------------------------------------------
// Characters

// Character classes by table: the scanners ask once per byte.
enum : std::uint8_t { kBlank = 1, kDigit = 2, kLabelStart = 4, kMetricOnly = 8 };

constexpr auto kCharClass = [] {
  std::array<std::uint8_t, 256> t{};
  t[' '] = t['\t'] = kBlank;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLabelStart;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kLabelStart;
  t['_'] = kLabelStart;
  t[':'] = kMetricOnly;
  return t;
}();

std::uint8_t char_class(char c) { return kCharClass[static_cast<unsigned char>(c)]; }
bool is_blank(char c) { return char_class(c) == kBlank; }
bool is_digit(char c) { return char_class(c) == kDigit; }
bool metric_name_start(char c) { return (char_class(c) & (kLabelStart | kMetricOnly)) != 0; }
bool metric_name_char(char c) { return (char_class(c) & (kLabelStart | kMetricOnly | kDigit)) != 0; }
bool label_name_start(char c) { return char_class(c) == kLabelStart; }
bool label_name_char(char c) { return (char_class(c) & (kLabelStart | kDigit)) != 0; }

bool valid_metric_name(std::string_view s) {
  if (s.empty() || !metric_name_start(s[0])) return false;
  for (char c : s) {
    if (!metric_name_char(c)) return false;
  }
  return true;
}

// Label values and HELP text are mostly plain ASCII; the scanners skip it
// eight bytes at a time.
std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
bool has_byte(std::uint64_t v, unsigned char b) {
  const std::uint64_t x = v ^ (kOnes * b);
  return ((x - kOnes) & ~x & kHighs) != 0;
}
// True when none of the eight bytes at p is '"', '\\' or >= 0x80, the only
// bytes a label value's scanner must stop at.
bool plain8(const char* p) {
  const std::uint64_t v = load8(p);
  return (v & kHighs) == 0 && !has_byte(v, '"') && !has_byte(v, '\\');
}
bool ascii8(const char* p) { return (load8(p) & kHighs) == 0; }

std::size_t skip_blanks(std::string_view s, std::size_t pos) {
  while (pos < s.size() && is_blank(s[pos])) ++pos;
  return pos;
}

// Returns the run of non-blank characters at `pos` and moves `pos` past it.
std::string_view next_token(std::string_view s, std::size_t& pos) {
  const std::size_t start = pos;
  while (pos < s.size() && !is_blank(s[pos])) ++pos;
  return s.substr(start, pos - start);
}

// Returns the length of the well-formed UTF-8 sequence that starts at s[i]
// (a byte >= 0x80), or 0. Overlong forms, surrogates and code points past
// U+10FFFF are not well formed (Unicode 15, table 3-7).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto continuation = [&](std::size_t k) { return (byte(k) & 0xC0) == 0x80; };
  const unsigned char c = byte(i);
  const std::size_t left = s.size() - i;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && continuation(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    const unsigned char c1 = byte(i + 1);
    return c1 >= lo && c1 <= hi && continuation(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    const unsigned char c1 = byte(i + 1);
    return c1 >= lo && c1 <= hi && continuation(i + 2) && continuation(i + 3) ? 4 : 0;
  }
  return 0;
}

// Returns the offset of the first byte that is not well-formed UTF-8, or npos.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size() && ascii8(s.data() + i)) {
      i += 8;
      continue;
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// Returns up to 40 bytes of `s` in double quotes, with bytes outside
// printable ASCII written as \xNN: reasons end up in JSON dead-letter lines
// and terminals, which must not receive broken UTF-8.
std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  out += s.size() > kMax ? "\"..." : "\"";
  return out;
}

std::string column(std::size_t pos) { return "column " + std::to_string(pos + 1); }

// ---------------------------------------------------------------------------
// Numbers

bool equals_ignoring_case(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Parses a float as Prometheus does (Go's strconv.ParseFloat): decimal and
// exponent forms, hexadecimal floats with a 'p' exponent, "Inf"/"Infinity"
// with an optional sign and "NaN" in any case. Out of range is an error, an
// underflow reads as zero.
bool parse_float(std::string_view s, double& out) {
  if (s.empty()) return false;
  bool negative = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return false;
  if (!is_digit(body[0]) && body[0] != '.') {
    if (equals_ignoring_case(body, "inf") || equals_ignoring_case(body, "infinity")) {
      out = negative ? -HUGE_VAL : HUGE_VAL;
      return true;
    }
    // Go refuses a signed NaN.
    if (body.size() == s.size() && equals_ignoring_case(body, "nan")) {
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    return false;
  }
  auto format = std::chars_format::general;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    body.remove_prefix(2);
    // from_chars would take a sign here, and Go insists on the exponent.
    if (!(std::isxdigit(static_cast<unsigned char>(body[0])) || body[0] == '.') ||
        body.find_first_of("pP") == std::string_view::npos) {
      return false;
    }
    format = std::chars_format::hex;
  }
  double v = 0;
  const auto res = std::from_chars(body.data(), body.data() + body.size(), v, format);
  if (res.ptr != body.data() + body.size()) return false;
  if (res.ec == std::errc::result_out_of_range) {
    // from_chars reports both ends of the range alike; a negative exponent
    // or no integer part means the value is too small, not too large.
    const std::size_t e = body.find_first_of(format == std::chars_format::hex ? "pP" : "eE");
    const bool tiny = (e != std::string_view::npos && e + 1 < body.size() && body[e + 1] == '-') ||
                      body[0] == '.' || (body[0] == '0' && body.size() > 1 && body[1] == '.');
    if (!tiny) return false;
    v = 0;
  } else if (res.ec != std::errc()) {
    return false;
  }
  out = negative ? -v : v;
  return true;
}

constexpr TimeNs kNanosPerMilli = 1'000'000;

Error timestamp_error(std::string_view text, std::string why) {
  return make_error("timestamp", quoted(text) + " " + std::move(why));
}

// Returns the time a sample's timestamp names. An integer is milliseconds
// (text format 0.0.4); a number with a fraction or an exponent is seconds
// (OpenMetrics). Seconds are read as decimal text, not through a double, so
// that "1726839814.2239082" keeps every digit down to the nanosecond (finer
// digits are truncated, as in RFC 3339 times).
Result<TimeNs> parse_timestamp(std::string_view s) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  // Mantissa digits without the decimal point, and the exponent that places it.
  const std::size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  const std::string_view int_digits = s.substr(int_start, i - int_start);
  std::string_view frac_digits;
  bool decimal = false;
  if (i < s.size() && s[i] == '.') {
    decimal = true;
    const std::size_t frac_start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac_digits = s.substr(frac_start, i - frac_start);
  }
  std::int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    decimal = true;
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      exp_negative = s[i] == '-';
      ++i;
    }
    const std::size_t exp_start = i;
    while (i < s.size() && is_digit(s[i])) {
      // Past 10^6 nothing fits either way; clamping avoids overflow.
      if (exponent < 1'000'000) exponent = exponent * 10 + (s[i] - '0');
      ++i;
    }
    if (i == exp_start) {
      return timestamp_error(s, "is not a number (milliseconds as an integer, or seconds with a fraction)");
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size() || (int_digits.empty() && frac_digits.empty())) {
    return timestamp_error(s, "is not a number (milliseconds as an integer, or seconds with a fraction)");
  }
  const auto all_zero = [](std::string_view d) { return d.find_first_not_of('0') == std::string_view::npos; };
  const bool zero = all_zero(int_digits) && all_zero(frac_digits);
  if (negative && !zero) return timestamp_error(s, "is before 1970-01-01");
  const auto too_late = [&] { return timestamp_error(s, "is after 2262-04-11, out of range for int64 nanoseconds"); };

  if (!decimal) {
    std::int64_t ms = 0;
    for (char c : int_digits) {
      if (ms > (kMaxTime / kNanosPerMilli - (c - '0')) / 10) return too_late();
      ms = ms * 10 + (c - '0');
    }
    return ms * kNanosPerMilli;
  }
  // Seconds: nanoseconds = digits x 10^(exponent - fraction digits + 9).
  // Leading zeros carry nothing and would only eat the digit budget.
  std::string_view digits_int = int_digits;
  while (!digits_int.empty() && digits_int[0] == '0') digits_int.remove_prefix(1);
  std::string_view digits_frac = frac_digits;
  if (digits_int.empty()) {
    while (!digits_frac.empty() && digits_frac[0] == '0') {
      digits_frac.remove_prefix(1);
      --exponent;
    }
  }
  const std::int64_t n_digits = static_cast<std::int64_t>(digits_int.size() + digits_frac.size());
  const std::int64_t shift = exponent - static_cast<std::int64_t>(digits_frac.size()) + 9;
  // The count of digits left of the nanosecond point.
  const std::int64_t kept = n_digits + shift;
  if (kept > 19) return too_late();
  std::uint64_t ns = 0;
  for (std::int64_t k = 0; k < kept; ++k) {
    char c = '0';
    if (k < static_cast<std::int64_t>(digits_int.size())) {
      c = digits_int[static_cast<std::size_t>(k)];
    } else if (k < n_digits) {
      c = digits_frac[static_cast<std::size_t>(k) - digits_int.size()];
    }
    ns = ns * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (ns > static_cast<std::uint64_t>(kMaxTime)) return too_late();
  return static_cast<TimeNs>(ns);
}

// ---------------------------------------------------------------------------
// Label sets

// A label as it stands in the line: a view of its name and of its value
// before unescaping.
struct RawLabel {
  std::string_view name;
  std::string_view value;
  bool escaped = false;
};

// Reads `{name="value", ...}` starting at line[pos] == '{' into views and
// moves `pos` past the '}'. Escapes \\ \" \n; blanks around '=' and ','; a
// trailing comma. Every value must be well-formed UTF-8.
Status scan_label_set(std::string_view line, std::size_t& pos, std::vector<RawLabel>& out) {
  out.clear();
  ++pos;
  for (;;) {
    pos = skip_blanks(line, pos);
    if (pos >= line.size()) return make_error("labels", "no closing '}'");
    if (line[pos] == '}') {
      ++pos;
      return ok_status();
    }
    const std::size_t name_start = pos;
    if (line[pos] == '"') {
      return make_error("labels", "quoted label names (Prometheus 3 UTF-8 names) are not read, at " +
                                      column(pos));
    }
    while (pos < line.size() && label_name_char(line[pos])) ++pos;
    const std::string_view name = line.substr(name_start, pos - name_start);
    if (name.empty() || !label_name_start(name[0])) {
      std::size_t end = name_start;
      while (end < line.size() && !is_blank(line[end]) && line[end] != '=' && line[end] != ',' &&
             line[end] != '}') {
        ++end;
      }
      return make_error("labels", quoted(line.substr(name_start, std::max(end, name_start + 1) - name_start)) +
                                      " at " + column(name_start) +
                                      " is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
    }
    const auto fail = [&](std::string reason) {
      return make_error("labels." + std::string(name), std::move(reason));
    };
    pos = skip_blanks(line, pos);
    if (pos >= line.size() || line[pos] != '=') {
      return fail("expected '=' after the label name, found " +
                  (pos < line.size() ? quoted(line.substr(pos, 1)) : std::string("the end of the line")));
    }
    pos = skip_blanks(line, pos + 1);
    if (pos >= line.size() || line[pos] != '"') return fail("the value must be in double quotes");
    const std::size_t value_start = ++pos;
    bool escaped = false;
    for (;;) {
      while (pos + 8 <= line.size() && plain8(line.data() + pos)) pos += 8;
      if (pos >= line.size()) return fail("unterminated value (no closing '\"')");
      const char c = line[pos];
      if (c == '"') break;
      if (c == '\\') {
        if (pos + 1 >= line.size()) return fail("unterminated value (no closing '\"')");
        const char e = line[pos + 1];
        if (e != '\\' && e != '"' && e != 'n') {
          return fail("invalid escape " + quoted(line.substr(pos, 2)) + " at " + column(pos) +
                      " (only \\\\, \\\" and \\n)");
        }
        escaped = true;
        pos += 2;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x80) {
        ++pos;
        continue;
      }
      const std::size_t n = utf8_sequence_length(line, pos);
      if (n == 0) return fail("not valid UTF-8 (byte " + quoted(line.substr(pos, 1)) + " at " + column(pos) + ")");
      pos += n;
    }
    out.push_back(RawLabel{name, line.substr(value_start, pos - value_start), escaped});
    pos = skip_blanks(line, pos + 1);
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
    } else if (pos >= line.size() || line[pos] != '}') {
      return make_error("labels", "expected ',' or '}' after the value of " + std::string(name) + " at " +
                                      column(pos));
    }
  }
}

void unescape_into(std::string_view raw, std::string& out) {
  out.clear();
  std::size_t i = 0;
  for (;;) {
    const std::size_t j = raw.find('\\', i);
    if (j == std::string_view::npos) {
      out.append(raw.substr(i));
      return;
    }
    out.append(raw.substr(i, j - i));
    const char e = raw[j + 1];  // scan_label_set checked that one follows
    out += e == 'n' ? '\n' : e;
    i = j + 2;
  }
}

const RawLabel* find_label(const std::vector<RawLabel>& labels, std::string_view name) {
  for (const RawLabel& l : labels) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

// Sets `labels` to exactly n entries. Entries beyond n are parked in `spare`
// rather than destroyed, so that a line with fewer labels than the one before
// does not throw away string capacity the next line will want.
void resize_labels(Labels& labels, std::size_t n, Labels& spare) {
  while (labels.size() > n) {
    spare.push_back(std::move(labels.back()));
    labels.pop_back();
  }
  while (labels.size() < n) {
    if (spare.empty()) {
      labels.emplace_back();
    } else {
      labels.push_back(std::move(spare.back()));
      spare.pop_back();
    }
  }
}

// ---------------------------------------------------------------------------
// Families

enum class FamilyType : std::uint8_t {
  unknown, counter, gauge, histogram, gaugehistogram, summary, info, stateset
};

bool parse_family_type(std::string_view s, FamilyType& out) {
  static constexpr std::pair<std::string_view, FamilyType> kTypes[] = {
      {"counter", FamilyType::counter},     {"gauge", FamilyType::gauge},
      {"histogram", FamilyType::histogram}, {"gaugehistogram", FamilyType::gaugehistogram},
      {"summary", FamilyType::summary},     {"untyped", FamilyType::unknown},
      {"unknown", FamilyType::unknown},     {"info", FamilyType::info},
      {"stateset", FamilyType::stateset},
  };
  for (const auto& [name, type] : kTypes) {
    if (s == name) {
      out = type;
      return true;
    }
  }
  return false;
}

std::string_view to_string(FamilyType t) {
  switch (t) {
    case FamilyType::counter: return "counter";
    case FamilyType::gauge: return "gauge";
    case FamilyType::histogram: return "histogram";
    case FamilyType::gaugehistogram: return "gaugehistogram";
    case FamilyType::summary: return "summary";
    case FamilyType::info: return "info";
    case FamilyType::stateset: return "stateset";
    case FamilyType::unknown: break;
  }
  return "untyped";
}

// Sample name suffixes that belong to a family of another name (0.0.4 and
// OpenMetrics).
constexpr std::string_view kFamilySuffixes[] = {"_bucket", "_count", "_sum",  "_total",
                                                "_created", "_gcount", "_gsum", "_info"};

// The TYPE of every family of one exposition, by name. Open addressing over
// slots whose strings are kept between payloads, so that a decoder that has
// seen an exposition once allocates nothing for the next one of its size.
class FamilyTypes {
 public:
  void clear() {
    for (std::size_t i : used_) slots_[i].used = false;
    used_.clear();
  }
  bool empty() const { return used_.empty(); }

  const FamilyType* find(std::string_view name) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = index(name);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.name == name) return &s.type;
    }
  }

  // Returns the type already recorded for `name`, or nullptr after recording
  // `type`.
  const FamilyType* insert(std::string_view name, FamilyType type) {
    if ((used_.size() + 1) * 2 > slots_.size()) grow();
    for (std::size_t i = index(name);; i = (i + 1) & (slots_.size() - 1)) {
      Slot& s = slots_[i];
      if (s.used) {
        if (s.name == name) return &s.type;
        continue;
      }
      s.used = true;
      s.name.assign(name);
      s.type = type;
      used_.push_back(i);
      return nullptr;
    }
  }

 private:
  struct Slot {
    std::string name;
    FamilyType type = FamilyType::unknown;
    bool used = false;
  };

  std::size_t index(std::string_view name) const {
    return std::hash<std::string_view>{}(name) & (slots_.size() - 1);
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.clear();
    slots_.resize(std::max<std::size_t>(64, old.size() * 2));
    used_.clear();
    for (Slot& s : old) {
      if (!s.used) continue;
      std::size_t i = index(s.name);
      while (slots_[i].used) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = std::move(s);
      used_.push_back(i);
    }
  }

  std::vector<Slot> slots_;  // size 0 or a power of two
  std::vector<std::size_t> used_;
};

// What a sample's family TYPE asks of its labels.
enum class SampleRole : std::uint8_t { plain, bucket, quantile };

SampleRole role_of(FamilyType type, std::string_view suffix) {
  if ((type == FamilyType::histogram || type == FamilyType::gaugehistogram) && suffix == "_bucket") {
    return SampleRole::bucket;
  }
  if (type == FamilyType::summary && suffix.empty()) return SampleRole::quantile;
  return SampleRole::plain;
}

bool is_family_suffix(std::string_view s) {
  return s.empty() || std::find(std::begin(kFamilySuffixes), std::end(kFamilySuffixes), s) !=
                          std::end(kFamilySuffixes);
}

}  // namespace

// ---------------------------------------------------------------------------
// Decoder

struct PrometheusTextDecoder::Impl {
  DecodeOptions options;
  Record record{std::in_place_type<MetricSample>};
  std::vector<RawLabel> labels;
  std::vector<RawLabel> exemplar_labels;
  Labels spare_labels;
  FamilyTypes families;
  // The family of the latest TYPE line: in a well-formed exposition every
  // sample follows its family's TYPE, so this answers almost every lookup.
  std::string current_family;
  FamilyType current_type = FamilyType::unknown;

  SampleRole role_of_sample(std::string_view name) const;
  Status read_comment(std::string_view line, std::size_t pos, bool& eof);
  Status read_type(std::string_view line, std::size_t pos);
  Status read_help(std::string_view line, std::size_t pos);
  Status read_sample(std::string_view line, std::size_t pos, MetricSample& m);
  Status read_exemplar(std::string_view line, std::size_t pos);
  Status check_role(std::string_view name);
};

SampleRole PrometheusTextDecoder::Impl::role_of_sample(std::string_view name) const {
  if (families.empty()) return SampleRole::plain;
  if (name.starts_with(current_family)) {
    const std::string_view suffix = name.substr(current_family.size());
    if (is_family_suffix(suffix)) return role_of(current_type, suffix);
  }
  if (const FamilyType* t = families.find(name)) return role_of(*t, {});
  for (std::string_view suffix : kFamilySuffixes) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      if (const FamilyType* t = families.find(name.substr(0, name.size() - suffix.size()))) {
        return role_of(*t, suffix);
      }
    }
  }
  return SampleRole::plain;
}

Status PrometheusTextDecoder::Impl::read_comment(std::string_view line, std::size_t pos, bool& eof) {
  // Only "# HELP", "# TYPE" and "# EOF" mean something; any other comment
  // (OpenMetrics "# UNIT" included) is skipped unread.
  ++pos;
  if (pos >= line.size() || !is_blank(line[pos])) return ok_status();
  pos = skip_blanks(line, pos);
  const std::string_view keyword = next_token(line, pos);
  if (keyword == "EOF") {
    eof = skip_blanks(line, pos) == line.size();
    return ok_status();
  }
  if (keyword == "TYPE") return read_type(line, pos);
  if (keyword == "HELP") return read_help(line, pos);
  return ok_status();
}

Status PrometheusTextDecoder::Impl::read_type(std::string_view line, std::size_t pos) {
  pos = skip_blanks(line, pos);
  const std::string_view name = next_token(line, pos);
  if (!valid_metric_name(name)) {
    return make_error("type", name.empty() ? std::string("a TYPE line names a metric family and a type")
                                           : quoted(name) + " is not a metric name");
  }
  pos = skip_blanks(line, pos);
  const std::string_view word = next_token(line, pos);
  FamilyType type = FamilyType::unknown;
  if (!parse_family_type(word, type)) {
    return make_error("type", (word.empty() ? std::string("no type") : quoted(word) + " is not a type") +
                                  " for " + std::string(name) +
                                  " (counter, gauge, histogram, gaugehistogram, summary, info, "
                                  "stateset, untyped, unknown)");
  }
  if (skip_blanks(line, pos) != line.size()) {
    return make_error("type", "unexpected text after the type: " + quoted(line.substr(skip_blanks(line, pos))));
  }
  // A second TYPE for one family is refused as Prometheus refuses it; the
  // first one stays in force for the samples that follow.
  if (const FamilyType* before = families.insert(name, type)) {
    return make_error("type", "a second TYPE line for " + std::string(name) + " (the first said " +
                                  std::string(to_string(*before)) + ")");
  }
  current_family.assign(name);
  current_type = type;
  return ok_status();
}

Status PrometheusTextDecoder::Impl::read_help(std::string_view line, std::size_t pos) {
  // The text itself is dropped: a MetricSample has no place for a family's
  // documentation. The line is still checked, so that a broken one shows.
  pos = skip_blanks(line, pos);
  const std::string_view name = next_token(line, pos);
  if (!valid_metric_name(name)) {
    return make_error("help", name.empty() ? std::string("a HELP line names a metric family")
                                           : quoted(name) + " is not a metric name");
  }
  if (const std::size_t bad = first_invalid_utf8(line); bad != std::string_view::npos) {
    return make_error("help", "not valid UTF-8 (byte " + quoted(line.substr(bad, 1)) + " at " + column(bad) + ")");
  }
  return ok_status();
}

Status PrometheusTextDecoder::Impl::read_exemplar(std::string_view line, std::size_t pos) {
  // ` # {labels} value [timestamp]` after an OpenMetrics sample. It is checked
  // and dropped: eventlens keeps no exemplars, and its timestamp is the
  // exemplar's own, not the sample's.
  const auto fail = [](std::string reason) { return make_error("exemplar", std::move(reason)); };
  pos = skip_blanks(line, pos + 1);
  if (pos >= line.size() || line[pos] != '{') {
    return fail("expected an exemplar (`# {labels} value [timestamp]`) after the sample, found " +
                quoted(line.substr(pos)));
  }
  if (Status st = scan_label_set(line, pos, exemplar_labels); !st) {
    return make_error("exemplar." + st.error().field, st.error().reason);
  }
  pos = skip_blanks(line, pos);
  const std::string_view value = next_token(line, pos);
  double v = 0;
  if (value.empty()) return fail("the exemplar has no value");
  if (!parse_float(value, v)) return fail("the exemplar's value " + quoted(value) + " is not a number");
  pos = skip_blanks(line, pos);
  if (pos < line.size()) {
    const std::string_view ts = next_token(line, pos);
    if (!parse_float(ts, v) || !std::isfinite(v)) {
      return fail("the exemplar's timestamp " + quoted(ts) + " is not a number");
    }
    pos = skip_blanks(line, pos);
    if (pos < line.size()) return fail("unexpected text after the exemplar: " + quoted(line.substr(pos)));
  }
  return ok_status();
}

Status PrometheusTextDecoder::Impl::check_role(std::string_view name) {
  const SampleRole role = role_of_sample(name);
  if (role == SampleRole::plain) return ok_status();
  const std::string_view key = role == SampleRole::bucket ? "le" : "quantile";
  const RawLabel* l = find_label(labels, key);
  if (l == nullptr) {
    return make_error("labels." + std::string(key),
                      role == SampleRole::bucket
                          ? "missing: a histogram's _bucket sample needs an le label (its upper bound)"
                          : "missing: a summary's sample needs a quantile label");
  }
  double bound = 0;
  if (!parse_float(l->value, bound)) {
    return make_error("labels." + std::string(key), quoted(l->value) + " is not a number");
  }
  return ok_status();
}

Status PrometheusTextDecoder::Impl::read_sample(std::string_view line, std::size_t pos, MetricSample& m) {
  // The name.
  const std::size_t name_start = pos;
  while (pos < line.size() && metric_name_char(line[pos])) ++pos;
  const std::string_view name = line.substr(name_start, pos - name_start);
  if (name.empty() || !metric_name_start(name[0])) {
    if (line[name_start] == '{') {
      return make_error("name", "the line has no metric name before '{' (Prometheus 3 quoted names are not read)");
    }
    std::size_t token_end = name_start;
    return make_error("name", "a sample line starts with a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), not " +
                                  quoted(next_token(line, token_end)));
  }
  if (pos < line.size() && line[pos] != '{' && !is_blank(line[pos])) {
    return make_error("name", "unexpected " + quoted(line.substr(pos, 1)) + " at " + column(pos) +
                                  " after the metric name " + quoted(name));
  }

  // The labels, as views first: they are checked and sorted before anything
  // is copied into the sample.
  // Blanks may stand between the name and '{' (as the Go client's parser
  // allows).
  labels.clear();
  pos = skip_blanks(line, pos);
  if (pos < line.size() && line[pos] == '{') {
    if (Status st = scan_label_set(line, pos, labels); !st) return st;
    std::sort(labels.begin(), labels.end(),
              [](const RawLabel& a, const RawLabel& b) { return a.name < b.name; });
    for (std::size_t i = 1; i < labels.size(); ++i) {
      if (labels[i].name == labels[i - 1].name) {
        return make_error("labels." + std::string(labels[i].name), "duplicate label");
      }
    }
  }

  // The value.
  pos = skip_blanks(line, pos);
  const std::string_view value = next_token(line, pos);
  if (value.empty()) return make_error("value", "missing");
  if (!parse_float(value, m.value)) return make_error("value", quoted(value) + " is not a number");

  // The timestamp, then perhaps an exemplar.
  pos = skip_blanks(line, pos);
  m.time = options.default_time;
  if (pos < line.size() && line[pos] != '#') {
    const std::string_view ts = next_token(line, pos);
    auto t = parse_timestamp(ts);
    if (!t) return t.error();
    m.time = *t;
    pos = skip_blanks(line, pos);
  }
  if (pos < line.size()) {
    if (line[pos] != '#') return make_error("", "unexpected text after the timestamp: " + quoted(line.substr(pos)));
    if (Status st = read_exemplar(line, pos); !st) return st;
  }

  if (Status st = check_role(name); !st) return st;

  // Only now does anything get copied, into storage kept from the last line.
  // A label with an empty value is the same series as no label at all in
  // Prometheus, which drops such labels when it ingests a scrape.
  m.name.assign(name);
  std::size_t n = 0;
  for (const RawLabel& l : labels) n += l.value.empty() ? 0 : 1;
  resize_labels(m.labels, n, spare_labels);
  std::size_t k = 0;
  for (const RawLabel& l : labels) {
    if (l.value.empty()) continue;
    auto& [key, val] = m.labels[k++];
    key.assign(l.name);
    if (l.escaped) {
      unescape_into(l.value, val);
    } else {
      val.assign(l.value);
    }
  }
  return ok_status();
}

PrometheusTextDecoder::PrometheusTextDecoder(DecodeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

PrometheusTextDecoder::~PrometheusTextDecoder() = default;

void PrometheusTextDecoder::decode(std::string_view payload, RecordHandler& out) {
  Impl& d = *impl_;
  const DecodeOptions& options = d.options;
  if (payload.size() > options.max_payload_bytes) {
    out.on_reject(make_error("", "payload is " + std::to_string(payload.size()) + " bytes, over the " +
                                     std::to_string(options.max_payload_bytes) + "-byte limit"),
                  0);
    return;
  }
  d.families.clear();
  d.current_family.clear();
  d.current_type = FamilyType::unknown;
  MetricSample& sample = std::get<MetricSample>(d.record);

  std::size_t eof_line = 0;
  std::size_t first_after_eof = 0;
  std::size_t lines_after_eof = 0;
  internal::for_each_line(payload, [&](std::string_view line, std::size_t line_no) {
    if (eof_line != 0) {
      if (lines_after_eof++ == 0) first_after_eof = line_no;
      return;
    }
    if (line.size() > options.max_record_bytes) {
      out.on_reject(make_error("", "line is " + std::to_string(line.size()) + " bytes, over the " +
                                       std::to_string(options.max_record_bytes) + "-byte limit"),
                    line_no);
      return;
    }
    const std::size_t pos = skip_blanks(line, 0);  // the splitter skipped blank lines
    if (line[pos] == '#') {
      bool eof = false;
      if (Status st = d.read_comment(line, pos, eof); !st) out.on_reject(Error(st.error()), line_no);
      if (eof) eof_line = line_no;
      return;
    }
    if (Status st = d.read_sample(line, pos, sample); st) {
      out.on_record(d.record, line_no);
    } else {
      out.on_reject(Error(st.error()), line_no);
    }
  });
  // OpenMetrics allows nothing after `# EOF`; what follows is reported, not
  // dropped silently.
  if (lines_after_eof != 0) {
    out.on_reject(make_error("", std::to_string(lines_after_eof) + " line(s) after the `# EOF` of line " +
                                     std::to_string(eof_line) + " not read: `# EOF` ends the exposition"),
                  first_after_eof);
  }
}

// ---------------------------------------------------------------------------
// Encoder

namespace {

// Writes `name` with every character a Prometheus name may not hold replaced
// by '_' (one per code point), and a '_' before a leading digit.
void append_name(std::string& out, std::string_view name, bool (*start)(char), bool (*rest)(char)) {
  const std::size_t before = out.size();
  for (const char c : name) {
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte
    if (out.size() == before) {
      if (is_digit(c)) out += '_';
      out += start(c) || is_digit(c) ? c : '_';
    } else {
      out += rest(c) ? c : '_';
    }
  }
  if (out.size() == before) out += '_';
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Writes a value as Prometheus's Go code does (strconv 'g', shortest): an
// exponent below -4 or from 6 up gives the e-form ("1.427647e+06"), anything
// else the plain form ("840923.7919437207").
void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t e = sci.find('e');
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  if (exponent < -4 || exponent >= 6) {
    out += sci;
    return;
  }
  res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  out.append(buf, res.ptr);
}

}  // namespace

void encode_prometheus_text(std::span<const MetricSample> samples, std::string& out) {
  for (const MetricSample& s : samples) {
    append_name(out, s.name, metric_name_start, metric_name_char);
    if (!s.labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < s.labels.size(); ++i) {
        if (i != 0) out += ',';
        append_name(out, s.labels[i].first, label_name_start, label_name_char);
        out += "=\"";
        append_label_value(out, s.labels[i].second);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    append_value(out, s.value);
    // Milliseconds are the text format's unit: a finer time is truncated.
    out += ' ';
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, s.time / kNanosPerMilli);
    out.append(buf, res.ptr);
    out += '\n';
  }
}

}  // namespace eventlens::codec
