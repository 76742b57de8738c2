// Token bucket for SEND_RATE_PER_S / SEND_BURST: messages leave at most at
// `rate` per second on average, with bursts of up to `burst`. Loop thread
// only; the connection asks how long to wait before the next message.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace wsc::detail {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter() = default;
  RateLimiter(uint32_t rate_per_s, uint32_t burst)
      : rate_(rate_per_s),
        burst_(burst ? burst : std::max<uint32_t>(rate_per_s, 1)),
        tokens_(burst_) {}

  bool enabled() const { return rate_ != 0; }

  // Takes a token if one is there; otherwise false and `wait` says when the
  // next one will be.
  bool try_take(Clock::time_point now, std::chrono::microseconds &wait) {
    if (!enabled()) return true;
    refill(now);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    wait = std::chrono::microseconds(static_cast<int64_t>((1.0 - tokens_) * 1e6 / rate_) + 1);
    return false;
  }

 private:
  void refill(Clock::time_point now) {
    if (last_ != Clock::time_point{}) {
      const double seconds = std::chrono::duration<double>(now - last_).count();
      tokens_ = std::min<double>(burst_, tokens_ + seconds * rate_);
    }
    last_ = now;
  }

  uint32_t rate_ = 0;
  uint32_t burst_ = 0;
  double tokens_ = 0;
  Clock::time_point last_{};
};

}  // namespace wsc::detail
