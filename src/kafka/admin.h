// KafkaAdmin: what eventlens asks of a cluster's topics — how many partitions
// each has, and creating the ones it owns. One thread uses an admin client.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kafka/client_properties.h"
#include "model/result.h"

namespace eventlens::kafka {

struct NewTopic {
  std::string name;
  int partitions = 1;
  // Topic settings ("cleanup.policy" -> "compact"); the replication factor is
  // the broker's default.
  std::vector<std::pair<std::string, std::string>> configs;
};

class KafkaAdmin {
 public:
  // Returns an admin client, or an Error naming the refused property.
  static Result<KafkaAdmin> create(const ClientProperties& properties);
  KafkaAdmin(KafkaAdmin&&) noexcept;
  KafkaAdmin& operator=(KafkaAdmin&&) noexcept;
  ~KafkaAdmin();

  // Returns the partition count of each of `topics` that exists (a missing
  // one is left out), or an Error when the cluster cannot be asked.
  Result<std::map<std::string, int>> partition_counts(const std::vector<std::string>& topics,
                                                      std::chrono::milliseconds timeout);

  // Creates `topics`; one that exists already is left as it is. Errors name
  // the topic.
  Status create_topics(const std::vector<NewTopic>& topics, std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit KafkaAdmin(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventlens::kafka
