#include "model/taxonomy.h"

// Inlined, and so compiled for this build's -march: the ids of a stream of
// events are hashed one short buffer at a time, where the shared library's
// call and its generic (SSE2) code path are a good part of the cost.
#define XXH_INLINE_ALL
#if defined(__AVX512F__)
// XXH_AVX2. Its AVX-512 path trips g++ 12's -Wmaybe-uninitialized inside the
// compiler's own intrinsics; for buffers this short AVX2 is as fast.
#define XXH_VECTOR 2
#endif
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <variant>

#include "model/small_copy.h"

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

// Returns the 8 bytes of `s` from `from` (which must leave 8) as a
// little-endian word; written byte by byte so that it also runs at compile
// time (the compiler merges the loads).
constexpr std::uint64_t word_at(std::string_view s, std::size_t from) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(s[from + i])} << (8 * i);
  return v;
}

// Returns the first slot to probe for `type` (non-empty): a multiplicative
// hash of its first and last 8 bytes and its length. The multiplier was
// searched for so that every known type has a slot of its own (one probe);
// with a type added it may not, which costs a probe more, nothing else.
constexpr std::size_t kTypeSlots = 128;  // over four times the known types
constexpr std::uint8_t kEmptySlot = 0xff;
constexpr std::size_t type_slot(std::string_view type) {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (type.size() >= 8) {
    first = word_at(type, 0);
    last = word_at(type, type.size() - 8);
  } else {
    for (std::size_t i = 0; i < type.size(); ++i) {
      first |= std::uint64_t{static_cast<unsigned char>(type[i])} << (8 * i);
    }
    last = first;
  }
  return static_cast<std::size_t>(((first + (last << 1) + type.size()) * 0x82523e86feac7eb7ULL) >> 57);
}

struct TypeTable {
  std::uint8_t entries[kTypeSlots];
};
constexpr TypeTable make_type_table() {
  static_assert(kKnownTypes.size() < kEmptySlot);
  TypeTable t{};
  for (auto& e : t.entries) e = kEmptySlot;
  for (std::size_t i = 0; i < kKnownTypes.size(); ++i) {
    std::size_t slot = type_slot(kKnownTypes[i].type);
    while (t.entries[slot] != kEmptySlot) slot = (slot + 1) % kTypeSlots;
    t.entries[slot] = static_cast<std::uint8_t>(i);
  }
  return t;
}
constexpr TypeTable kTypeTable = make_type_table();

// The canonical bytes the id hashes, written with plain memcpy into a buffer
// sized up front: each field with its length first (so that ("ab","c") and
// ("a","bc") never collide by concatenation), integers as 8 native bytes.
class CanonicalWriter {
 public:
  // The buffer must hold what is written plus kSlack bytes: short strings
  // are moved as one fixed-size block, whatever their length, which costs no
  // branch on it (lengths differ from event to event and defeat prediction).
  static constexpr std::size_t kSlack = 32;

  explicit CanonicalWriter(char* p) : p_(p) {}
  // A std::string's storage is readable up to capacity() + 1 bytes (the
  // terminator), at least 16: that bounds the block read from it.
  void field(const std::string& s) {
    const std::size_t n = s.size();
    integer(static_cast<std::int64_t>(n));
    if (n <= 16) {
      std::memcpy(p_, s.data(), 16);
    } else if (n <= 32 && s.capacity() + 1 >= 32) {
      std::memcpy(p_, s.data(), 32);
    } else {
      std::memcpy(p_, s.data(), n);
    }
    p_ += n;
  }
  // An enum's name, from a table padded to 16 bytes a name.
  void name(const char (&padded)[16], std::size_t n) {
    integer(static_cast<std::int64_t>(n));
    std::memcpy(p_, padded, 16);
    p_ += n;
  }
  void integer(std::int64_t v) {
    std::memcpy(p_, &v, sizeof v);
    p_ += sizeof v;
  }
  void bits(double d) {
    std::memcpy(p_, &d, sizeof d);
    p_ += sizeof d;
  }
  char* end() const { return p_; }

 private:
  char* p_;
};

// Enum names (records.h's to_string) padded for CanonicalWriter::name. Built
// at start-up from records.cc's tables, which are constant-initialized.
struct PaddedNames {
  char names[8][16];
  std::size_t sizes[8];
};
template <typename Enum, int N>
PaddedNames pad_names() {
  PaddedNames t{};
  for (int i = 0; i < N; ++i) {
    const std::string_view n = to_string(static_cast<Enum>(i));
    for (std::size_t j = 0; j < n.size(); ++j) t.names[i][j] = n[j];
    t.sizes[i] = n.size();
  }
  return t;
}

