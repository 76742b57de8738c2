// A FIFO on a vector with a read index: unlike std::deque (which allocates
// ~600 bytes as soon as it is constructed) an empty one costs nothing, and
// it keeps its capacity between bursts. Used for the per-connection send and
// receive queues and the pongs due, where thousands of idle connections each
// hold four.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace wsc::detail {

template <class T>
class Fifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  T &front() { return items_[head_]; }
  T &back() { return items_.back(); }
  T &operator[](size_t i) { return items_[head_ + i]; }
  void push_back(T &&item) {
    // A consumer that never quite catches up would otherwise leave an ever
    // longer run of spent slots in front; drop them once they are half.
    if (head_ >= 64 && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    items_.push_back(std::move(item));
  }

  void pop_front() {
    items_[head_] = T();  // release what the element owns now
    if (++head_ == items_.size()) clear();
  }

  void clear() {
    items_.clear();
    head_ = 0;
  }

  void swap(Fifo &other) {
    items_.swap(other.items_);
    std::swap(head_, other.head_);
  }

  template <class F>
  void for_each(F &&f) {
    for (size_t i = head_; i < items_.size(); ++i) f(items_[i]);
  }

 private:
  std::vector<T> items_;
  size_t head_ = 0;
};

}  // namespace wsc::detail
