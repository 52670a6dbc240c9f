#include "codec/native_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "model/taxonomy.h"
#include "support/test_data.h"

namespace eventlens::codec {
namespace {

using testing::decode;

std::vector<Record> sample_records() {
  std::vector<Record> out;
  const TimeNs base = 1'714'564'800'123'456'789;
  for (int i = 0; i < 40; ++i) {
    Event e;
    e.time = base + i;
    e.type = i % 2 == 0 ? "scale_up" : "config_changed";
    e.category = i % 2 == 0 ? Category::scaling : Category::change;
    e.service = "checkout-" + std::to_string(i % 3);
    e.namespace_ = i % 2 == 0 ? "shop" : "";
    e.pod = "p\xc3\xa9-" + std::to_string(i);
    e.severity = static_cast<Severity>(i % 5);
    e.message = "quote \" backslash \\ newline \n control \x01 emoji \xf0\x9f\x9a\x80";
    e.attributes = {{"n", std::int64_t{-i}}, {"big", std::int64_t{INT64_MAX}}, {"x", 1.0 / (i + 1)},
                    {"whole", 3.0}, {"b", false}, {"s", std::string("v") + std::to_string(i)}};
    e.trace_id = i % 4 == 0 ? "0af7651916cd43dd8448eb211c80319c" : "";
    e.source = "test";
    e.id = i % 3 == 0 ? "" : "id-" + std::to_string(i);
    if (e.id.empty()) e.id = derive_event_id(e);
    out.emplace_back(e);

    MetricSample m;
    m.name = "http_request_duration_seconds";
    m.labels = {{"le", i % 5 == 0 ? "+Inf" : "0.5"}, {"service", "checkout"}, {"z", "\xe2\x82\xac"}};
    m.time = base + i * 1000;
    m.value = i % 7 == 0 ? std::nan("") : i % 11 == 0 ? -HUGE_VAL : i * 0.1;
    out.emplace_back(m);

    LogRecord l;
    l.time = base + i;
    l.service = "payment";
    l.severity = Severity::error;
    l.body = "timeout after " + std::to_string(i) + " ms";
    l.attributes = {{"code", std::int64_t{504}}};
    l.trace_id = "0af7651916cd43dd8448eb211c80319c";
    l.span_id = "b7ad6b7169203331";
    out.emplace_back(l);

    Span s;
    s.trace_id = "0af7651916cd43dd8448eb211c80319c";
    s.span_id = "b7ad6b716920333" + std::to_string(i % 10);
    s.parent_span_id = i % 2 == 0 ? "" : "00f067aa0ba902b7";
    s.service = "frontend";
    s.name = "GET /cart";
    s.start = base + i;
    s.end = base + i + 5'000'000;
    s.status = static_cast<SpanStatus>(i % 3);
    s.kind = static_cast<SpanKind>(i % 6);
    s.attributes = {{"http.status_code", std::int64_t{200}}};
    out.emplace_back(s);
  }
  return out;
}

TEST(NativeJson, RoundTripsEveryRecordKind) {
  const auto records = sample_records();
  std::string payload;
  for (const auto& r : records) {
    encode_native(r, payload);
    payload += '\n';
  }
  auto h = decode(Format::native, payload);
  ASSERT_TRUE(h.rejects.empty()) << h.describe_rejects();
  ASSERT_EQ(h.records.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(h.records[i].index(), records[i].index()) << i;
    EXPECT_TRUE(h.records[i] == records[i]) << i << ": " << payload.substr(0, 0);
  }
}

TEST(NativeJson, SpanKindIsALowercaseNameWrittenOnlyWhenSet) {
  auto h = decode(Format::native,
                  R"({"trace_id":"t","span_id":"a","start":1,"end":2,"kind":"server"})" "\n"
                  R"({"trace_id":"t","span_id":"b","parent_span_id":"a","start":1,"end":2,"kind":"client"})" "\n"
                  R"({"trace_id":"t","span_id":"c","start":1,"end":2})" "\n"
                  R"({"trace_id":"t","span_id":"d","start":1,"end":2,"kind":null})" "\n");
  ASSERT_TRUE(h.rejects.empty()) << h.describe_rejects();
  const auto spans = h.all<Span>();
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].kind, SpanKind::server);
  EXPECT_EQ(spans[1].kind, SpanKind::client);
  EXPECT_EQ(spans[2].kind, SpanKind::unspecified) << "absent";
  EXPECT_EQ(spans[3].kind, SpanKind::unspecified) << "null counts as absent";

