#include "codec/cloudevents.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "support/test_data.h"

namespace eventlens::codec {
namespace {

using testing::data_path;
using testing::decode;
using testing::read_file;

constexpr TimeNs kArrival = 1'700'000'000'000'000'000;

DecodeOptions options() {
  DecodeOptions o;
  o.default_time = kArrival;
  return o;
}

const AttributeValue* attribute(const Event& e, std::string_view key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string attribute_string(const Event& e, std::string_view key) {
  const AttributeValue* v = attribute(e, key);
  return v != nullptr && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}

Event decode_one(const std::string& relative) {
  auto h = decode(Format::cloudevents, read_file(data_path(relative)), options());
  EXPECT_EQ(h.records.size(), 1u) << relative << "\n" << h.describe_rejects();
  EXPECT_TRUE(h.rejects.empty()) << relative << "\n" << h.describe_rejects();
  auto events = h.all<Event>();
  return events.empty() ? Event{} : events.front();
}

Error reject_one(const std::string& relative) {
  auto h = decode(Format::cloudevents, read_file(data_path(relative)), options());
  EXPECT_TRUE(h.records.empty()) << relative;
  EXPECT_EQ(h.rejects.size(), 1u) << relative;
  return h.rejects.empty() ? Error{} : h.rejects.front().first;
}

TEST(CloudEventsStructured, SpecExampleMapsContextAttributes) {
  const Event e = decode_one("cloudevents/spec/spec.example.json");
  EXPECT_FALSE(e.id.empty());
  EXPECT_FALSE(e.source.empty());
  EXPECT_NE(e.time, kArrival);
}

TEST(CloudEventsStructured, EverySampleFileDecodesOrIsRefusedByName) {
  // Expected records per file; the sdk-java fail_* files and the invalid
  // extension name are refused (checked field by field below).
  const std::map<std::string, std::size_t> refused = {
      {"fail_numeric_decimal.json", 1}, {"fail_numeric_long.json", 1},
      {"json_data_with_ext_invalid.json", 1}, {"json_data_with_ext_upper_case.json", 1}};
  std::size_t files = 0;
  for (const auto& dir : {"cloudevents/sdk-java/v1", "cloudevents/spec"}) {
    for (const auto& entry : std::filesystem::directory_iterator(data_path(dir))) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".json" || name == "cloudevents.schema.json") continue;
      ++files;
      auto h = decode(Format::cloudevents, read_file(entry.path().string()), options());
      if (refused.count(name) != 0) {
        EXPECT_EQ(h.rejects.size(), refused.at(name)) << name;
        EXPECT_TRUE(h.records.empty()) << name;
        continue;
      }
      const std::size_t expected = name == "json-format.batch.json"         ? 2
                                   : name == "json-format.empty-batch.json" ? 0
                                                                            : 1;
      EXPECT_EQ(h.records.size(), expected) << name << "\n" << h.describe_rejects();
      EXPECT_TRUE(h.rejects.empty()) << name << "\n" << h.describe_rejects();
    }
  }
  EXPECT_EQ(files, 17u + 9u);
}

TEST(CloudEventsStructured, MissingTimeTakesArrivalTime) {
  const Event e = decode_one("cloudevents/sdk-java/v1/min.json");
  EXPECT_EQ(e.time, kArrival);
  EXPECT_EQ(e.id, "1");
  EXPECT_EQ(e.source, "http://localhost/source");
  EXPECT_EQ(e.type, "mock.test");
  EXPECT_EQ(e.category, Category::other);
}

TEST(CloudEventsStructured, NullSubjectIsUnset) {
  const Event e = decode_one("cloudevents/sdk-java/v1/min_subject_null.json");
  EXPECT_EQ(attribute(e, "subject"), nullptr);
}

TEST(CloudEventsStructured, TimeOffsetAndFraction) {
  const Event e = decode_one("cloudevents/sdk-java/v1/json_data_with_fractional_time.json");
  EXPECT_EQ(e.time % kNanosPerSecond, 123400000) << format_rfc3339(e.time);
  const Event ext = decode_one("cloudevents/sdk-java/v1/json_data_with_ext.json");
  EXPECT_EQ(format_rfc3339(ext.time), "2018-04-26T12:48:09Z");
}

TEST(CloudEventsStructured, ExtensionsBecomeTypedAttributes) {
  const Event e = decode_one("cloudevents/sdk-java/v1/json_data_with_ext.json");
  EXPECT_EQ(attribute_string(e, "astring"), "aaa");
  ASSERT_NE(attribute(e, "aboolean"), nullptr);
  EXPECT_EQ(std::get<bool>(*attribute(e, "aboolean")), true);
  ASSERT_NE(attribute(e, "anumber"), nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*attribute(e, "anumber")), 10);
  EXPECT_EQ(attribute_string(e, "subject"), "sub");
  EXPECT_EQ(attribute_string(e, "dataschema"), "http://localhost/schema");
  // Numbers written as strings stay strings: CloudEvents has no number
  // coercion in the JSON format.
  const Event n = decode_one("cloudevents/sdk-java/v1/numeric_ext.json");
  EXPECT_EQ(std::get<std::int64_t>(*attribute(n, "integer")), 42);
  EXPECT_EQ(attribute_string(n, "decimal"), "42.42");
  EXPECT_EQ(attribute_string(n, "long"), "4200");
}

