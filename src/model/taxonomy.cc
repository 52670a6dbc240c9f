#include "model/taxonomy.h"

#include <xxhash.h>

#include <array>
#include <cstring>
#include <type_traits>
#include <utility>

namespace eventlens {
namespace {

struct TypeCategory {
  std::string_view type;
  Category category;
};

constexpr std::array kKnownTypes = {
    TypeCategory{"scale_up", Category::scaling},
    TypeCategory{"scale_down", Category::scaling},
    TypeCategory{"rescale", Category::scaling},
    TypeCategory{"node_added", Category::provisioning},
    TypeCategory{"node_removed", Category::provisioning},
    TypeCategory{"node_ready", Category::provisioning},
    TypeCategory{"pod_created", Category::provisioning},
    TypeCategory{"pod_deleted", Category::provisioning},
    TypeCategory{"pod_scheduled", Category::provisioning},
    TypeCategory{"resource_requested", Category::provisioning},
    TypeCategory{"allocation_failed", Category::provisioning},
    TypeCategory{"image_pulling", Category::provisioning},
    TypeCategory{"image_pulled", Category::provisioning},
    TypeCategory{"container_created", Category::provisioning},
    TypeCategory{"container_started", Category::provisioning},
    TypeCategory{"crash", Category::failure},
    TypeCategory{"oom_killed", Category::failure},
    TypeCategory{"timeout", Category::failure},
    TypeCategory{"probe_failed", Category::failure},
    TypeCategory{"evicted", Category::failure},
    TypeCategory{"node_not_ready", Category::failure},
    TypeCategory{"metrics_unavailable", Category::failure},
    TypeCategory{"mount_failed", Category::failure},
    TypeCategory{"image_pull_failed", Category::failure},
    TypeCategory{"deploy", Category::change},
    TypeCategory{"config_changed", Category::change},
    TypeCategory{"rollback", Category::change},
    TypeCategory{"container_killed", Category::other},
};

// Appends a field with its length first, so that ("ab","c") and ("a","bc")
// never collide by concatenation.
void feed(std::string& buf, std::string_view s) {
  const std::uint64_t n = s.size();
  buf.append(reinterpret_cast<const char*>(&n), sizeof n);
  buf.append(s);
}

void feed_int(std::string& buf, std::int64_t v) {
  buf.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

std::optional<Category> category_of_type(std::string_view type) {
  for (const auto& kc : kKnownTypes) {
    if (kc.type == type) return kc.category;
  }
  return std::nullopt;
}

std::string derive_event_id(const Event& e) {
  // One contiguous buffer and one-shot XXH3: several times faster than
  // streaming a dozen small updates, and the buffer is reused per thread.
  thread_local std::string buf;
  buf.clear();
  feed_int(buf, e.time);
  feed(buf, to_string(e.category));
  feed(buf, e.type);
  feed(buf, e.service);
  feed(buf, e.namespace_);
  feed(buf, e.cluster);
  feed(buf, e.node);
  feed(buf, e.pod);
  feed(buf, to_string(e.severity));
  feed(buf, e.message);
  feed(buf, e.trace_id);
  feed(buf, e.source);
  for (const auto& [key, value] : e.attributes) {
    feed(buf, key);
    feed_int(buf, static_cast<std::int64_t>(value.index()));
    std::visit(
        [](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>) {
            feed(buf, v);
          } else if constexpr (std::is_same_v<V, double>) {
            std::uint64_t bits;
            std::memcpy(&bits, &v, sizeof bits);
            buf.append(reinterpret_cast<const char*>(&bits), sizeof bits);
          } else {
            feed_int(buf, static_cast<std::int64_t>(v));
          }
        },
        value);
  }
  const XXH128_hash_t h = XXH3_128bits(buf.data(), buf.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "ev-";
  id.resize(3 + 32);
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t word = i < 8 ? h.high64 : h.low64;
    const int shift = (7 - (i % 8)) * 8;
    const auto byte = static_cast<unsigned>((word >> shift) & 0xff);
    id[3 + 2 * i] = kHex[byte >> 4];
    id[3 + 2 * i + 1] = kHex[byte & 0xf];
  }
  return id;
}

}  // namespace eventlens
