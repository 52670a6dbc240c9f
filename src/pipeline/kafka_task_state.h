// A task's state on Kafka, so that it follows its partition: whoever takes a
// partition over — the same process restarted, another member after a
// rebalance, another machine with an empty disk — rebuilds the task from the
// compacted topic `<group>-state` and carries on where the task left off.
//
// The state topic has a partition per task (the input topics' partition
// number). In it, each task keeps three kinds of record:
//   "manifest"     its latest snapshot: generation, the configuration it was
//                  taken under, the input offsets it was taken at, and how
//                  many chunks hold it;
//   "chunk/<i>"    the snapshot's bytes (the engine's checkpoint parts), cut
//                  into messages a broker accepts;
//   "emitted/<n>"  the results it produced in the n-th transaction since that
//                  snapshot, by identity: a task restored from the snapshot
//                  reads its inputs again from the snapshot's offsets, and
//                  what it makes again that was already committed is not
//                  produced twice.
// All of them are written in the same transactions as the results and the
// consumed offsets, so a read_committed reader sees a snapshot whole or not
// at all, and never results without the record of them (docs/kafka.md,
// "State that follows its partitions").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/client_properties.h"
#include "kafka/message.h"
#include "model/result.h"
#include "stream/checkpoint_store.h"

namespace eventlens::pipeline {

// One message of the state topic: a tombstone when value is nullopt.
struct StateRecord {
  std::string key;
  std::optional<std::string> value;
};

struct TaskSnapshot {
  std::uint64_t generation = 0;  // 1 for a task's first snapshot, then +1 each
  // Hash of what shapes the state (the configuration file's bytes, whether
  // provisional records go out): a snapshot taken under another is refused.
  std::uint64_t configuration = 0;
  // Where each input partition of the task resumes: the first record not
  // in the snapshot.
  std::vector<kafka::PartitionOffset> positions;
  stream::CheckpointStore::Parts engine;
};

// The records that write `snapshot` (its chunks, then its manifest), and
// that delete what the task's previous snapshot left behind: its chunks past
// this one's count and its `emitted` records. `chunk_bytes`: the largest
// chunk (a broker refuses messages over its message.max.bytes). The
// snapshot's engine parts are released once encoded (a large state would
// otherwise be held three times over while its chunks are made).
std::vector<StateRecord> snapshot_records(TaskSnapshot&& snapshot, std::size_t previous_chunks,
                                          std::size_t previous_emitted, std::size_t chunk_bytes = 512 * 1024);
// The records of what the task produced in a transaction since the snapshot
// of `generation`: `emitted/<n>`, `emitted/<n+1>`, ... as many as it takes
// to keep each under `max_bytes`; advances `n` past them.
std::vector<StateRecord> emitted_records(std::uint64_t generation, std::uint64_t& n,
                                         const std::vector<std::string>& identities,
                                         std::size_t max_bytes = 512 * 1024);

// What a task is rebuilt from: the latest snapshot, if any, and what was
// produced since.
struct RestoredTask {
  std::optional<TaskSnapshot> snapshot;
  std::vector<std::string> emitted;  // identities of results already committed
  std::uint64_t generation = 0;      // the snapshot's (0: none)
  std::size_t chunks = 0;            // its chunks, ...
  std::uint64_t emitted_next = 0;     // ... and the n of its next `emitted/<n>` record
  std::uint64_t bytes = 0;            // read from the topic
};

// Gathers a state partition's records as they are read, keeping the latest
// value of each key (as compaction will), and rebuilds the task from them.
class StateAssembler {
 public:
  void add(std::string_view key, std::optional<std::string_view> value);
  // Errors: a manifest or chunk that does not decode (another eventlens'
  // state format), chunks missing or not matching the manifest's hash.
  Result<RestoredTask> finish() const;

 private:
  std::map<std::string, std::string, std::less<>> latest_;
  std::uint64_t bytes_ = 0;
};

// Reads the state partitions `partitions` of `topic` to their ends
// (read_committed: a transaction still open holds the reader until it ends
// or times out) and rebuilds a task of each. Errors name the partition.
Result<std::map<std::int32_t, RestoredTask>> read_task_states(const kafka::ClientProperties& properties,
                                                              const std::string& topic,
                                                              const std::vector<std::int32_t>& partitions,
                                                              std::chrono::milliseconds timeout);

}  // namespace eventlens::pipeline