  // Written back: a kind only when there is one, so files of spans without
  // kinds encode exactly as before kinds existed.
  std::string server, plain;
  encode_native(spans[0], server);
  encode_native(spans[2], plain);
  EXPECT_NE(server.find(R"("kind":"server")"), std::string::npos) << server;
  EXPECT_EQ(plain.find("kind"), std::string::npos) << plain;
}

TEST(NativeJson, EncodesOneLinePerRecord) {
  std::string line;
  encode_native(sample_records().front(), line);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.substr(0, 6), "{\"id\":");
}

TEST(NativeJson, DerivesCategoryAndIdWhenAbsent) {
  auto h = decode(Format::native,
                  R"({"time":"2024-05-01T00:00:00Z","type":"oom_killed","service":"db"})"
                  "\n"
                  R"({"time":"2024-05-01T00:00:00Z","type":"oom_killed","service":"db"})"
                  "\n"
                  R"({"time":"2024-05-01T00:00:01Z","type":"oom_killed","service":"db"})"
                  "\n"
                  R"({"time":"2024-05-01T00:00:00Z","type":"something_new"})"
                  "\n");
  ASSERT_EQ(h.records.size(), 4u) << h.describe_rejects();
  const auto events = h.all<Event>();
  EXPECT_EQ(events[0].category, Category::failure);
  EXPECT_EQ(events[0].id.substr(0, 3), "ev-");
  EXPECT_EQ(events[0].id, events[1].id) << "same content, same id";
  EXPECT_NE(events[0].id, events[2].id) << "different time, different id";
  EXPECT_EQ(events[3].category, Category::other);
}

TEST(NativeJson, AcceptsEpochTimesInAnyUnit) {
  auto h = decode(Format::native,
                  R"({"time":1714521600,"type":"deploy"})" "\n"
                  R"({"time":1714521600000,"type":"deploy"})" "\n"
                  R"({"time":1714521600000000,"type":"deploy"})" "\n"
                  R"({"time":1714521600000000000,"type":"deploy"})" "\n"
                  R"({"time":1714521600.5,"type":"deploy"})" "\n");
  ASSERT_EQ(h.records.size(), 5u) << h.describe_rejects();
  const auto events = h.all<Event>();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(events[i].time, 1714521600LL * kNanosPerSecond);
  EXPECT_EQ(events[4].time, 1714521600LL * kNanosPerSecond + 500'000'000);
}

struct BadLine {
  std::string json;
  std::string field;
  std::string reason_contains;
};

TEST(NativeJson, RefusesBadRecordsNamingTheFieldAndKeepsGoing) {
  const std::vector<BadLine> cases = {
      {R"({"type":"deploy"})", "time", "missing"},
      {R"({"time":"2024-05-01T00:00:00Z"})", "type", "missing"},
      {R"({"time":"yesterday","type":"deploy"})", "time", "RFC 3339"},
      {R"({"time":true,"type":"deploy"})", "time", "got boolean"},
      {R"({"time":"9999-01-01T00:00:00Z","type":"deploy"})", "time", "2262"},
      {R"({"time":1e300,"type":"deploy"})", "time", "out of range"},
      {R"({"time":-5,"type":"deploy"})", "time", "negative"},
      {R"({"time":1,"type":"deploy","category":"weird"})", "category", "unknown category"},
      {R"({"time":1,"type":"deploy","severity":"loud"})", "severity", "unknown severity"},
      {R"({"time":1,"type":7})", "type", "got number"},
      {R"({"time":1,"type":"deploy","attributes":{"a":{"b":1}}})", "attributes.a", "got object"},
      {R"({"time":1,"type":"deploy","attributes":[1]})", "attributes", "got array"},
      {R"({"time":1,"type":"deploy","colour":"red"})", "colour", "unknown field"},
      {R"({"time":1,"type":"deploy","schema_version":2})", "schema_version", "not supported"},
      {R"({"name":"up","time":1,"value":"high"})", "value", "expected a number"},
      {R"({"name":"up","time":1,"value":1e999})", "value", ""},
      {R"({"name":"1up","time":1,"value":1})", "name", "Prometheus metric name"},
      {R"({"name":"up","time":1})", "value", "missing"},
      {R"({"name":"up","time":1,"value":1,"labels":{"a":1}})", "labels.a", "got number"},
      {R"({"trace_id":"a","span_id":"b","start":5,"end":4})", "end", "before it starts"},
      {R"({"trace_id":"a","start":5,"end":6})", "span_id", "missing"},
      {R"({"trace_id":"a","span_id":"b","start":5,"end":6,"kind":"SERVER"})", "kind", "unknown span kind \"SERVER\""},
      {R"({"trace_id":"a","span_id":"b","start":5,"end":6,"kind":2})", "kind", "got number"},
      {R"({"time":1,"body":"x","severity":"meh"})", "severity", "unknown severity"},
      {R"({"time":1,"type":"deploy",)", "", "malformed JSON"},
      {R"({"time":1,"type":"deploy"} {"x":1})", "", "trailing content"},
      {R"([1,2,3])", "", "expected a JSON object"},
      {"{\"time\":1,\"type\":\"de\xffploy\"}", "", "UTF-8"},
      {"{\"time\":1,\"type\":\"deploy\",\"message\":\"\xc3\x28\"}", "", "UTF-8"},
  };
  std::string payload;
  for (const auto& c : cases) {
    payload += c.json + "\n";
    payload += R"({"time":1,"type":"deploy"})" "\n";  // a good line after each bad one
  }
  auto h = decode(Format::native, payload);
  EXPECT_EQ(h.records.size(), cases.size()) << "every good line survives its bad neighbour";
  ASSERT_EQ(h.rejects.size(), cases.size()) << h.describe_rejects();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& [error, line] = h.rejects[i];
    EXPECT_EQ(line, 2 * i + 1) << cases[i].json;
    EXPECT_EQ(error.field, cases[i].field) << cases[i].json << " -> " << error.to_string();
    EXPECT_NE(error.reason.find(cases[i].reason_contains), std::string::npos)
        << cases[i].json << " -> " << error.to_string();
  }
}

