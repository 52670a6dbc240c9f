// What a transactional producer needs of a consumer group member to commit
// the member's offsets inside a transaction (KIP-447: the group's generation
// fences a zombie member's commits). Opaque: a librdkafka object behind it.
// Plain value; move-only.
#pragma once

#include <memory>

namespace eventlens::kafka {

class GroupMetadata {
 public:
  struct Native;  // kafka/rdkafka_handles.h
  explicit GroupMetadata(std::unique_ptr<Native> native);
  GroupMetadata(GroupMetadata&&) noexcept;
  GroupMetadata& operator=(GroupMetadata&&) noexcept;
  ~GroupMetadata();

  const Native& native() const { return *native_; }

 private:
  std::unique_ptr<Native> native_;
};

}  // namespace eventlens::kafka
