#include <simdjson.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cstdint>
#include <istream>
#include <streambuf>

#include "codec/internal/k8s_json_scan.h"
#include "codec/internal/k8s_yaml.h"
#include "codec/json_writer.h"

namespace eventlens::codec::internal {
namespace {

// Lets yaml-cpp read a string_view without copying it into a stringstream.
class ViewStreambuf final : public std::streambuf {
 public:
  explicit ViewStreambuf(std::string_view s) {
    char* p = const_cast<char*>(s.data());  // the get area is never written
    setg(p, p, p + s.size());
  }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void append_string(std::string& out, std::string_view s) {
  out += '"';
  append_json_escaped(out, s);
  out += '"';
}

// 0o17 and 0x1F: written in decimal when they fit int64, kept as text when not.
bool append_radix_integer(std::string& out, std::string_view digits, unsigned radix) {
  std::uint64_t v = 0;
  for (const char c : digits) {
    const auto d = static_cast<std::uint64_t>(radix == 16 ? hex_value(c) : c - '0');
    if (v > (static_cast<std::uint64_t>(INT64_MAX) - d) / radix) return false;
    v = v * radix + d;
  }
  out += std::to_string(v);
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, written as a JSON
// number that stays a floating-point number.
bool append_float(std::string& out, std::string_view s) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  const std::size_t int_begin = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  std::string_view int_part = s.substr(int_begin, i - int_begin);
  bool dot = false;
  std::string_view frac;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    const std::size_t frac_begin = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    frac = s.substr(frac_begin, i - frac_begin);
  }
  if (int_part.empty() && frac.empty()) return false;
  std::string_view exponent;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    const std::size_t exp_begin = i++;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    const std::size_t digits_begin = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == digits_begin) return false;
    exponent = s.substr(exp_begin + 1, i - exp_begin - 1);
  }
  if (i != s.size() || (!dot && exponent.empty())) return false;
  if (negative) out += '-';
  while (int_part.size() > 1 && int_part.front() == '0') int_part.remove_prefix(1);
  out += int_part.empty() ? std::string_view("0") : int_part;
  out += '.';
  out += frac.empty() ? std::string_view("0") : frac;
  if (!exponent.empty()) {
    out += 'e';
    out += exponent;
  }
  return true;
}

}  // namespace

void append_yaml_plain_scalar(std::string& out, std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    out += "null";
    return;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    out += "true";
    return;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    out += "false";
    return;
  }
  std::string_view body = s;
  const bool negative = body.front() == '-';
  if (body.front() == '-' || body.front() == '+') body.remove_prefix(1);
  if (all_of(body, is_digit)) {
    while (body.size() > 1 && body.front() == '0') body.remove_prefix(1);
    if (negative && body != "0") out += '-';
    out += body;
    return;
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && all_of(s.substr(2), is_octal) &&
      append_radix_integer(out, s.substr(2), 8)) {
    return;
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && all_of(s.substr(2), is_hex) &&
      append_radix_integer(out, s.substr(2), 16)) {
    return;
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    // JSON has no infinity; eventlens writes it as this string (JsonWriter).
    append_string(out, negative ? "-Inf" : "+Inf");
    return;
  }
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    append_string(out, "NaN");
    return;
  }
  const std::size_t mark = out.size();
  if (append_float(out, s)) return;
  out.resize(mark);
  append_string(out, s);
}

namespace {

// Builds JSON text from yaml-cpp's parse events, one document at a time.
class JsonFromYamlEvents final : public YAML::EventHandler {
 public:
  std::string out;
  std::vector<std::size_t> item_lines;
  std::size_t root_line = 0;
  int root_pos = -1;  // where the root node starts in the chunk
  bool have_root = false;
  bool failed = false;
  Error error;

  void reset(std::string_view text, std::size_t first_line, std::size_t max_bytes) {
    text_ = text;
    out.clear();
    item_lines.clear();
    root_line = first_line;
    root_pos = -1;
    have_root = false;
    failed = false;
    error = Error{};
    depth_ = 0;
    anchors_.clear();
    first_line_ = first_line;
    max_bytes_ = max_bytes;
  }

  // Returns the field path of the node being read ("metadata.labels").
  std::string path() const {
    std::string p;
    for (std::size_t i = 0; i < depth_; ++i) {
      const Frame& f = frames_[i];
      if (f.map) {
        if (f.want_key) break;
        if (!p.empty()) p += '.';
        p += f.key;
      } else {
        if (f.count == 0) break;
        p += '[' + std::to_string(f.count - 1) + ']';
      }
    }
    return p;
  }