TEST(CloudEventsStructured, RefusesNonIntegerExtensionNumbersByName) {
  const Error decimal = reject_one("cloudevents/sdk-java/v1/fail_numeric_decimal.json");
  EXPECT_EQ(decimal.field, "decimal");
  EXPECT_NE(decimal.reason.find("42.42"), std::string::npos) << decimal.reason;
  const Error big = reject_one("cloudevents/sdk-java/v1/fail_numeric_long.json");
  EXPECT_EQ(big.field, "long");
  EXPECT_NE(big.reason.find("32-bit"), std::string::npos) << big.reason;
}

TEST(CloudEventsStructured, RefusesInvalidExtensionNames) {
  EXPECT_EQ(reject_one("cloudevents/sdk-java/v1/json_data_with_ext_invalid.json").field,
            "a_invalid_name");
  EXPECT_EQ(reject_one("cloudevents/sdk-java/v1/json_data_with_ext_upper_case.json").field,
            "aString");
}

TEST(CloudEventsStructured, DataShapes) {
  // Object data: members become data.* attributes.
  auto batch = decode(Format::cloudevents,
                      read_file(data_path("cloudevents/spec/json-format.batch.json")), options());
  ASSERT_EQ(batch.records.size(), 2u);
  const Event first = std::get<Event>(batch.records[0]);
  const Event second = std::get<Event>(batch.records[1]);
  EXPECT_EQ(attribute_string(first, "data_base64"), "... base64 encoded string ...");
  EXPECT_EQ(std::get<std::int64_t>(*attribute(first, "comexampleothervalue")), 5);
  EXPECT_EQ(attribute_string(second, "data.appinfoA"), "abc");
  EXPECT_EQ(std::get<std::int64_t>(*attribute(second, "data.appinfoB")), 123);
  EXPECT_EQ(std::get<bool>(*attribute(second, "data.appinfoC")), true);
  // A bare number.
  const Event number = decode_one("cloudevents/spec/json-format.04.json-number-data.json");
  ASSERT_NE(attribute(number, "data"), nullptr);
  EXPECT_EQ(std::get<double>(*attribute(number, "data")), 1.5);
  // A string without datacontenttype is the message.
  const Event text = decode_one("cloudevents/spec/json-format.05.string-data-no-datacontenttype.json");
  EXPECT_FALSE(text.message.empty());
  // "unsetextension": null is simply unset.
  const Event xml = decode_one("cloudevents/spec/json-format.02.xml-data.json");
  EXPECT_EQ(attribute(xml, "unsetextension"), nullptr);
}

