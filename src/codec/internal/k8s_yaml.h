// Turns a YAML payload (one document or a `---` stream) into one JSON text per
// document, so that the k8s codec reads YAML through its JSON mapping. One
// converter per thread: it owns its output buffers.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"

namespace eventlens::codec::internal {

// What a YAML document became.
struct YamlDocument {
  // The JSON text; simdjson::SIMDJSON_PADDING readable bytes follow it.
  std::string_view json;
  // 1-based payload line where the document's root node starts.
  std::size_t line = 0;
  // Payload lines of the elements of the root sequence or of the root
  // mapping's `items` sequence (a List), in order.
  const std::vector<std::size_t>* item_lines = nullptr;
};

class YamlDocumentSink {
 public:
  virtual ~YamlDocumentSink() = default;
  virtual void on_document(const YamlDocument& doc) = 0;
  // A document that is not valid YAML, or that breaks a limit. `line` is
  // where the document starts.
  virtual void on_error(Error&& error, std::size_t line) = 0;
};

class YamlToJson {
 public:
  YamlToJson();
  ~YamlToJson();
  YamlToJson(const YamlToJson&) = delete;
  YamlToJson& operator=(const YamlToJson&) = delete;

  // Converts every document of `payload`. Documents are split at `---` and
  // `...` lines first and parsed one by one, so that one malformed document
  // leaves the others readable. Empty documents are passed over. A document
  // whose JSON would exceed `max_json_bytes` (aliases can multiply it) is
  // refused. Plain scalars become null, booleans, integers or floats when they
  // look like one per the YAML 1.2 core schema, strings otherwise; quoted and
  // block scalars are always strings. Never throws.
  void convert(std::string_view payload, std::size_t max_json_bytes, YamlDocumentSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the JSON form of a plain YAML scalar under the YAML 1.2 core
// schema: `null`, `true`, `12`, `0.5`, or a quoted string. Exposed for tests.
void append_yaml_plain_scalar(std::string& out, std::string_view text);

}  // namespace eventlens::codec::internal