TEST(NativeJson, RefusesOversizedRecordsWithoutParsingThem) {
  std::string payload = R"({"time":1,"type":"deploy","message":")" + std::string(10 << 20, 'x') + "\"}\n";
  payload += R"({"time":2,"type":"deploy"})" "\n";
  auto h = decode(Format::native, payload);
  ASSERT_EQ(h.rejects.size(), 1u);
  EXPECT_NE(h.rejects[0].first.reason.find("over the 1048576-byte limit"), std::string::npos)
      << h.rejects[0].first.reason;
  EXPECT_EQ(h.records.size(), 1u);
}

TEST(NativeJson, SurvivesDeepNesting) {
  std::string deep = R"({"time":1,"type":"deploy","attributes":{"a":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}}\n";
  deep += R"({"time":1,"type":"deploy"})" "\n";
  auto h = decode(Format::native, deep);
  EXPECT_EQ(h.records.size(), 1u);
  ASSERT_EQ(h.rejects.size(), 1u);
}

TEST(NativeJson, HandlesCrlfBlankLinesAndAMissingFinalNewline) {
  auto h = decode(Format::native,
                  "\r\n" R"({"time":1,"type":"deploy"})" "\r\n\r\n   \n" R"({"time":2,"type":"deploy"})");
  EXPECT_EQ(h.records.size(), 2u) << h.describe_rejects();
  EXPECT_TRUE(h.rejects.empty());
}

TEST(NativeJson, NullOptionalFieldsCountAsAbsent) {
  auto h = decode(Format::native,
                  R"({"time":1,"type":"deploy","service":null,"attributes":null,"message":null})");
  ASSERT_EQ(h.records.size(), 1u) << h.describe_rejects();
  EXPECT_TRUE(std::get<Event>(h.records[0]).service.empty());
}

TEST(NativeJson, DecodeEventReusesTheRecord) {
  NativeJsonDecoder decoder;
  Event e;
  const std::string a = R"({"time":1,"type":"deploy","service":"a","attributes":{"k":"v"}})";
  const std::string b = R"({"time":2,"type":"crash"})";
  ASSERT_TRUE(decoder.decode_event(a, a.size(), e).ok());
  EXPECT_EQ(e.service, "a");
  ASSERT_TRUE(decoder.decode_event(b, b.size(), e).ok());
  EXPECT_TRUE(e.service.empty()) << "fields of the previous record must not leak";
  EXPECT_TRUE(e.attributes.empty());
  EXPECT_EQ(e.category, Category::failure);
}

TEST(NativeJson, ExplicitKindOverridesDetection) {
  NativeJsonDecoder as_events(DecodeOptions{}, NativeKind::event);
  Record r;
  const std::string metric_like = R"({"name":"up","time":1,"value":1})";
  auto st = as_events.decode_one(metric_like, metric_like.size(), r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().field, "name");
  EXPECT_NE(st.error().reason.find("unknown field"), std::string::npos);
}

}  // namespace
}  // namespace eventlens::codec

