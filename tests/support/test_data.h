// Test support: paths of the shared sample data, reading files, and a
// RecordHandler that collects what a decoder produced.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/decoder.h"

namespace eventlens {
// gtest prints records as their native JSON line.
void PrintTo(const Event& e, std::ostream* os);
void PrintTo(const MetricSample& m, std::ostream* os);
void PrintTo(const LogRecord& l, std::ostream* os);
void PrintTo(const Span& s, std::ostream* os);
}  // namespace eventlens

namespace eventlens::testing {

// Returns the absolute path of `relative` under ../shared/data (or
// $EVENTLENS_DATA_DIR).
std::string data_path(std::string_view relative);

// Returns the file's bytes; fails the current test when it cannot be read.
std::string read_file(const std::string& path);

// Collects records, rejections and skips.
struct CollectingHandler final : codec::RecordHandler {
  std::vector<Record> records;
  std::vector<std::pair<Error, std::size_t>> rejects;
  std::map<std::string, std::size_t> skipped;

  void on_record(const Record& r, std::size_t) override { records.push_back(r); }
  void on_reject(Error&& e, std::size_t pos) override { rejects.emplace_back(std::move(e), pos); }
  void on_skip(std::string_view kind, std::size_t) override { ++skipped[std::string(kind)]; }

  template <typename T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& r : records) {
      if (const T* x = std::get_if<T>(&r)) out.push_back(*x);
    }
    return out;
  }
  // Returns every rejection as "field: reason", one per line, for failure output.
  std::string describe_rejects() const;
};

// Decodes `payload` in `format` and returns what came out.
CollectingHandler decode(codec::Format format, std::string_view payload,
                         const codec::DecodeOptions& options = {});

}  // namespace eventlens::testing