  void fail(std::string reason) {
    if (failed) return;
    failed = true;
    error = make_error(path(), std::move(reason));
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed) return;
    if (at_key()) {
      write_key("null");
      remember(anchor, "\"null\"", "null", true);
      return;
    }
    if (!begin_value(mark)) return;
    out += "null";
    remember(anchor, "null", "null", true);
    end_value();
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed) return;
    if (anchor >= anchors_.size() || !anchors_[anchor].defined) {
      fail("an alias refers to a node that contains it");
      return;
    }
    const Anchor& a = anchors_[anchor];
    if (at_key()) {
      if (!a.scalar) {
        fail("a mapping or sequence as a mapping key is not supported");
        return;
      }
      write_key(a.text);
      return;
    }
    if (!begin_value(mark)) return;
    out += a.json;
    end_value();
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (failed) return;
    if (tag == "!" && !quote_closed(mark)) {
      if (!at_key()) begin_value(mark);
      fail("unterminated quoted string (truncated YAML)");
      return;
    }
    if (at_key()) {
      write_key(value);
      if (anchor != 0) {
        std::string json;
        append_string(json, value);
        remember(anchor, json, value, true);
      }
      return;
    }
    if (!begin_value(mark)) return;
    const std::size_t start = out.size();
    // yaml-cpp tags quoted and block scalars "!" and plain ones "?".
    if (tag == "!" || tag == "tag:yaml.org,2002:str") {
      append_string(out, value);
    } else {
      append_yaml_plain_scalar(out, value);
    }
    if (anchor != 0) {
      remember(anchor, std::string_view(out).substr(start), value, true);
    }
    end_value();
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    bool map = false;
    bool want_key = false;
    bool items = false;  // a sequence whose elements are List items
    std::size_t count = 0;
    YAML::anchor_t anchor = 0;
    std::size_t start = 0;
    std::string key;
  };
  struct Anchor {
    bool defined = false;
    bool scalar = false;
    std::string json;
    std::string text;
  };

  // yaml-cpp ends a quoted scalar that the input cuts off at the end of the
  // input, without an error; a truncated document must not pass for whole.
  bool quote_closed(const YAML::Mark& mark) const {
    if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) return true;
    const auto start = static_cast<std::size_t>(mark.pos);
    const char quote = text_[start];
    if (quote != '"' && quote != '\'') return true;
    for (std::size_t i = start + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;
      } else if (text_[i] == quote) {
        if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;  // '' is a quote inside a single-quoted scalar
        } else {
          return true;
        }
      }
    }
    return false;
  }

  bool at_key() const { return depth_ > 0 && frames_[depth_ - 1].map && frames_[depth_ - 1].want_key; }

  void write_key(std::string_view key) {
    Frame& f = frames_[depth_ - 1];
    if (f.count++ > 0) out += ',';
    append_string(out, key);
    out += ':';
    f.key.assign(key);
    f.want_key = false;
  }

  std::size_t absolute_line(const YAML::Mark& mark) const {
    return mark.line >= 0 ? first_line_ + static_cast<std::size_t>(mark.line) : first_line_;
  }

  bool begin_value(const YAML::Mark& mark) {
    if (depth_ == 0) {
      if (have_root) {
        fail("more than one root node");
        return false;
      }
      have_root = true;
      root_line = absolute_line(mark);
      root_pos = mark.pos;
      return true;
    }
    Frame& f = frames_[depth_ - 1];
    if (!f.map) {
      if (f.count++ > 0) out += ',';
      if (f.items) item_lines.push_back(absolute_line(mark));
    }
    return true;
  }

  void end_value() {
    if (depth_ > 0 && frames_[depth_ - 1].map) frames_[depth_ - 1].want_key = true;
    if (out.size() > max_bytes_) {
      fail("document is over the " + std::to_string(max_bytes_) + "-byte limit as JSON");
    }
  }

  void remember(YAML::anchor_t anchor, std::string_view json, std::string_view text, bool scalar) {
    if (anchor == 0) return;
    if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
    Anchor& a = anchors_[anchor];
    a.defined = true;
    a.scalar = scalar;
    a.json.assign(json);
    a.text.assign(text);
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    if (failed) return;
    if (at_key()) {
      fail("a mapping or sequence as a mapping key is not supported");
      return;
    }
    const bool items = !map && (depth_ == 0 || (depth_ == 1 && frames_[0].map && frames_[0].key == "items"));
    if (!begin_value(mark)) return;
    if (depth_ >= kMaxK8sNesting) {
      fail("nesting deeper than " + std::to_string(kMaxK8sNesting) + " levels");
      return;
    }
    if (depth_ == frames_.size()) frames_.emplace_back();
    Frame& f = frames_[depth_++];
    f.map = map;
    f.want_key = map;
    f.items = items;
    f.count = 0;
    f.anchor = anchor;
    f.start = out.size();
    f.key.clear();
    out += map ? '{' : '[';
  }

  void close() {
    if (failed || depth_ == 0) return;
    Frame& f = frames_[--depth_];
    out += f.map ? '}' : ']';
    if (f.anchor != 0) remember(f.anchor, std::string_view(out).substr(f.start), {}, false);
    end_value();
  }

  std::vector<Frame> frames_;  // frames_[0, depth_) are open; kept to reuse keys
  std::size_t depth_ = 0;
  std::vector<Anchor> anchors_;  // by yaml-cpp's anchor number (1, 2, ... per document)
  std::string_view text_;  // the chunk being parsed, which marks point into
  std::size_t first_line_ = 1;
  std::size_t max_bytes_ = 0;
};

