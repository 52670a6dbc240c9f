// Checkpoints of the stream engine: the state encoding (round trip, refusal
// of bad bytes), the RocksDB store, and a shard saved mid-stream, loaded into
// a fresh shard and fed the rest behaving exactly like one never stopped.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <queue>
#include <random>

#include "correlate/config.h"
#include "simulate/record_sink.h"
#include "simulate/scenario.h"
#include "simulate/simulator.h"
#include "stream/checkpoint_store.h"
#include "stream/shard.h"
#include "stream/state_io.h"

namespace eventlens::stream {
namespace {

// ---- the encoding ----

TEST(StateIo, RoundTripsEveryKindOfValue) {
  StateWriter w;
  w.u8(0xab);
  w.u32(0xdeadbeef);
  w.u64(0x0123456789abcdefull);
  w.i64(std::numeric_limits<std::int64_t>::min());
  w.f32(std::numeric_limits<float>::quiet_NaN());
  w.f32(-0.0f);
  w.f64(3.141592653589793);
  w.f64(-std::numeric_limits<double>::infinity());
  w.boolean(true);
  w.boolean(false);
  w.str("");
  w.str(std::string("nul\0inside", 10));
  w.count(3);
  for (int i = 0; i < 3; ++i) w.u32(static_cast<std::uint32_t>(i * 7));
  const std::string bytes = w.finish();

  StateReader r(bytes, "test");
  EXPECT_EQ(r.u8(), 0xab);
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
  EXPECT_EQ(r.u64(), 0x0123456789abcdefull);
  EXPECT_EQ(r.i64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(std::isnan(r.f32()));
  const float zero = r.f32();
  EXPECT_TRUE(zero == 0.0f && std::signbit(zero)) << "bit patterns survive: -0 stays -0";
  EXPECT_EQ(r.f64(), 3.141592653589793);
  EXPECT_EQ(r.f64(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(r.boolean());
  EXPECT_FALSE(r.boolean());
  EXPECT_EQ(r.str(), "");
  EXPECT_EQ(r.str(), std::string("nul\0inside", 10));
  ASSERT_EQ(r.count(4), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.u32(), static_cast<std::uint32_t>(i * 7));
  EXPECT_TRUE(r.finish().ok()) << r.finish().error().to_string();
}

TEST(StateIo, IsLittleEndianWithAVersionedHeader) {
  StateWriter w;
  w.u32(0x01020304);
  const std::string bytes = w.finish();
  ASSERT_EQ(bytes.size(), 24u + 4u);
  EXPECT_EQ(bytes.substr(0, 4), "ELCK");
  EXPECT_EQ(static_cast<unsigned char>(bytes[4]), kStateFormatVersion);
  EXPECT_EQ(bytes.substr(24), std::string("\x04\x03\x02\x01", 4));
}

TEST(StateIo, TruncatedOrCorruptBytesAreErrorsNotCrashes) {
  StateWriter w;
  w.str("a string long enough to be cut anywhere");
  w.count(2);
  w.f64(1.5);
  w.f64(2.5);
  const std::string bytes = w.finish();

  for (std::size_t n = 0; n < bytes.size(); ++n) {
    StateReader r(std::string_view(bytes).substr(0, n), "cut");
    (void)r.str();
    for (std::size_t i = r.count(8); i > 0; --i) (void)r.f64();
    const Status s = r.finish();
    ASSERT_FALSE(s.ok()) << "cut at " << n;
    EXPECT_EQ(s.error().field, "cut");
  }
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x20);
    StateReader r(flipped, "flipped");
    (void)r.str();
    for (std::size_t i = r.count(8); i > 0; --i) (void)r.f64();
    EXPECT_FALSE(r.finish().ok()) << "byte " << at << " flipped";
  }
  StateReader wrong_version(std::string(bytes).replace(4, 1, 1, '\x7f'), "v");
  EXPECT_NE(wrong_version.finish().error().reason.find("version"), std::string::npos);
}

TEST(StateIo, ImpossibleValuesInsideAValidEnvelopeAreErrors) {
  {
    StateWriter w;
    w.u64(std::uint64_t{1} << 60);  // a length no input could hold
    const std::string bytes = w.finish();
    StateReader r(bytes, "length");
    EXPECT_EQ(r.count(4), 0u);
    EXPECT_FALSE(r.finish().ok());
  }
  {
    StateWriter w;
    w.u8(7);
    const std::string bytes = w.finish();
    StateReader r(bytes, "flag");
    (void)r.boolean();
    EXPECT_FALSE(r.finish().ok()) << "a flag is 0 or 1";
  }
  {
    StateWriter w;
    w.u32(1);
    w.u32(2);
    const std::string bytes = w.finish();
    StateReader r(bytes, "rest");
    (void)r.u32();
    EXPECT_NE(r.finish().error().reason.find("left over"), std::string::npos);
  }
  {
    StateWriter w;
    w.u32(1);
    const std::string bytes = w.finish();
    StateReader r(bytes, "sticky");
    (void)r.u64();  // past the end
    EXPECT_EQ(r.u8(), 0) << "after an error every read yields zero";
    EXPECT_FALSE(r.ok());
  }
}

// ---- the store ----

std::string fresh_dir(const std::string& name) {
  const std::string dir = std::string(EVENTLENS_TEST_TMP) + "/checkpoint_test/" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(CheckpointStore, ReadsBackTheLastCommitWholeAcrossReopening) {
  const std::string dir = fresh_dir("store");
  {
    auto store = CheckpointStore::open(dir);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    auto none = (*store)->read();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value()) << "nothing committed yet";
    ASSERT_TRUE((*store)->write({{"a", "first a"}, {"b", std::string(100000, 'b')}}).ok());
    ASSERT_TRUE((*store)->write({{"a", "second a"}, {"c", std::string("\0c", 2)}}).ok());
    EXPECT_EQ((*store)->commits(), 2u);
  }
  auto store = CheckpointStore::open(dir);
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  EXPECT_EQ((*store)->commits(), 2u);
  auto parts = (*store)->read();
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  ASSERT_TRUE(parts->has_value());
  const CheckpointStore::Parts expected{{"a", "second a"}, {"c", std::string("\0c", 2)}};
  EXPECT_EQ(**parts, expected) << "b belonged to the replaced checkpoint";
}

TEST(CheckpointStore, LeavesADirectoryOfOtherFilesAlone) {
  const std::string dir = fresh_dir("not_a_store");
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/notes.txt") << "mine"; }
  auto store = CheckpointStore::open(dir);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().reason.find("not a checkpoint store"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir + "/CURRENT"));
}

TEST(CheckpointStore, OneOpenerAtATime) {
  const std::string dir = fresh_dir("locked");
  auto first = CheckpointStore::open(dir);
  ASSERT_TRUE(first.ok());
  auto second = CheckpointStore::open(dir);
  ASSERT_FALSE(second.ok()) << "RocksDB locks the directory";
  EXPECT_EQ(second.error().field, dir);
}

// ---- shards ----

// A simulated cluster's records, one input per kind, merged by time as
// replay merges files (heartbeats, idle inputs), as a list of steps so that
// two shards can be fed exactly the same sequence.
struct Feed {
  struct Step {
    enum Kind { push, heartbeat, idle } kind;
    std::size_t input;
    const Record* record = nullptr;
    TimeNs time = 0;
  };
  std::array<std::vector<Record>, 4> inputs;
  std::vector<Step> steps;
  std::vector<std::size_t> pushes;  // indexes of push steps
};

struct Collect final : simulate::RecordSink {
  Feed* feed;
  TimeNs metric_shift;
  Collect(Feed* f, TimeNs shift) : feed(f), metric_shift(shift) {}
  void event(const Event& e) override { feed->inputs[0].push_back(e); }
  void metric(const MetricSample& m) override {
    MetricSample moved = m;
    moved.time += metric_shift;
    feed->inputs[1].push_back(std::move(moved));
  }
  void log(const LogRecord& l) override { feed->inputs[2].push_back(l); }
  void span(const Span& s) override { feed->inputs[3].push_back(s); }
  Status close() override { return ok_status(); }
};

TimeNs time_of(const Record& r) {
  switch (r.index()) {
    case 0: return std::get<Event>(r).time;
    case 1: return std::get<MetricSample>(r).time;
    case 2: return std::get<LogRecord>(r).time;
    default: return std::get<Span>(r).start;
  }
}

// The metrics' times moved by `metric_shift`: samples off the epoch's grid
// put the steps on another phase, which the checkpoint must carry.
Feed make_feed(TimeNs metric_shift) {
  {
    Feed f;
    auto scenario = simulate::builtin_scenario("mixed");
    EXPECT_TRUE(scenario.ok());
    simulate::SimulationOptions options;
    options.seed = 3;
    options.duration_s = 40 * 60;
    Collect sink(&f, metric_shift);
    EXPECT_TRUE(simulate::run_simulation(*scenario, options, sink).ok());
    using Head = std::pair<TimeNs, std::size_t>;
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
    std::array<std::size_t, 4> next{};
    for (std::size_t i = 0; i < 4; ++i) {
      if (f.inputs[i].empty()) {
        f.steps.push_back({Feed::Step::idle, i});
      } else {
        heads.push({time_of(f.inputs[i][0]), i});
      }
    }
    while (!heads.empty()) {
      const std::size_t i = heads.top().second;
      heads.pop();
      f.pushes.push_back(f.steps.size());
      f.steps.push_back({Feed::Step::push, i, &f.inputs[i][next[i]++]});
      if (next[i] < f.inputs[i].size()) {
        const TimeNs t = time_of(f.inputs[i][next[i]]);
        f.steps.push_back({Feed::Step::heartbeat, i, nullptr, t});
        heads.push({t, i});
      } else {
        f.steps.push_back({Feed::Step::idle, i});
      }
    }
    return f;
  }
}

const Feed& simulated_feed() {
  static const Feed feed = make_feed(0);
  return feed;
}

const Feed& off_phase_feed() {
  static const Feed feed = make_feed(7 * kSecond);
  return feed;
}

// Small rings and a short ttl: the rings wrap, series expire and their slots
// are reused, span generations turn over, all within the simulated 40 min.
StreamConfig small_config() {
  StreamConfig c = correlate::default_config().stream;
  c.series_ttl = 3 * 60 * kSecond;
  c.max_logs_per_service = 8;
  c.max_spans_per_service = 16;
  c.max_events_per_service = 4;
  return c;
}

// Everything a shard tells its observer, with every signal's final value at
// each step, as text (floats by bit pattern, so NaN compares too).
struct Transcript final : ShardObserver {
  const Shard* shard = nullptr;
  std::vector<std::string> lines;
  void on_event(const Event& e, bool late) override { lines.push_back("event " + e.id + (late ? " late" : "")); }
  void on_step(TimeNs t) override {
    std::string line = "step " + std::to_string(t);
    for (SignalId s = 0; s < shard->signal_count(); ++s) {
      const float v = static_cast<float>(shard->signal_value(s, t));
      std::uint32_t bits;
      std::memcpy(&bits, &v, sizeof bits);
      line += ' ' + std::to_string(bits);
    }
    lines.push_back(std::move(line));
  }
  void on_dead_letter(const Record&, const Error& reason) override { lines.push_back("dead " + reason.to_string()); }
};

struct ShardUnderTest {
  Transcript transcript;
  Shard shard;
  explicit ShardUnderTest(StreamConfig config) : shard(std::move(config), transcript) {
    transcript.shard = &shard;
    for (int i = 0; i < 4; ++i) shard.add_input();
  }
  void feed(const Feed& f, std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      const Feed::Step& s = f.steps[k];
      switch (s.kind) {
        case Feed::Step::push: shard.push(s.input, *s.record); break;
        case Feed::Step::heartbeat: shard.heartbeat(s.input, s.time); break;
        case Feed::Step::idle: shard.set_idle(s.input, true); break;
      }
    }
  }
  std::string save() const {
    StateWriter w;
    shard.save(w);
    return w.finish();
  }
};

void expect_resumed_equals_uninterrupted(const Feed& feed) {
  ASSERT_GT(feed.pushes.size(), 10000u);
  // Cut at several places: before any record, after a record and the
  // heartbeat that follows it (where replay checkpoints), and between the two.
  const std::pair<double, std::size_t> cuts[] = {{0.0, 0}, {0.13, 2}, {0.5, 2}, {0.77, 1}};
  for (const auto& [at, past] : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(at) + " + " + std::to_string(past));
    const std::size_t cut = at == 0.0 ? 0 : feed.pushes[static_cast<std::size_t>(at * feed.pushes.size())] + past;

    ShardUnderTest uninterrupted(small_config());
    uninterrupted.feed(feed, 0, cut);
    const std::string checkpoint = uninterrupted.save();
    const std::size_t before = uninterrupted.transcript.lines.size();

    ShardUnderTest resumed(small_config());
    StateReader in(checkpoint, "shard");
    const Status loaded = resumed.shard.load(in);
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    EXPECT_TRUE(resumed.save() == checkpoint) << "load then save gives back the same bytes";

    uninterrupted.feed(feed, cut, feed.steps.size());
    resumed.feed(feed, cut, feed.steps.size());
    uninterrupted.shard.flush();
    resumed.shard.flush();

    const auto& all = uninterrupted.transcript.lines;
    const std::vector<std::string> expected(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
    ASSERT_GT(expected.size(), 30u) << "steps and events after the cut";
    ASSERT_EQ(resumed.transcript.lines.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(resumed.transcript.lines[i], expected[i]) << "observer call " << i << " after the cut";
    }
    EXPECT_TRUE(resumed.save() == uninterrupted.save()) << "and the same state at the end";
    EXPECT_EQ(resumed.shard.counters().records, uninterrupted.shard.counters().records);
    EXPECT_EQ(resumed.shard.call_edges(), uninterrupted.shard.call_edges());
    EXPECT_EQ(resumed.shard.step_offset(), uninterrupted.shard.step_offset());
  }
}

TEST(ShardCheckpoint, AResumedShardDoesExactlyWhatAnUninterruptedOneDoes) {
  expect_resumed_equals_uninterrupted(simulated_feed());
}

TEST(ShardCheckpoint, AResumedShardKeepsTheStepPhaseItTookFromTheData) {
  const Feed& feed = off_phase_feed();
  expect_resumed_equals_uninterrupted(feed);
  ShardUnderTest s(small_config());
  s.feed(feed, 0, feed.steps.size() / 10);
  EXPECT_EQ(s.shard.step_offset(), 7 * kSecond) << "the feed is off the epoch's grid";
}

TEST(ShardCheckpoint, TheStateActuallyExercisesWhatIsSaved) {
  // Guards the test above against a feed too tame to matter.
  const Feed& feed = simulated_feed();
  ShardUnderTest s(small_config());
  s.feed(feed, 0, feed.steps.size() / 2);
  EXPECT_GT(s.shard.counters().series_expired, 0u) << "series expired: the free list is in use";
  EXPECT_FALSE(s.shard.call_edges().empty());
  bool wrapped = false, calls_wrapped = false, no_calls = false;
  for (StringId service : s.shard.services()) {
    const ServiceContext* ctx = s.shard.context(service);
    if (ctx == nullptr) continue;
    if (ctx->spans.size() == ctx->spans.capacity() && ctx->spans.head() != 0) wrapped = true;
    if (ctx->calls.size() == ctx->calls.capacity() && ctx->calls.head() != 0) calls_wrapped = true;
    if (ctx->calls.empty() && !ctx->spans.empty()) no_calls = true;  // db calls nothing
  }
  EXPECT_TRUE(wrapped) << "some span ring has wrapped";
  EXPECT_TRUE(calls_wrapped) << "some ring of client spans has wrapped";
  EXPECT_TRUE(no_calls) << "a service without calls has no ring of them to save";
}

TEST(ShardCheckpoint, SpansKeepTheirKind) {
  ShardUnderTest original(small_config());
  const TimeNs t0 = 1'795'392'000LL * kSecond;
  for (int k = 0; k < 6; ++k) {
    Span sp;
    sp.trace_id = "0af7651916cd43dd8448eb211c80319c";
    sp.span_id = "00000000000000a" + std::to_string(k);
    sp.service = "checkout";
    sp.name = "POST /checkout";
    sp.start = t0 + k * kSecond;
    sp.end = sp.start + 5'000'000;
    sp.kind = static_cast<SpanKind>(k);
    original.shard.push(3, sp);
  }
  const std::string checkpoint = original.save();
  ShardUnderTest resumed(small_config());
  StateReader in(checkpoint, "shard");
  const Status loaded = resumed.shard.load(in);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const ServiceContext* ctx = resumed.shard.context(resumed.shard.strings().find("checkout"));
  ASSERT_NE(ctx, nullptr);
  // Requests served in one ring, their calls and steps in the other.
  ASSERT_EQ(ctx->spans.size(), 3u);
  EXPECT_EQ(ctx->spans[0].kind, SpanKind::unspecified);
  EXPECT_EQ(ctx->spans[1].kind, SpanKind::server);
  EXPECT_EQ(ctx->spans[2].kind, SpanKind::consumer);
  ASSERT_EQ(ctx->calls.size(), 3u);
  EXPECT_EQ(ctx->calls[0].kind, SpanKind::internal);
  EXPECT_EQ(ctx->calls[1].kind, SpanKind::client);
  EXPECT_EQ(ctx->calls[2].kind, SpanKind::producer);
  EXPECT_EQ(ctx->calls.capacity(), ctx->spans.capacity());
  EXPECT_TRUE(resumed.save() == checkpoint);

}

TEST(ShardCheckpoint, RefusesACheckpointOfAnotherConfiguration) {
  const Feed& feed = simulated_feed();
  ShardUnderTest original(small_config());
  original.feed(feed, 0, feed.pushes[1000]);
  const std::string checkpoint = original.save();

  StreamConfig other_step = small_config();
  other_step.step = 30 * kSecond;
  ShardUnderTest a(other_step);
  StateReader in_a(checkpoint, "shard");
  const Status s_a = a.shard.load(in_a);
  ASSERT_FALSE(s_a.ok());
  EXPECT_NE(s_a.error().reason.find("different engine configuration"), std::string::npos) << s_a.error().reason;
  EXPECT_NE(s_a.error().reason.find("step is 15 s"), std::string::npos) << s_a.error().reason;

  StreamConfig fewer = small_config();
  fewer.signals.pop_back();
  ShardUnderTest b(fewer);
  StateReader in_b(checkpoint, "shard");
  const Status s_b = b.shard.load(in_b);
  ASSERT_FALSE(s_b.ok());
  EXPECT_NE(s_b.error().reason.find("signals"), std::string::npos) << s_b.error().reason;

  StreamConfig other_ttl = small_config();
  other_ttl.series_ttl += kSecond;
  ShardUnderTest c(other_ttl);
  StateReader in_c(checkpoint, "shard");
  EXPECT_FALSE(c.shard.load(in_c).ok()) << "any setting counts, not only step and signals";

  ShardUnderTest used(small_config());
  used.feed(feed, 0, feed.pushes[10]);
  StateReader in_used(checkpoint, "shard");
  EXPECT_FALSE(used.shard.load(in_used).ok()) << "only a shard that has read nothing loads a checkpoint";
}

// The payload of an envelope, and a valid envelope around other bytes: to
// get past the checksum and reach the loader's own checks.
std::string payload_of(const std::string& envelope) { return envelope.substr(24); }
std::string wrap(std::string_view payload) {
  StateWriter w;
  for (char c : payload) w.u8(static_cast<std::uint8_t>(c));
  return w.finish();
}

TEST(ShardCheckpoint, BadBytesAreErrorsNotCrashes) {
  const Feed& feed = simulated_feed();
  ShardUnderTest original(small_config());
  original.feed(feed, 0, feed.pushes[feed.pushes.size() / 3]);
  const std::string checkpoint = original.save();
  const std::string payload = payload_of(checkpoint);

  {
    ShardUnderTest s(small_config());
    std::string cut = checkpoint.substr(0, checkpoint.size() - 1);
    StateReader in(cut, "shard");
    EXPECT_FALSE(s.shard.load(in).ok()) << "a truncated checkpoint";
  }
  // A payload cut short inside a valid envelope runs out wherever it is cut.
  for (std::size_t n : {std::size_t{0}, std::size_t{9}, payload.size() / 7, payload.size() / 2, payload.size() - 1}) {
    ShardUnderTest s(small_config());
    const std::string bytes = wrap(std::string_view(payload).substr(0, n));
    StateReader in(bytes, "shard");
    EXPECT_FALSE(s.shard.load(in).ok()) << "payload cut at " << n;
  }
  // Flipped bytes inside a valid envelope: some still make a state (a
  // different value), none may crash (the sanitizer build checks the rest).
  std::mt19937_64 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string corrupt = payload;
    const std::size_t at = rng() % corrupt.size();
    corrupt[at] = static_cast<char>(corrupt[at] ^ static_cast<char>(1 + rng() % 255));
    ShardUnderTest s(small_config());
    const std::string bytes = wrap(corrupt);
    StateReader in(bytes, "shard");
    if (!s.shard.load(in).ok()) ++refused;
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace eventlens::stream