TEST(CloudEventsStructured, RefusesMissingRequiredAttributesAndBadValues) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"id":"1","type":"t","source":"s"})", "specversion"},
      {R"({"specversion":"0.3","id":"1","type":"t","source":"s"})", "specversion"},
      {R"({"specversion":"1.0","type":"t","source":"s"})", "id"},
      {R"({"specversion":"1.0","id":"1","source":"s"})", "type"},
      {R"({"specversion":"1.0","id":"1","type":"t"})", "source"},
      {R"({"specversion":"1.0","id":"1","type":"t","source":"s","time":"yesterday"})", "time"},
      {R"({"specversion":"1.0","id":"1","type":"t","source":"s","time":"9999-01-01T00:00:00Z"})", "time"},
      {R"({"specversion":"1.0","id":1,"type":"t","source":"s"})", "id"},
      {R"({"specversion":"1.0","id":"1","type":"t","source":"s","ext":{"a":1}})", "ext"},
      {R"({"specversion":"1.0","id":"1","type":"t","source":"s","data":"x","data_base64":"eA=="})", "data_base64"},
      {R"({"specversion":"1.0","id":"1","type":"t","source":"s","category":"nope"})", "category"},
      {R"({"specversion":"1.0","id":"1","type":"t","source":"s","traceparent":"00-xyz"})", "traceparent"},
  };
  for (const auto& [json, field] : cases) {
    auto h = decode(Format::cloudevents, json, options());
    ASSERT_EQ(h.rejects.size(), 1u) << json;
    EXPECT_EQ(h.rejects[0].first.field, field) << json << " -> " << h.rejects[0].first.to_string();
  }
}

TEST(CloudEventsStructured, ExtensionsMapOntoEventFields) {
  auto h = decode(Format::cloudevents,
                  R"({"specversion":"1.0","id":"e1","type":"com.acme.autoscaler.scale_up",)"
                  R"("source":"//hpa","time":"2024-05-01T12:00:00Z","service":"checkout",)"
                  R"("namespace":"shop","cluster":"prod","node":"n1","pod":"checkout-1",)"
                  R"("severity":"warning","traceparent":"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",)"
                  R"("data":{"message":"scaled to 5","attributes":{"replicas":5}}})",
                  options());
  ASSERT_EQ(h.records.size(), 1u) << h.describe_rejects();
  const Event e = std::get<Event>(h.records[0]);
  EXPECT_EQ(e.type, "scale_up");
  EXPECT_EQ(e.category, Category::scaling);
  EXPECT_EQ(attribute_string(e, "ce.type"), "com.acme.autoscaler.scale_up");
  EXPECT_EQ(e.service, "checkout");
  EXPECT_EQ(e.namespace_, "shop");
  EXPECT_EQ(e.cluster, "prod");
  EXPECT_EQ(e.node, "n1");
  EXPECT_EQ(e.pod, "checkout-1");
  EXPECT_EQ(e.severity, Severity::warning);
  EXPECT_EQ(e.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(e.message, "scaled to 5");
  EXPECT_EQ(std::get<std::int64_t>(*attribute(e, "replicas")), 5);
}

TEST(CloudEventsStructured, JsonLinesAndBadLinesInBetween) {
  const std::string payload =
      R"({"specversion":"1.0","id":"1","type":"t","source":"s"})"
      "\n{\"specversion\":\"1.0\",\"id\":\n"
      "{\"specversion\":\"1.0\",\"id\":\"3\",\"type\":\"t\",\"source\":\"s\",\"x\":\"\xff\"}\n"
      R"({"specversion":"1.0","id":"4","type":"t","source":"s"})"
      "\n";
  auto h = decode(Format::cloudevents, payload, options());
  EXPECT_EQ(h.records.size(), 2u);
  ASSERT_EQ(h.rejects.size(), 2u);
  EXPECT_EQ(h.rejects[0].second, 2u);
  EXPECT_EQ(h.rejects[1].second, 3u);
  EXPECT_NE(h.rejects[1].first.reason.find("UTF-8"), std::string::npos) << h.rejects[1].first.reason;
}

TEST(CloudEventsStructured, OversizedAndDeepInputsAreRefused) {
  DecodeOptions o = options();
  o.max_payload_bytes = 1 << 20;
  const std::string huge = R"({"specversion":"1.0","id":"1","type":"t","source":"s","data":")" +
                           std::string(10 << 20, 'a') + "\"}";
  auto h = decode(Format::cloudevents, huge, o);
  ASSERT_EQ(h.rejects.size(), 1u);
  EXPECT_NE(h.rejects[0].first.reason.find("limit"), std::string::npos);
  std::string deep = R"({"specversion":"1.0","id":"1","type":"t","source":"s","data":)";
  deep += std::string(5000, '[') + std::string(5000, ']') + "}";
  // Deeply nested data is valid JSON: it is kept whole, as opaque text,
  // without recursion (no stack to overflow).
  auto d = decode(Format::cloudevents, deep, options());
  ASSERT_EQ(d.records.size(), 1u) << d.describe_rejects();
  EXPECT_EQ(attribute_string(std::get<Event>(d.records[0]), "data").size(), 10000u);
  // Broken nesting is refused.
  auto broken = decode(Format::cloudevents, deep.substr(0, deep.size() - 100), options());
  EXPECT_TRUE(broken.records.empty());
  EXPECT_EQ(broken.rejects.size(), 1u);
}

