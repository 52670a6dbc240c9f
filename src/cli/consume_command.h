// `eventlens consume`: prints what the output topics hold, read_committed,
// one message value per line: the quickest look at what `serve --kafka`
// concluded, and what the README's live loop reads.
#pragma once

#include <string>
#include <vector>

namespace eventlens::cli {

struct ConsumeCommandOptions {
  std::string brokers;
  std::string topic_prefix;
  std::vector<std::string> topics;
  bool until_end = false;  // stop once every partition is read to its end
  bool headers = false;    // prefix each line with the topic and the message's headers
};

int run_consume(const ConsumeCommandOptions& options);

}  // namespace eventlens::cli
