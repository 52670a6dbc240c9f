#include "pipeline/kafka_task_state.h"

#include <algorithm>
#include <charconv>

#include "source/kafka_consumer.h"
#include "stream/state_io.h"

namespace eventlens::pipeline {

namespace {

constexpr std::string_view kManifest = "manifest";
constexpr std::string_view kChunk = "chunk/";
constexpr std::string_view kEmitted = "emitted/";

std::string chunk_key(std::size_t i) { return std::string(kChunk) + std::to_string(i); }
std::string emitted_key(std::uint64_t n) { return std::string(kEmitted) + std::to_string(n); }

std::string encode_snapshot(const TaskSnapshot& s) {
  stream::StateWriter w;
  w.u64(s.generation);
  w.u64(s.configuration);
  w.count(s.positions.size());
  for (const kafka::PartitionOffset& p : s.positions) {
    w.str(p.topic);
    w.u32(static_cast<std::uint32_t>(p.partition));
    w.i64(p.offset);
  }
  w.count(s.engine.size());
  for (const auto& [name, bytes] : s.engine) {
    w.str(name);
    w.str(bytes);
  }
  return w.finish();
}

Result<TaskSnapshot> decode_snapshot(std::string_view bytes) {
  stream::StateReader r(bytes, "snapshot");
  TaskSnapshot s;
  s.generation = r.u64();
  s.configuration = r.u64();
  s.positions.resize(r.count(20));
  for (kafka::PartitionOffset& p : s.positions) {
    p.topic = r.str();
    p.partition = static_cast<std::int32_t>(r.u32());
    p.offset = r.i64();
  }
  const std::size_t parts = r.count(16);
  for (std::size_t i = 0; i < parts && r.ok(); ++i) {
    std::string name = r.str();
    s.engine[std::move(name)] = r.str();
  }
  if (Status st = r.finish(); !st) return st.error();
  return s;
}

}  // namespace

std::vector<StateRecord> snapshot_records(TaskSnapshot&& snapshot, std::size_t previous_chunks,
                                          std::size_t previous_emitted, std::size_t chunk_bytes) {
  const std::string bytes = encode_snapshot(snapshot);
  stream::CheckpointStore::Parts().swap(snapshot.engine);
  std::vector<StateRecord> out;
  std::size_t chunks = 0;
  for (std::size_t at = 0; at < bytes.size(); at += chunk_bytes, ++chunks) {
    stream::StateWriter w;
    w.u64(snapshot.generation);
    w.str(std::string_view(bytes).substr(at, chunk_bytes));
    out.push_back({chunk_key(chunks), w.finish()});
  }
  stream::StateWriter m;
  m.u64(snapshot.generation);
  m.u64(chunks);
  m.u64(bytes.size());
  out.push_back({std::string(kManifest), m.finish()});
  // What the previous snapshot left: compaction forgets a key at its tombstone.
  for (std::size_t i = chunks; i < previous_chunks; ++i) out.push_back({chunk_key(i), std::nullopt});
  for (std::size_t n = 0; n < previous_emitted; ++n) out.push_back({emitted_key(n), std::nullopt});
  return out;
}

std::vector<StateRecord> emitted_records(std::uint64_t generation, std::uint64_t& n,
                                         const std::vector<std::string>& identities, std::size_t max_bytes) {
  std::vector<StateRecord> out;
  std::size_t from = 0;
  while (from < identities.size()) {
    std::size_t to = from, bytes = 0;
    while (to < identities.size() && (to == from || bytes + identities[to].size() + 8 <= max_bytes)) {
      bytes += identities[to++].size() + 8;
    }
    stream::StateWriter w;
    w.u64(generation);
    w.count(to - from);
    for (std::size_t i = from; i < to; ++i) w.str(identities[i]);
    out.push_back({emitted_key(n++), w.finish()});
    from = to;
  }
  return out;
}

void StateAssembler::add(std::string_view key, std::optional<std::string_view> value) {
  if (value) {
    bytes_ += key.size() + value->size();
    latest_.insert_or_assign(std::string(key), std::string(*value));
  } else {
    if (auto it = latest_.find(key); it != latest_.end()) latest_.erase(it);
  }
}

Result<RestoredTask> StateAssembler::finish() const {
  RestoredTask out;
  out.bytes = bytes_;
  std::uint64_t chunk_count = 0;
  std::uint64_t total = 0;
  if (auto it = latest_.find(kManifest); it != latest_.end()) {
    stream::StateReader r(it->second, "state manifest");
    out.generation = r.u64();
    chunk_count = r.u64();
    total = r.u64();
    if (Status st = r.finish(); !st) return st.error();
  }
  // The results produced since the snapshot (or since the task began, with
  // none): records of another generation are leftovers not yet compacted.
  for (auto it = latest_.lower_bound(kEmitted); it != latest_.end() && it->first.starts_with(kEmitted); ++it) {
    stream::StateReader r(it->second, "state record " + it->first);
    const std::uint64_t generation = r.u64();
    std::vector<std::string> ids(r.count(8));
    for (std::string& id : ids) id = r.str();
    if (Status st = r.finish(); !st) return st.error();
    if (generation != out.generation) continue;
    std::uint64_t n = 0;
    const std::string_view digits = std::string_view(it->first).substr(kEmitted.size());
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    out.emitted_next = std::max(out.emitted_next, n + 1);
    for (std::string& id : ids) out.emitted.push_back(std::move(id));
  }
  if (out.generation == 0) return out;
  std::string bytes;
  bytes.reserve(total);
  for (std::size_t i = 0; i < chunk_count; ++i) {
    const auto it = latest_.find(chunk_key(i));
    if (it == latest_.end()) {
      return make_error("state", "snapshot " + std::to_string(out.generation) + " lacks its chunk " + std::to_string(i));
    }
    stream::StateReader r(it->second, "state chunk " + std::to_string(i));
    const std::uint64_t generation = r.u64();
    std::string piece = r.str();
    if (Status st = r.finish(); !st) return st.error();
    if (generation != out.generation) {
      return make_error("state", "chunk " + std::to_string(i) + " belongs to snapshot " + std::to_string(generation) +
                                     ", the manifest to " + std::to_string(out.generation));
    }
    bytes += piece;
  }
  if (bytes.size() != total) return make_error("state", "snapshot bytes do not add up to the manifest's");
  auto snapshot = decode_snapshot(bytes);
  if (!snapshot) return snapshot.error();
  if (snapshot->generation != out.generation) return make_error("state", "snapshot generation differs from its manifest");
  out.snapshot = std::move(*snapshot);
  out.chunks = chunk_count;
  return out;
}

Result<std::map<std::int32_t, RestoredTask>> read_task_states(const kafka::ClientProperties& properties,
                                                              const std::string& topic,
                                                              const std::vector<std::int32_t>& partitions,
                                                              std::chrono::milliseconds timeout) {
  std::map<std::int32_t, RestoredTask> out;
  if (partitions.empty()) return out;
  source::KafkaConsumerOptions options;
  // No group is joined (assign, never subscribe) and nothing is committed:
  // the id only satisfies the client.
  options.properties =
      kafka::merge_properties(properties, {{"enable.partition.eof", "true"}, {"group.id", topic + "-reader"}});
  auto consumer = source::KafkaConsumer::create(options);
  if (!consumer) return consumer.error();
  std::vector<kafka::PartitionOffset> from;
  for (std::int32_t p : partitions) from.push_back({topic, p, kafka::kBeginning});
  if (Status st = consumer->assign(from); !st) return st.error();

  std::map<std::int32_t, StateAssembler> assemblers;
  source::MessageBatch batch;
  source::PartitionsAtEnd at_end;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (at_end.count() < partitions.size()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(topic, "could not be read to its end within " + std::to_string(timeout.count()) +
                                   " ms (a transaction left open by a member that died holds read_committed readers "
                                   "until the broker aborts it: transaction.timeout.ms)");
    }
    auto n = consumer->poll(batch, 10'000, std::chrono::milliseconds(200));
    if (!n) return n.error();
    for (const source::ConsumedMessage& m : batch) {
      // A tombstone arrives as a message without a value; librdkafka gives
      // no way to tell it from an empty value here, and eventlens never
      // writes an empty one.
      const std::optional<std::string_view> value =
          m.value.empty() ? std::nullopt : std::optional<std::string_view>(m.value);
      assemblers[m.partition].add(m.key, value);
    }
    at_end.see(batch);
  }
  for (std::int32_t p : partitions) {
    auto task = assemblers[p].finish();
    if (!task) return make_error(topic + "[" + std::to_string(p) + "]", task.error().to_string());
    out.emplace(p, std::move(*task));
  }
  return out;
}

}  // namespace eventlens::pipeline
