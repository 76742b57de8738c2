#include "buffer_pool.hpp"

namespace wsc::detail {

std::string BufferPool::take_kept(size_t size, size_t at_most) {
  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  // The smallest that fits, so a 64 KiB message does not take a 1 MiB one;
  // of equal ones the one given back last: its bytes are the likeliest to
  // be in cache still, and writing into a cached buffer costs a fraction of
  // writing into one that must first be read from memory.
  auto best = kept_.end();
  for (auto it = kept_.begin(); it != kept_.end(); ++it) {
    const size_t capacity = it->buffer.capacity();
    if (capacity >= size && capacity <= at_most &&
        (best == kept_.end() || capacity <= best->buffer.capacity())) {
      best = it;
    }
  }
  if (best == kept_.end()) return out;
  out.swap(best->buffer);
  kept_bytes_ -= out.capacity();
  kept_.erase(best);
  return out;
}

std::string BufferPool::take(size_t size) {
  std::string out;
  if (size >= kMinKept) out = take_kept(size, size <= SIZE_MAX / 2 ? 2 * size : SIZE_MAX);
  if (out.capacity() < size) out.reserve(size);
  return out;
}

bool BufferPool::keep(std::string &buffer, bool start_trimming) {
  if (buffer.capacity() < kMinKept) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!trimming_ && !start_trimming) return false;
  if (kept_bytes_ + buffer.capacity() > kMaxKeptBytes) return false;
  kept_bytes_ += buffer.capacity();
  buffer.clear();
  kept_.push_back(Kept{std::move(buffer), true});
  trimming_ = true;
  return true;
}

bool BufferPool::give(std::string &&buffer) {
  std::string dropped = std::move(buffer);  // freed here unless kept
  return keep(dropped, false);
}

void BufferPool::give_on_loop(std::string &&buffer, TimerQueue &timers) {
  std::string dropped = std::move(buffer);
  if (keep(dropped, true) && !trim_timer_.armed()) arm_trim(timers);
}

void BufferPool::arm_trim(TimerQueue &timers) {
  trim_timer_.start(timers, kTrimInterval, [this, &timers] {
    if (trim() > 0) arm_trim(timers);
  });
}

size_t BufferPool::trim() {
  std::vector<Kept> freed;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = kept_.begin(); it != kept_.end();) {
    if (it->fresh) {
      it->fresh = false;
      ++it;
      continue;
    }
    kept_bytes_ -= it->buffer.capacity();
    freed.push_back(std::move(*it));
    it = kept_.erase(it);
  }
  // Empty: give() from other threads keeps nothing until the timer runs again.
  if (kept_.empty()) trimming_ = false;
  return kept_bytes_;
}

size_t BufferPool::kept_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return kept_bytes_;
}

}  // namespace wsc::detail