// --- Binary mode: the conformance features and the spec's HTTP examples. ---

Headers parse_http_headers(const std::string& text, std::string& body) {
  Headers headers;
  std::istringstream in(text);
  std::string line;
  bool in_body = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_body) {
      body += line + "\n";
      continue;
    }
    if (line.empty()) {
      in_body = true;
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // The request line.
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    headers.emplace_back(line.substr(0, colon), value);
  }
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return headers;
}

TEST(CloudEventsBinary, SpecHttpExamplesMatchTheirStructuredTwins) {
  CloudEventsDecoder decoder(options());
  for (const auto& [binary, structured] :
       std::vector<std::pair<std::string, std::string>>{
           {"json-format.02.xml-data.binary-mode-http.txt", "json-format.02.xml-data.json"},
           {"json-format.03.json-object-data.binary-mode-http.txt", "json-format.03.json-object-data.json"},
           {"json-format.04.json-number-data.binary-mode-http.txt", "json-format.04.json-number-data.json"},
           {"json-format.05.string-data-no-datacontenttype.binary-mode-http.txt",
            "json-format.05.string-data-no-datacontenttype.json"}}) {
    std::string body;
    const Headers headers = parse_http_headers(read_file(data_path("cloudevents/spec/" + binary)), body);
    auto from_binary = decoder.decode_binary(headers, body);
    ASSERT_TRUE(from_binary.ok()) << binary << ": " << from_binary.error().to_string();
    const Event twin = decode_one("cloudevents/spec/" + structured);
    EXPECT_EQ(from_binary->id, twin.id) << binary;
    EXPECT_EQ(from_binary->type, twin.type) << binary;
    EXPECT_EQ(from_binary->source, twin.source) << binary;
    EXPECT_EQ(from_binary->time, twin.time) << binary;
    EXPECT_EQ(from_binary->message, twin.message) << binary;
  }
  // Opaque binary data is kept as base64.
  std::string body;
  const Headers headers = parse_http_headers(
      read_file(data_path("cloudevents/spec/json-format.01.binary-data-base64.binary-mode-http.txt")), body);
  auto e = decoder.decode_binary(headers, body);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(attribute_string(*e, "data_base64"), "Li4ucmF3IGJpbmFyeSBieXRlcy4uLg==");
  EXPECT_EQ(attribute_string(*e, "comexampleextension1"), "value");
}

// Reads the docstrings ("""...""") and table rows of a Gherkin feature file.
struct FeatureBlocks {
  std::vector<std::string> docstrings;
  std::vector<std::vector<std::pair<std::string, std::string>>> tables;
  std::vector<std::string> examples;  // the single-column Examples rows
};