namespace eventlens::codec {
namespace {

// Inputs the fuzzers once crashed on (tests/codec/regressions/native-*):
// each must decode to records or rejections, never a crash.
TEST(NativeJson, FuzzRegressionsDecodeWithoutCrashing) {
  const std::string dir = std::string(EVENTLENS_SOURCE_DIR) + "/tests/codec/regressions";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("native-", 0) != 0) continue;
    ++files;
    auto h = decode(Format::native, testing::read_file(entry.path().string()));
    EXPECT_GT(h.records.size() + h.rejects.size(), 0u) << entry.path();
  }
  EXPECT_GE(files, 1u);
}

}  // namespace
}  // namespace eventlens::codec

namespace eventlens::codec {
namespace {

TEST(NativeJson, EscapedKeysMeanTheSameField) {
  auto h = testing::decode(Format::native, R"({"ti\u006de":1714521600,"\u0074ype":"deploy","service":"a"})");
  ASSERT_EQ(h.records.size(), 1u) << h.describe_rejects();
  EXPECT_EQ(std::get<Event>(h.records[0]).type, "deploy");
  EXPECT_EQ(std::get<Event>(h.records[0]).time, 1714521600LL * kNanosPerSecond);
}

}  // namespace
}  // namespace eventlens::codec

namespace eventlens::codec {
namespace {

// The decoder overwrites one Event in place, line after line (strings and
// attribute values reused, unset fields cleared): nothing of one line may
// show in the next, whatever the lengths and types.
TEST(NativeJson, AReusedEventCarriesNothingOver) {
  NativeJsonDecoder decoder(DecodeOptions{}, NativeKind::event);
  Event e;
  const auto read = [&](const std::string& json) {
    const Status st = decoder.decode_event(json, json.size(), e);
    EXPECT_TRUE(st.ok()) << json << ": " << (st.ok() ? "" : st.error().to_string());
  };
  read(R"({"id":"given-id","time":1,"type":"deploy","service":"a-long-service-name","pod":"p",)"
       R"("message":"m","attributes":{"k":"a string value","n":1,"x":2.5,"b":true}})");
  EXPECT_EQ(e.id, "given-id");
  read(R"({"time":2,"type":"crash","service":"s","attributes":{"k":7,"n":"now text","x":false}})");
  EXPECT_EQ(e.service, "s");
  EXPECT_TRUE(e.pod.empty());
  EXPECT_TRUE(e.message.empty());
  EXPECT_EQ(e.id, derive_event_id(e)) << "a derived id, not the last line's";
  ASSERT_EQ(e.attributes.size(), 3u);
  EXPECT_EQ(e.attributes[0].second, AttributeValue(std::int64_t{7}));
  EXPECT_EQ(e.attributes[1].second, AttributeValue(std::string("now text")));
  EXPECT_EQ(e.attributes[2].second, AttributeValue(false));
  read(R"({"time":3,"type":"crash","service":"a-much-longer-service-name-than-before",)"
       R"("message":"quote \" backslash \\ arrow \u2192"})");
  EXPECT_EQ(e.service, "a-much-longer-service-name-than-before");
  EXPECT_EQ(e.message, "quote \" backslash \\ arrow \xe2\x86\x92");
  EXPECT_TRUE(e.attributes.empty());
}

// A derived id depends on the content only: member order and whitespace do
// not change it.
TEST(NativeJson, DerivedIdsIgnoreLayout) {
  auto h = decode(Format::native,
                  R"({"time":"2024-05-01T00:00:00Z","type":"scale_up","service":"db","attributes":{"a":1,"b":"x"}})"
                  "\n"
                  R"({ "service" : "db" ,	"attributes" : { "a" : 1 , "b" : "x" } , "type" : "scale_up" , "time" : "2024-05-01T00:00:00Z" })"
                  "\n");
  ASSERT_EQ(h.records.size(), 2u) << h.describe_rejects();
  const auto events = h.all<Event>();
  EXPECT_EQ(events[0].id, events[1].id);
  EXPECT_EQ(events[0], events[1]);
}

TEST(NativeJson, UnknownAndEscapedUnknownKeysAreRefusedByName) {
  auto h = decode(Format::native,
                  R"({"time":1,"type":"deploy","colour":"red"})"
                  "\n"
                  R"({"time":1,"type":"deploy","col\u006fur":"red"})"
                  "\n"
                  R"({"time":1,"type":"deploy","attributes":{"ok":1,"bad":[1]}})"
                  "\n");
  ASSERT_EQ(h.rejects.size(), 3u);
  EXPECT_EQ(h.rejects[0].first.field, "colour");
  EXPECT_EQ(h.rejects[1].first.field, "colour");
  EXPECT_EQ(h.rejects[2].first.field, "attributes.bad");
}

}  // namespace
}  // namespace eventlens::codec
