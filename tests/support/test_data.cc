#include "support/test_data.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <ostream>
#include <sstream>

#include "codec/native_json.h"

namespace eventlens {
namespace {
template <typename T>
void print_native(const T& record, std::ostream* os) {
  std::string line;
  codec::encode_native(record, line);
  *os << line;
}
}  // namespace
void PrintTo(const Event& e, std::ostream* os) { print_native(e, os); }
void PrintTo(const MetricSample& m, std::ostream* os) { print_native(m, os); }
void PrintTo(const LogRecord& l, std::ostream* os) { print_native(l, os); }
void PrintTo(const Span& s, std::ostream* os) { print_native(s, os); }
}  // namespace eventlens

namespace eventlens::testing {

std::string data_path(std::string_view relative) {
  const char* env = std::getenv("EVENTLENS_DATA_DIR");
  std::string base = env != nullptr && *env != '\0' ? env : EVENTLENS_DATA_DIR;
  return base + "/" + std::string(relative);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string CollectingHandler::describe_rejects() const {
  std::string out;
  for (const auto& [e, pos] : rejects) {
    out += "  @" + std::to_string(pos) + " " + e.to_string() + "\n";
  }
  return out;
}

CollectingHandler decode(codec::Format format, std::string_view payload,
                         const codec::DecodeOptions& options) {
  CollectingHandler h;
  auto decoder = codec::make_decoder(format, options);
  decoder->decode(payload, h);
  return h;
}

}  // namespace eventlens::testing