FeatureBlocks read_feature(const std::string& text) {
  FeatureBlocks out;
  std::istringstream in(text);
  std::string line;
  bool in_doc = false;
  bool in_examples = false;
  std::string doc;
  std::vector<std::pair<std::string, std::string>> table;
  const auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    return s;
  };
  while (std::getline(in, line)) {
    const std::string t = trim(line);
    if (t == "\"\"\"") {
      if (in_doc) out.docstrings.push_back(doc);
      doc.clear();
      in_doc = !in_doc;
      continue;
    }
    if (in_doc) {
      doc += t + "\n";
      continue;
    }
    if (t.rfind("Examples:", 0) == 0) {
      in_examples = true;
      continue;
    }
    if (!t.empty() && t[0] == '|') {
      std::vector<std::string> cells;
      std::string cell;
      for (char c : t.substr(1)) {
        if (c == '|') {
          cells.push_back(trim(cell));
          cell.clear();
        } else {
          cell += c;
        }
      }
      if (in_examples && cells.size() == 1) {
        if (cells[0] != "contentType") out.examples.push_back(cells[0]);
      } else if (cells.size() == 2 && cells[0] != "key") {
        table.emplace_back(cells[0], cells[1]);
      }
      continue;
    }
    if (!table.empty()) {
      out.tables.push_back(table);
      table.clear();
    }
    if (t.rfind("Scenario", 0) == 0) in_examples = false;
  }
  if (!table.empty()) out.tables.push_back(table);
  return out;
}

TEST(CloudEventsBinary, KafkaConformanceFeature) {
  const FeatureBlocks f =
      read_feature(read_file(data_path("cloudevents/conformance/kafka-protocol-binding.feature")));
  ASSERT_GE(f.docstrings.size(), 3u);
  ASSERT_GE(f.tables.size(), 2u);
  // Scenario 1: binary mode with ce_ headers.
  Headers headers(f.tables[0].begin(), f.tables[0].end());
  CloudEventsDecoder decoder(options());
  auto e = decoder.decode_binary(headers, f.docstrings[0]);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  for (const auto& [key, value] : f.tables[1]) {
    if (key == "id") {
      EXPECT_EQ(e->id, value);
    }
    if (key == "type") {
      EXPECT_EQ(e->type, value);
    }
    if (key == "source") {
      EXPECT_EQ(e->source, value);
    }
    if (key == "time") {
      EXPECT_EQ(format_rfc3339(e->time), value);
    }
    if (key == "datacontenttype") {
      EXPECT_EQ(attribute_string(*e, "datacontenttype"), value);
    }
  }
  EXPECT_EQ(e->message, "Hello World!");
  // Scenario 2: the structured payload.
  auto s = decode(Format::cloudevents, f.docstrings[2], options());
  ASSERT_EQ(s.records.size(), 1u) << s.describe_rejects();
  EXPECT_EQ(std::get<Event>(s.records[0]).id, e->id);
  EXPECT_EQ(std::get<Event>(s.records[0]).message, "Hello World!");
}

TEST(CloudEventsBinary, HttpConformanceFeatureWithEveryContentType) {
  const FeatureBlocks f =
      read_feature(read_file(data_path("cloudevents/conformance/http-protocol-binding.feature")));
  ASSERT_GE(f.docstrings.size(), 4u);
  ASSERT_EQ(f.examples.size(), 4u);
  CloudEventsDecoder decoder(options());
  for (std::size_t i = 0; i < 2; ++i) {  // binary-mode examples
    std::string request = std::regex_replace(f.docstrings[0], std::regex("<contentType>"), f.examples[i]);
    std::string body;
    const Headers headers = parse_http_headers(request, body);
    auto e = decoder.decode_binary(headers, body);
    ASSERT_TRUE(e.ok()) << f.examples[i] << ": " << e.error().to_string();
    EXPECT_EQ(e->id, "1234-1234-1234");
    EXPECT_EQ(format_rfc3339(e->time), "2018-04-05T03:56:24Z");
    EXPECT_EQ(attribute_string(*e, "datacontenttype"), f.examples[i]);
    EXPECT_EQ(e->message, "Hello World!");
  }
  for (std::size_t i = 2; i < 4; ++i) {  // structured-mode examples
    std::string body;
    parse_http_headers(f.docstrings[2], body);
    auto s = decode(Format::cloudevents, body, options());
    ASSERT_EQ(s.records.size(), 1u) << f.examples[i] << s.describe_rejects();
    EXPECT_EQ(std::get<Event>(s.records[0]).message, "Hello World!");
  }
}

