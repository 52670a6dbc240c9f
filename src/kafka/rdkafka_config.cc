#include "kafka/rdkafka_config.h"

#include <librdkafka/rdkafkacpp.h>

namespace eventlens::kafka {

Result<std::unique_ptr<RdKafka::Conf>> make_rdkafka_conf(const ClientProperties& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (!conf) return make_error("", "librdkafka could not create a configuration");
  std::string why;
  for (const auto& [name, value] : properties) {
    if (conf->set(name, value, why) != RdKafka::Conf::CONF_OK) {
      return make_error("kafka." + name, why);
    }
  }
  return conf;
}

std::string rdkafka_error_text(int code) {
  return RdKafka::err2str(static_cast<RdKafka::ErrorCode>(code));
}

}  // namespace eventlens::kafka
