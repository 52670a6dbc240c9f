// Reading evaluate's JSON inputs (truth.json, replay's JSON lines) with
// errors that name the member's path. Internal to evaluate/; single-threaded.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/result.h"
#include "model/time.h"

namespace eventlens::evaluate::internal {

namespace dom = simdjson::dom;

// Reads typed members of one JSON object. The first failure goes to a slot
// that all readers of one document share and names the member's path
// ("incidents[2].root_cause.kind"); after it every read returns an empty
// value, so code that reads a whole record checks for an error once, at the end.
class Fields {
 public:
  Fields(dom::element element, std::string path, std::optional<Error>& error)
      : path_(std::move(path)), error_(error) {
    dom::object object;
    if (element.get_object().get(object) == simdjson::SUCCESS) {
      object_ = object;
    } else if (!error_) {
      error_ = make_error(path_, "not a JSON object");
    }
  }

  std::string string(std::string_view key) {
    const auto m = member(key, /*nullable=*/false);
    return m ? as_string(key, *m) : std::string();
  }
  // Returns "" when the member is missing or null.
  std::string string_or_null(std::string_view key) {
    const auto m = member(key, /*nullable=*/true);
    return m ? as_string(key, *m) : std::string();
  }

  // Returns nullopt when the member is missing or null.
  std::optional<double> number_or_null(std::string_view key) {
    const auto m = member(key, /*nullable=*/true);
    if (!m) return std::nullopt;
    double v = 0;
    if (m->get_double().get(v) != simdjson::SUCCESS) {
      fail(key, "not a number or null");
      return std::nullopt;
    }
    return v;
  }

  std::uint64_t unsigned_integer(std::string_view key) {
    const auto m = member(key, /*nullable=*/false);
    std::uint64_t v = 0;
    if (m && m->get_uint64().get(v) != simdjson::SUCCESS) fail(key, "not a non-negative integer");
    return v;
  }

  TimeNs time(std::string_view key) {
    const auto m = member(key, /*nullable=*/false);
    return m ? as_time(key, *m) : 0;
  }
  // Returns nullopt when the member is missing or null.
  std::optional<TimeNs> time_or_null(std::string_view key) {
    const auto m = member(key, /*nullable=*/true);
    if (!m) return std::nullopt;
    return as_time(key, *m);
  }

  // Calls read(Fields&) with the object member `key`.
  template <typename Read>
  void object(std::string_view key, Read read) {
    const auto m = member(key, /*nullable=*/false);
    if (!m) return;
    Fields inner(*m, path_of(key), error_);
    if (!error_) read(inner);
  }

  // The same for a member that may be missing or null (older files):
  // returns whether it was there.
  template <typename Read>
  bool object_if_present(std::string_view key, Read read) {
    const auto m = member(key, /*nullable=*/true);
    if (!m) return false;
    Fields inner(*m, path_of(key), error_);
    if (!error_) read(inner);
    return true;
  }

  bool boolean(std::string_view key) {
    const auto m = member(key, /*nullable=*/false);
    bool v = false;
    if (m && m->get_bool().get(v) != simdjson::SUCCESS) fail(key, "not true or false");
    return v;
  }

  // Calls read(Fields&) with each object of the array member `key`.
  template <typename Read>
  void each(std::string_view key, Read read) {
    const auto m = member(key, /*nullable=*/false);
    if (!m) return;
    dom::array array;
    if (m->get_array().get(array) != simdjson::SUCCESS) {
      fail(key, "not an array");
      return;
    }
    std::size_t index = 0;
    for (dom::element item : array) {
      Fields inner(item, path_of(key) + "[" + std::to_string(index++) + "]", error_);
      if (!error_) read(inner);
      if (error_) return;
    }
  }

  // Records that member `key` is wrong, unless an earlier failure is kept.
  void fail(std::string_view key, std::string reason) {
    if (!error_) error_ = make_error(path_of(key), std::move(reason));
  }

 private:
  // Returns the member; nullopt when it is missing or null, which is a
  // failure unless `nullable`.
  std::optional<dom::element> member(std::string_view key, bool nullable) {
    if (error_ || !object_) return std::nullopt;
    dom::element e;
    const bool present = object_->at_key(key).get(e) == simdjson::SUCCESS;
    if (present && !e.is_null()) return e;
    if (!nullable) fail(key, present ? "is null" : "missing");
    return std::nullopt;
  }

  std::string as_string(std::string_view key, dom::element e) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) {
      fail(key, "not a string");
      return {};
    }
    return std::string(s);
  }

  TimeNs as_time(std::string_view key, dom::element e) {
    const std::string text = as_string(key, e);
    if (error_) return 0;
    auto t = parse_rfc3339(text);
    if (!t) {
      fail(key, "not an RFC 3339 time: \"" + text + "\"");
      return 0;
    }
    return *t;
  }

  std::string path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  std::optional<dom::object> object_;
  std::string path_;
  std::optional<Error>& error_;
};

// Calls read(Fields&) for each non-blank line of a JSON-lines file. Returns the
// first malformed line's error, its field led by the line number.
template <typename Read>
Status read_json_lines(std::string_view bytes, Read read) {
  dom::parser parser;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) end = bytes.size();
    const std::string_view line = bytes.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = "line " + std::to_string(line_number);
    dom::element doc;
    if (auto err = parser.parse(line.data(), line.size()).get(doc)) {
      return make_error(where, std::string("not JSON: ") + simdjson::error_message(err));
    }
    std::optional<Error> error;
    Fields fields(doc, "", error);
    read(fields);
    if (error) return make_error(error->field.empty() ? where : where + ": " + error->field, error->reason);
  }
  return ok_status();
}

}  // namespace eventlens::evaluate::internal
