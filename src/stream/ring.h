// A fixed-capacity ring that keeps the newest `capacity` items: per-service
// recent logs, spans and events. Slots are reused in place, so strings inside
// keep their storage and refilling a full ring allocates nothing.
#pragma once

#include <cstddef>
#include <vector>

namespace eventlens::stream {

template <typename T>
class Ring {
 public:
  explicit Ring(std::size_t capacity = 1) : slots_(capacity == 0 ? 1 : capacity) {}

  std::size_t capacity() const { return slots_.size(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Returns the slot for a new newest item (the oldest is overwritten when full).
  T& push_slot() {
    T& slot = slots_[head_];
    head_ = head_ + 1 == slots_.size() ? 0 : head_ + 1;
    if (size_ < slots_.size()) ++size_;
    return slot;
  }
  // i = 0 is the oldest item kept.
  const T& operator[](std::size_t i) const {
    std::size_t at = head_ + slots_.size() - size_ + i;
    if (at >= slots_.size()) at -= slots_.size();
    return slots_[at];
  }
  // Drops the oldest items while `drop(item)` holds.
  template <typename Pred>
  void drop_oldest_while(Pred drop) {
    while (size_ > 0 && drop((*this)[0])) --size_;
  }

  // Checkpoints. The slot the next item goes to: with the items, oldest
  // first, it is the whole observable state (slots outside the items are
  // never read before push_slot hands them out again).
  std::size_t head() const { return head_; }
  // Puts back a saved state: `items` oldest first, the next item going to
  // slot `head`. Returns false, changing nothing, when they do not fit.
  bool restore(std::size_t head, std::vector<T> items) {
    if (head >= slots_.size() || items.size() > slots_.size()) return false;
    head_ = head;
    size_ = items.size();
    for (std::size_t i = 0; i < size_; ++i) {
      std::size_t at = head_ + slots_.size() - size_ + i;
      if (at >= slots_.size()) at -= slots_.size();
      slots_[at] = std::move(items[i]);
    }
    return true;
  }

 private:
  std::vector<T> slots_;
  std::size_t head_ = 0;  // where the next item goes
  std::size_t size_ = 0;
};

}  // namespace eventlens::stream
