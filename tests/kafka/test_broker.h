// The Kafka broker the kafka tests run against (scripts/kafka, started by the
// CTest fixture `kafka`), topic creation, and names unique to one run.
// Plain functions; call them from the test's thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/result.h"

namespace eventlens::testing {

// Returns the broker's bootstrap address: $EVENTLENS_KAFKA_BOOTSTRAP when
// set, else the first line of $EVENTLENS_KAFKA_DIR/bootstrap (written by
// `scripts/kafka start`); an Error saying how to start a broker otherwise.
Result<std::string> kafka_bootstrap();

// Creates `topic` with `partitions` partitions (replication 1) and the topic
// settings `configs` ("max.message.bytes=2000000") through `scripts/kafka
// topics`, and waits for it.
Status create_kafka_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                          const std::vector<std::string>& configs = {});

// Runs `scripts/kafka <arguments>` (arguments already quoted for the shell);
// returns its exit status.
int kafka_script(const std::string& arguments);

// Returns `prefix` followed by this process's id and the time, so a test run
// again against the same broker never meets an earlier run's topics or groups.
std::string unique_kafka_name(std::string_view prefix);

}  // namespace eventlens::testing
