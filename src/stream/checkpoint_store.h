// Where checkpoints live: a RocksDB database in a state directory holding the
// last committed checkpoint, a set of named parts (a shard's state, its
// correlator's, the progress of each input) replaced together. Commits are
// atomic and durable: after a crash a reader sees the whole of the last
// committed checkpoint or, if none was ever committed, none. One thread; one
// process per directory (RocksDB locks it).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "model/result.h"

namespace eventlens::stream {

class CheckpointStore {
 public:
  using Parts = std::map<std::string, std::string>;

  // Opens the store in `dir`, creating the directory and an empty store when
  // absent. Errors: the directory cannot be created, the store is corrupt or
  // another process holds it.
  static Result<std::unique_ptr<CheckpointStore>> open(const std::string& dir);
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // Commits `parts` as the new checkpoint, replacing the previous one whole
  // (a part it had that `parts` lacks is gone): one write batch, synced to
  // disk before this returns ok.
  Status write(const Parts& parts);
  // Returns the parts of the last committed checkpoint, nullopt when none was
  // ever committed, or an Error when the store cannot be read.
  Result<std::optional<Parts>> read() const;
  // Returns how many checkpoints were ever committed to this store (across
  // restarts: the count is part of each commit).
  std::uint64_t commits() const;

 private:
  struct Impl;
  explicit CheckpointStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlens::stream