bool is_marker(std::string_view line, std::string_view marker) {
  return line.substr(0, 3) == marker && (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
}

// True when a line holds YAML content (not blank, a comment or a directive).
bool has_content(std::string_view line) {
  const std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return false;
  if (line[first] == '#') return false;
  return !(first == 0 && line[0] == '%');
}

}  // namespace

struct YamlToJson::Impl {
  JsonFromYamlEvents events;

  void convert_chunk(std::string_view chunk, std::size_t chunk_line, std::size_t max_bytes,
                     YamlDocumentSink& sink) {
    ViewStreambuf buffer(chunk);
    std::istream in(&buffer);
    events.reset(chunk, chunk_line, max_bytes);
    try {
      YAML::Parser parser(in);
      int previous_root = -1;
      while (true) {
        events.reset(chunk, chunk_line, max_bytes);
        if (!parser.HandleNextDocument(events)) break;
        // yaml-cpp can report a null document again and again without
        // consuming a stray token (a lone ","): stop when it makes no progress.
        if (events.have_root && events.root_pos == previous_root) {
          sink.on_error(make_error("", "malformed YAML at line " + std::to_string(events.root_line) +
                                           ": unexpected content"),
                        events.root_line);
          return;
        }
        previous_root = events.root_pos;
        finish(sink);
      }
    } catch (const YAML::Exception& e) {
      if (events.failed) {
        sink.on_error(std::move(events.error), events.root_line);
        return;
      }
      std::string reason = "malformed YAML";
      if (!e.mark.is_null()) {
        reason += " at line " + std::to_string(chunk_line + static_cast<std::size_t>(e.mark.line)) +
                  ", column " + std::to_string(e.mark.column + 1);
      }
      reason += ": " + e.msg;
      sink.on_error(make_error(events.path(), std::move(reason)), events.root_line);
    } catch (const std::exception& e) {
      sink.on_error(make_error(events.path(), std::string("YAML parser failure: ") + e.what()),
                    events.root_line);
    }
  }

  void finish(YamlDocumentSink& sink) {
    if (events.failed) {
      sink.on_error(std::move(events.error), events.root_line);
      return;
    }
    if (!events.have_root || events.out == "null") return;  // an empty document
    // simdjson reads up to SIMDJSON_PADDING bytes past the end.
    const std::size_t size = events.out.size();
    events.out.append(simdjson::SIMDJSON_PADDING, ' ');
    YamlDocument doc;
    doc.json = std::string_view(events.out.data(), size);
    doc.line = events.root_line;
    doc.item_lines = &events.item_lines;
    sink.on_document(doc);
  }
};

YamlToJson::YamlToJson() : impl_(std::make_unique<Impl>()) {}
YamlToJson::~YamlToJson() = default;

void YamlToJson::convert(std::string_view payload, std::size_t max_json_bytes, YamlDocumentSink& sink) {
  std::size_t chunk_begin = 0;
  std::size_t chunk_line = 1;
  bool content = false;
  std::size_t pos = 0;
  std::size_t line_no = 1;
  const auto flush = [&](std::size_t end) {
    impl_->convert_chunk(payload.substr(chunk_begin, end - chunk_begin), chunk_line, max_json_bytes, sink);
  };
  while (pos < payload.size()) {
    std::size_t eol = payload.find('\n', pos);
    const std::size_t next = eol == std::string_view::npos ? payload.size() : eol + 1;
    if (eol == std::string_view::npos) eol = payload.size();
    std::string_view text = payload.substr(pos, eol - pos);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (is_marker(text, "---")) {
      // A document starts here. Comments and directives before it belong
      // to it, so the current chunk only ends when it held content.
      if (content) {
        flush(pos);
        chunk_begin = pos;
        chunk_line = line_no;
      }
      content = has_content(text.substr(3));
    } else if (is_marker(text, "...")) {
      if (content) {
        flush(next);
        chunk_begin = next;
        chunk_line = line_no + 1;
        content = false;
      }
    } else if (has_content(text)) {
      content = true;
    }
    pos = next;
    ++line_no;
  }
  if (content) flush(payload.size());
}

}  // namespace eventlens::codec::internal