const PaddedNames kCategoryNames = pad_names<Category, 5>();
const PaddedNames kSeverityNames = pad_names<Severity, 5>();

constexpr std::size_t kWord = sizeof(std::int64_t);
constexpr std::size_t kIdSize = 3 + 32;  // "ev-" and 128 bits in hex

// The two lowercase hex digits of every byte value.
struct HexPairs {
  char pairs[256][2];
};
constexpr HexPairs make_hex_pairs() {
  constexpr char kHex[] = "0123456789abcdef";
  HexPairs t{};
  for (int b = 0; b < 256; ++b) {
    t.pairs[b][0] = kHex[b >> 4];
    t.pairs[b][1] = kHex[b & 0xf];
  }
  return t;
}
constexpr HexPairs kHexPairs = make_hex_pairs();

// Returns how many canonical bytes `e` needs (an upper bound is not enough:
// the hash covers exactly what was written).
std::size_t canonical_size(const Event& e) {
  std::size_t n = kWord + 11 * kWord + to_string(e.category).size() + e.type.size() +
                  e.service.size() + e.namespace_.size() + e.cluster.size() + e.node.size() +
                  e.pod.size() + to_string(e.severity).size() + e.message.size() +
                  e.trace_id.size() + e.source.size();
  for (const auto& attribute : e.attributes) {
    n += kWord + attribute.first.size() + kWord + kWord;
    if (const auto* s = std::get_if<std::string>(&attribute.second)) n += s->size();
  }
  return n;
}

}  // namespace

std::optional<Category> category_of_type(std::string_view type) {
  // One probe of an open-addressing table built from kKnownTypes at compile
  // time: this runs for every event that names no category.
  if (type.empty()) return std::nullopt;
  for (std::size_t slot = type_slot(type);; slot = (slot + 1) % kTypeSlots) {
    const std::uint8_t entry = kTypeTable.entries[slot];
    if (entry == kEmptySlot) return std::nullopt;
    if (equal_short(kKnownTypes[entry].type, type)) return kKnownTypes[entry].category;
  }
}

void derive_event_id(const Event& e, std::string& out) {
  // One contiguous buffer and one-shot XXH3: several times faster than
  // streaming a dozen small updates. The buffer is reused per thread and only
  // ever grows, so a warm decoder allocates nothing here.
  thread_local std::string buf;
  const std::size_t size = canonical_size(e);
  if (buf.size() < size + CanonicalWriter::kSlack) {
    buf.resize(std::max(size + CanonicalWriter::kSlack, 2 * buf.size()));
  }
  CanonicalWriter w(buf.data());
  w.integer(e.time);
  w.name(kCategoryNames.names[static_cast<int>(e.category)], kCategoryNames.sizes[static_cast<int>(e.category)]);
  w.field(e.type);
  w.field(e.service);
  w.field(e.namespace_);
  w.field(e.cluster);
  w.field(e.node);
  w.field(e.pod);
  w.name(kSeverityNames.names[static_cast<int>(e.severity)], kSeverityNames.sizes[static_cast<int>(e.severity)]);
  w.field(e.message);
  w.field(e.trace_id);
  w.field(e.source);
  for (const auto& [key, value] : e.attributes) {
    w.field(key);
    w.integer(static_cast<std::int64_t>(value.index()));
    if (const auto* s = std::get_if<std::string>(&value)) {
      w.field(*s);
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      w.integer(*i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      w.bits(*d);
    } else {
      w.integer(std::get<bool>(value) ? 1 : 0);
    }
  }
  const XXH128_hash_t h = XXH3_128bits(buf.data(), static_cast<std::size_t>(w.end() - buf.data()));
  // Written into `out` in place: a reused id string keeps its storage (and
  // its length, so no resize at all once warm).
  if (out.size() != kIdSize) out.resize(kIdSize);
  char* p = out.data();
  p[0] = 'e';
  p[1] = 'v';
  p[2] = '-';
  p += 3;
  for (const std::uint64_t word : {h.high64, h.low64}) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      std::memcpy(p, kHexPairs.pairs[(word >> shift) & 0xff], 2);
      p += 2;
    }
  }
}

std::string derive_event_id(const Event& e) {
  std::string id;
  derive_event_id(e, id);
  return id;
}

}  // namespace eventlens
