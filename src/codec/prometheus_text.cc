#include "codec/prometheus_text.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "codec/internal/lines.h"
#include "codec/json_writer.h"

namespace eventlens::codec {
namespace {

bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
bool label_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool label_char(char c) { return label_start(c) || (c >= '0' && c <= '9'); }

// A cursor over one line; every parse step returns false with `error` set.
struct LineParser {
  std::string_view line;
  std::size_t pos = 0;
  Error error;

  bool fail(std::string field, std::string reason) {
    error = make_error(std::move(field), std::move(reason));
    return false;
  }
  void skip_blanks() {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  }
  bool at_end() const { return pos >= line.size(); }

  // Reads a run of characters up to a blank (a value or a timestamp).
  std::string_view token() {
    const std::size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    return line.substr(start, pos - start);
  }

  bool metric_name(std::string& out) {
    const std::size_t start = pos;
    if (at_end() || !name_start(line[pos])) return fail("name", "a sample line must start with a metric name");
    while (pos < line.size() && name_char(line[pos])) ++pos;
    out.assign(line.substr(start, pos - start));
    return true;
  }

  // {name="value", ...}: escapes \\ \" \n; blanks around commas; a trailing
  // comma allowed.
  bool labels(Labels& out, std::string& value_buffer) {
    ++pos;  // '{'
    std::size_t n = 0;
    for (;;) {
      skip_blanks();
      if (at_end()) return fail("labels", "unterminated label set");
      if (line[pos] == '}') {
        ++pos;
        break;
      }
      const std::size_t start = pos;
      if (!label_start(line[pos])) {
        return fail("labels", "invalid label name at column " + std::to_string(pos + 1));
      }
      while (pos < line.size() && label_char(line[pos])) ++pos;
      const std::string_view name = line.substr(start, pos - start);
      skip_blanks();
      if (at_end() || line[pos] != '=') return fail("labels." + std::string(name), "expected '='");
      ++pos;
      skip_blanks();
      if (at_end() || line[pos] != '"') return fail("labels." + std::string(name), "expected a quoted value");
      ++pos;
      value_buffer.clear();
      bool closed = false;
      while (pos < line.size()) {
        const char c = line[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          value_buffer += c;
          continue;
        }
        if (pos >= line.size()) break;
        const char e = line[pos++];
        if (e == 'n') value_buffer += '\n';
        else if (e == '\\') value_buffer += '\\';
        else if (e == '"') value_buffer += '"';
        else return fail("labels." + std::string(name), std::string("invalid escape \\") + e);
      }
      if (!closed) return fail("labels." + std::string(name), "unterminated label value");
      if (n == out.size()) out.emplace_back();
      out[n].first.assign(name);
      out[n].second.assign(value_buffer);
      ++n;
      skip_blanks();
      if (!at_end() && line[pos] == ',') {
        ++pos;
        continue;
      }
      skip_blanks();
      if (at_end() || line[pos] != '}') return fail("labels", "expected ',' or '}' after a label");
    }
    out.resize(n);
    std::sort(out.begin(), out.end());
    for (std::size_t i = 1; i < out.size(); ++i) {
      if (out[i].first == out[i - 1].first) return fail("labels." + out[i].first, "duplicate label");
    }
    return true;
  }
};

// Parses a Prometheus float: Go's ParseFloat forms plus NaN and (+/-)Inf.
bool parse_value(std::string_view s, double& out) {
  if (s == "NaN" || s == "nan") {
    out = std::nan("");
    return true;
  }
  if (s == "+Inf" || s == "Inf" || s == "+inf" || s == "inf") {
    out = HUGE_VAL;
    return true;
  }
  if (s == "-Inf" || s == "-inf") {
    out = -HUGE_VAL;
    return true;
  }
  std::string_view body = s;
  if (!body.empty() && body[0] == '+') body.remove_prefix(1);  // from_chars refuses '+'
  if (body.empty()) return false;
  const auto res = std::from_chars(body.data(), body.data() + body.size(), out);
  return res.ec == std::errc() && res.ptr == body.data() + body.size();
}

// An integer timestamp is milliseconds (text format 0.0.4); one with a
// fraction or an exponent is seconds (OpenMetrics).
Result<TimeNs> parse_timestamp(std::string_view s) {
  if (s.find_first_of(".eE") == std::string_view::npos) {
    std::int64_t ms = 0;
    const auto res = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (res.ec == std::errc::result_out_of_range) return make_error("timestamp", "out of range");
    if (res.ec != std::errc() || res.ptr != s.data() + s.size()) {
      return make_error("timestamp", "not a number: \"" + std::string(s.substr(0, 32)) + "\"");
    }
    if (ms < 0) return make_error("timestamp", "before 1970-01-01");
    if (ms > kMaxTime / 1'000'000) return make_error("timestamp", "after 2262-04-11, out of range for int64 nanoseconds");
    return ms * 1'000'000;
  }
  double seconds = 0;
  if (!parse_value(s, seconds) || !std::isfinite(seconds)) {
    return make_error("timestamp", "not a number: \"" + std::string(s.substr(0, 32)) + "\"");
  }
  if (seconds < 0) return make_error("timestamp", "before 1970-01-01");
  if (seconds >= 9.2233720368e9) return make_error("timestamp", "after 2262-04-11, out of range for int64 nanoseconds");
  const double whole = std::floor(seconds);
  return static_cast<TimeNs>(whole) * kNanosPerSecond +
         static_cast<TimeNs>(std::llround((seconds - whole) * 1e9));
}

}  // namespace

PrometheusTextDecoder::PrometheusTextDecoder(DecodeOptions options) : options_(std::move(options)) {}

void PrometheusTextDecoder::decode(std::string_view payload, RecordHandler& out) {
  if (payload.size() > options_.max_payload_bytes) {
    out.on_reject(make_error("", "payload is " + std::to_string(payload.size()) + " bytes, over the " +
                                     std::to_string(options_.max_payload_bytes) + "-byte limit"),
                  0);
    return;
  }
  Record record{std::in_place_type<MetricSample>};
  MetricSample& sample = std::get<MetricSample>(record);
  std::string value_buffer;
  internal::for_each_line(payload, [&](std::string_view line, std::size_t line_no) -> bool {
    if (line.size() > options_.max_record_bytes) {
      out.on_reject(make_error("", "line is " + std::to_string(line.size()) + " bytes, over the " +
                                       std::to_string(options_.max_record_bytes) + "-byte limit"),
                    line_no);
      return true;
    }
    LineParser p;
    p.line = line;
    p.skip_blanks();
    if (line[p.pos] == '#') {
      // HELP, TYPE and other comments carry no samples; `# EOF` ends an
      // OpenMetrics exposition (and is harmless in a 0.0.4 one).
      if (line.substr(p.pos) == "# EOF") return false;
      return true;
    }
    if (!simdjson::validate_utf8(line.data(), line.size())) {
      out.on_reject(make_error("", "not valid UTF-8"), line_no);
      return true;
    }
    const auto reject = [&](Error e) { out.on_reject(std::move(e), line_no); };
    if (!p.metric_name(sample.name)) {
      reject(p.error);
      return true;
    }
    p.skip_blanks();
    if (!p.at_end() && line[p.pos] == '{') {
      if (!p.labels(sample.labels, value_buffer)) {
        reject(p.error);
        return true;
      }
    } else {
      sample.labels.clear();
    }
    p.skip_blanks();
    const std::string_view value_text = p.token();
    if (value_text.empty()) {
      reject(make_error("value", "missing"));
      return true;
    }
    if (!parse_value(value_text, sample.value)) {
      reject(make_error("value", "not a number: \"" + std::string(value_text.substr(0, 32)) + "\""));
      return true;
    }
    p.skip_blanks();
    sample.time = options_.default_time;
    if (!p.at_end() && line[p.pos] != '#') {
      auto t = parse_timestamp(p.token());
      if (!t) {
        reject(t.error());
        return true;
      }
      sample.time = *t;
      p.skip_blanks();
    }
    // What may follow is an OpenMetrics exemplar (` # {labels} value [ts]`):
    // dropped, as eventlens keeps no exemplars.
    if (!p.at_end() && line[p.pos] != '#') {
      reject(make_error("", "unexpected text after the sample: \"" + std::string(line.substr(p.pos, 32)) + "\""));
      return true;
    }
    out.on_record(record, line_no);
    return true;
  });
}

namespace {

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

}  // namespace

void encode_prometheus_text(std::span<const MetricSample> samples, std::string& out) {
  for (const MetricSample& s : samples) {
    out += s.name;
    if (!s.labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < s.labels.size(); ++i) {
        if (i != 0) out += ',';
        out += s.labels[i].first;
        out += "=\"";
        append_label_value(out, s.labels[i].second);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    if (std::isnan(s.value)) {
      out += "NaN";
    } else if (std::isinf(s.value)) {
      out += s.value > 0 ? "+Inf" : "-Inf";
    } else {
      char buf[32];
      const auto res = std::to_chars(buf, buf + sizeof buf, s.value);
      out.append(buf, res.ptr);
    }
    // Millisecond timestamps are the text format's unit; finer times are
    // rounded down to the millisecond.
    out += ' ';
    out += std::to_string(s.time / 1'000'000);
    out += '\n';
  }
}

}  // namespace eventlens::codec
