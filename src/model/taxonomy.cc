#include "model/taxonomy.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack: no allocation per id
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

// Hashes a field with its length first, so that ("ab","c") and ("a","bc")
// never collide by concatenation.
void feed(XXH3_state_t* st, std::string_view s) {
  const std::uint64_t n = s.size();
  XXH3_128bits_update(st, &n, sizeof n);
  XXH3_128bits_update(st, s.data(), s.size());
}

void feed_int(XXH3_state_t* st, std::int64_t v) { XXH3_128bits_update(st, &v, sizeof v); }

}  // namespace

std::optional<Category> category_of_type(std::string_view type) {
  for (const auto& kc : kKnownTypes) {
    if (kc.type == type) return kc.category;
  }
  return std::nullopt;
}

std::string derive_event_id(const Event& e) {
  XXH3_state_t state;
  XXH3_state_t* st = &state;
  XXH3_128bits_reset(st);
  feed_int(st, e.time);
  feed(st, to_string(e.category));
  feed(st, e.type);
  feed(st, e.service);
  feed(st, e.namespace_);
  feed(st, e.cluster);
  feed(st, e.node);
  feed(st, e.pod);
  feed(st, to_string(e.severity));
  feed(st, e.message);
  feed(st, e.trace_id);
  feed(st, e.source);
  for (const auto& [key, value] : e.attributes) {
    feed(st, key);
    feed_int(st, static_cast<std::int64_t>(value.index()));
    std::visit(
        [st](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>) {
            feed(st, v);
          } else if constexpr (std::is_same_v<V, double>) {
            std::uint64_t bits;
            std::memcpy(&bits, &v, sizeof bits);
            XXH3_128bits_update(st, &bits, sizeof bits);
          } else {
            feed_int(st, static_cast<std::int64_t>(v));
          }
        },
        value);
  }
  const XXH128_hash_t h = XXH3_128bits_digest(st);
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
