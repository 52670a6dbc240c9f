#include "kafka/test_broker.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

namespace eventlens::testing {

Result<std::string> kafka_bootstrap() {
  if (const char* env = std::getenv("EVENTLENS_KAFKA_BOOTSTRAP"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  const char* dir = std::getenv("EVENTLENS_KAFKA_DIR");
  if (dir == nullptr || *dir == '\0') {
    return make_error("EVENTLENS_KAFKA_DIR",
                      "not set: run these tests with `ctest -L kafka` (which starts a broker), or "
                      "start one with scripts/kafka start --dir DIR and set EVENTLENS_KAFKA_DIR=DIR");
  }
  const std::string path = std::string(dir) + "/bootstrap";
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) {
    return make_error(path, "no bootstrap address: is the broker running (scripts/kafka status --dir " +
                                std::string(dir) + ")?");
  }
  return line;
}

Status create_kafka_topic(const std::string& bootstrap, const std::string& topic, int partitions,
                          const std::vector<std::string>& configs) {
  // Names come from unique_kafka_name and addresses from scripts/kafka, so
  // neither holds shell metacharacters; quote them all the same.
  std::string command = std::string("'") + EVENTLENS_KAFKA_SCRIPT + "' topics --bootstrap '" + bootstrap +
                        "' --partitions " + std::to_string(partitions);
  for (const std::string& c : configs) command += " --config '" + c + "'";
  command += " '" + topic + "'";
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    return make_error(topic, "`" + command + "` failed with status " + std::to_string(rc));
  }
  return ok_status();
}

int kafka_script(const std::string& arguments) {
  return std::system((std::string("'") + EVENTLENS_KAFKA_SCRIPT + "' " + arguments).c_str());
}

std::string unique_kafka_name(std::string_view prefix) {
  static int counter = 0;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) + "-" +
         std::to_string(++counter);
}

}  // namespace eventlens::testing
