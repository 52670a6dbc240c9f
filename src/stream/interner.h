// Interned strings: service names, pod names, metric names and label values
// seen over and over are stored once and handled as small integer ids, so
// keyed state compares and hashes integers. Id 0 is the empty string. Not
// thread-safe (one per shard).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace eventlens::stream {

using StringId = std::uint32_t;

class Interner {
 public:
  Interner() {
    strings_.emplace_back();
    ids_.emplace(std::string_view(strings_.front()), 0);
  }

  // Returns the id of `s`, adding it when new.
  StringId intern(std::string_view s) {
    // Records come in runs of the same service (a scrape's samples, a
    // pod's logs): the last id answers most calls without hashing.
    if (strings_[last_] == s) return last_;
    if (auto it = ids_.find(s); it != ids_.end()) return last_ = it->second;
    // A deque never moves its elements, so the views the map keys hold stay valid.
    const std::string& stored = strings_.emplace_back(s);
    const auto id = static_cast<StringId>(strings_.size() - 1);
    ids_.emplace(std::string_view(stored), id);
    return last_ = id;
  }
  // Returns the id of `s`, or 0 when it was never interned.
  StringId find(std::string_view s) const {
    auto it = ids_.find(s);
    return it == ids_.end() ? 0 : it->second;
  }
  const std::string& name(StringId id) const { return strings_[id]; }
  std::size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, StringId> ids_;
  StringId last_ = 0;  // the id intern() returned last
};

}  // namespace eventlens::stream
