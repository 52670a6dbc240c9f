#include "kafka/admin.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "kafka/rdkafka_config.h"

namespace eventlens::kafka {

namespace {

int to_ms(std::chrono::milliseconds d) {
  return static_cast<int>(std::clamp<std::int64_t>(d.count(), 0, 0x7fffffff));
}

}  // namespace

// librdkafka's C++ API has no admin calls; its C API does, on the handle of
// any client (a producer here: it joins no group).
struct KafkaAdmin::Impl {
  std::unique_ptr<RdKafka::Producer> client;
};

Result<KafkaAdmin> KafkaAdmin::create(const ClientProperties& properties) {
  auto conf = make_rdkafka_conf(properties);
  if (!conf) return conf.error();
  std::string why;
  auto impl = std::make_unique<Impl>();
  impl->client.reset(RdKafka::Producer::create(conf->get(), why));
  if (!impl->client) return make_error("", "cannot create the Kafka admin client: " + why);
  return KafkaAdmin(std::move(impl));
}

KafkaAdmin::KafkaAdmin(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaAdmin::KafkaAdmin(KafkaAdmin&&) noexcept = default;
KafkaAdmin& KafkaAdmin::operator=(KafkaAdmin&&) noexcept = default;
KafkaAdmin::~KafkaAdmin() = default;

Result<std::map<std::string, int>> KafkaAdmin::partition_counts(const std::vector<std::string>& topics,
                                                               std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->client->c_ptr(), 1, nullptr, &md, to_ms(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return make_error("", std::string("cannot read the cluster's topics: ") + rd_kafka_err2str(err));
  }
  std::map<std::string, int> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (std::find(topics.begin(), topics.end(), t.topic) != topics.end()) out[t.topic] = t.partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

Status KafkaAdmin::create_topics(const std::vector<NewTopic>& topics, std::chrono::milliseconds timeout) {
  if (topics.empty()) return ok_status();
  rd_kafka_t* rk = impl_->client->c_ptr();
  std::vector<rd_kafka_NewTopic_t*> specs;
  auto free_specs = [&] { rd_kafka_NewTopic_destroy_array(specs.data(), specs.size()); };
  char why[512];
  for (const NewTopic& t : topics) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, -1, why, sizeof why);
    if (nt == nullptr) {
      free_specs();
      return make_error(t.name, why);
    }
    specs.push_back(nt);
    for (const auto& [k, v] : t.configs) {
      if (rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        free_specs();
        return make_error(t.name, "cannot set " + k);
      }
    }
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, to_ms(timeout), why, sizeof why);
  rd_kafka_CreateTopics(rk, specs.data(), specs.size(), options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, to_ms(timeout) + 1000);
  Status st = ok_status();
  if (event == nullptr) {
    st = make_error("", "creating topics: no answer from the cluster in time");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    st = make_error("", std::string("creating topics: ") + rd_kafka_event_error_string(event));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &n);
    for (size_t i = 0; i < n && st; ++i) {
      const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* msg = rd_kafka_topic_result_error_string(results[i]);
        st = make_error(rd_kafka_topic_result_name(results[i]), msg != nullptr ? msg : rd_kafka_err2str(e));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  free_specs();
  return st;
}

}  // namespace eventlens::kafka
