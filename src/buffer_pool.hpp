// Large message buffers kept for reuse by one loop's connections.
//
// A 1 MiB message copied into a fresh buffer costs more than the copy: glibc
// serves such a block with mmap (or from a thread arena it trims), so every
// message faults its 256 pages in again and the kernel clears them, and a
// receive buffer grown by doubling copies the message once more on the way
// (docs/PERFORMANCE.md). The pool keeps the buffers of messages that were
// sent or delivered and hands them to the next large send or receive. It is
// per loop, not per connection, bounded in total, and what is not reused
// within a trim interval is freed: an idle connection keeps nothing here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "timer.hpp"

namespace wsc::detail {

class BufferPool {
 public:
  // Smaller buffers come cheaply from malloc's bins: not worth keeping.
  static constexpr size_t kMinKept = 64 * 1024;
  // Enough for a burst of large messages written in one go (a window of
  // 1 MiB messages echoed back); kept buffers were all in use at once just
  // before, so keeping them raises no peak, and trim() frees them soon after.
  static constexpr size_t kMaxKeptBytes = 32 * 1024 * 1024;
  static constexpr std::chrono::milliseconds kTrimInterval{1000};

  BufferPool() = default;
  BufferPool(const BufferPool &) = delete;
  BufferPool &operator=(const BufferPool &) = delete;

  // Any thread: an empty string with capacity for at least `size` bytes, a
  // kept one (the smallest that fits, if at most twice as large: a queued
  // message does not hold a far larger buffer) or a new one. Throws
  // std::bad_alloc like any std::string.
  std::string take(size_t size);
  // Any thread: a kept string with capacity for at least `size` and at most
  // `at_most` bytes, or an empty one without any (nothing is allocated).
  std::string take_kept(size_t size, size_t at_most = SIZE_MAX);
  // Any thread: keeps `buffer` (its capacity, not its contents) for a later
  // take if it is large enough, the pool has room and its trim timer runs
  // (nothing is kept that no timer will free), else frees it. Returns
  // whether it was kept.
  bool give(std::string &&buffer);
  // Loop thread: the same, and starts the timer that trims while anything
  // is kept.
  void give_on_loop(std::string &&buffer, TimerQueue &timers);
  // Frees every buffer not taken since the previous trim (or given back
  // since); returns the bytes still kept.
  size_t trim();
  size_t kept_bytes() const;

 private:
  struct Kept {
    std::string buffer;
    bool fresh = true;  // given back since the last trim
  };
  bool keep(std::string &buffer, bool start_trimming);
  void arm_trim(TimerQueue &timers);

  mutable std::mutex mutex_;
  std::vector<Kept> kept_;
  size_t kept_bytes_ = 0;
  bool trimming_ = false;  // the trim timer runs or is about to
  Timer trim_timer_;       // loop thread only
};

}  // namespace wsc::detail