TEST(CloudEventsBinary, RefusesBadHeadersByName) {
  CloudEventsDecoder decoder(options());
  auto missing = decoder.decode_binary({{"ce-specversion", "1.0"}, {"ce-id", "1"}, {"ce-source", "s"}}, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "type");
  auto bad_time = decoder.decode_binary(
      {{"ce_specversion", "1.0"}, {"ce_id", "1"}, {"ce_source", "s"}, {"ce_type", "t"}, {"ce_time", "soon"}}, "");
  ASSERT_FALSE(bad_time.ok());
  EXPECT_EQ(bad_time.error().field, "ce_time");
  auto bad_json = decoder.decode_binary({{"ce-specversion", "1.0"}, {"ce-id", "1"}, {"ce-source", "s"},
                                         {"ce-type", "t"}, {"content-type", "application/json"}},
                                        "{\"message\":");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.error().field.substr(0, 4), "data") << bad_json.error().to_string();
}

TEST(CloudEventsBinary, PercentEncodedHttpHeaderValues) {
  CloudEventsDecoder decoder(options());
  auto e = decoder.decode_binary({{"ce-specversion", "1.0"}, {"ce-id", "1"}, {"ce-source", "s"},
                                  {"ce-type", "t"}, {"ce-note", "caf%C3%A9 %22ok%22"}},
                                 "");
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(attribute_string(*e, "note"), "caf\xc3\xa9 \"ok\"");
}

// --- Round trips. ---

std::vector<Event> sample_events() {
  std::vector<Event> out;
  for (int i = 0; i < 50; ++i) {
    Event e;
    e.id = "evt-" + std::to_string(i);
    e.time = kArrival + i * 1'234'567;
    e.type = i % 3 == 0 ? "scale_up" : i % 3 == 1 ? "oom_killed" : "leader_election";
    e.category = i % 3 == 0 ? Category::scaling : i % 3 == 1 ? Category::failure : Category::other;
    e.service = "svc-" + std::to_string(i % 7);
    if (i % 2 == 0) e.namespace_ = "shop";
    if (i % 5 == 0) e.cluster = "prod-eu";
    if (i % 4 == 0) e.node = "node-\xc3\xa9" + std::to_string(i);
    if (i % 3 == 0) e.pod = e.service + "-7d9f8-abcde";
    e.severity = static_cast<Severity>(1 + i % 4);
    e.message = "line \"" + std::to_string(i) + "\"\n\ttab \xe2\x9c\x93";
    e.attributes = {{"replicas", std::int64_t{i}}, {"ratio", 0.5 + i}, {"ok", i % 2 == 0},
                    {"k8s.reason", std::string("Reason") + std::to_string(i)}};
    if (i % 6 == 0) e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    e.source = "//test/" + std::to_string(i % 3);
    out.push_back(e);
  }
  return out;
}

TEST(CloudEventsRoundTrip, StructuredMode) {
  std::string payload;
  for (const Event& e : sample_events()) {
    encode_cloudevent(e, payload);
    payload += '\n';
  }
  auto h = decode(Format::cloudevents, payload, options());
  ASSERT_TRUE(h.rejects.empty()) << h.describe_rejects();
  const auto decoded = h.all<Event>();
  const auto original = sample_events();
  ASSERT_EQ(decoded.size(), original.size());
  for (std::size_t i = 0; i < original.size(); ++i) EXPECT_EQ(decoded[i], original[i]) << i;
}

TEST(CloudEventsRoundTrip, BinaryModeWithHttpAndKafkaPrefixes) {
  CloudEventsDecoder decoder(options());
  for (const char* prefix : {"ce-", "ce_"}) {
    for (const Event& e : sample_events()) {
      std::string body;
      const Headers h = encode_cloudevent_binary(e, prefix, body);
      auto back = decoder.decode_binary(h, body);
      ASSERT_TRUE(back.ok()) << back.error().to_string();
      // Binary mode adds the content type it travelled with.
      Event expected = e;
      expected.attributes.insert(expected.attributes.begin(), {"datacontenttype", "application/json"});
      EXPECT_EQ(*back, expected) << prefix << " " << e.id;
    }
  }
}

}  // namespace
}  // namespace eventlens::codec
