#include "bench_meter.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace wsc::cli {

RttSummary summarize(std::vector<uint32_t> rtts_us) {
  RttSummary s;
  s.count = rtts_us.size();
  if (rtts_us.empty()) return s;
  std::sort(rtts_us.begin(), rtts_us.end());
  auto rank = [&](double q) {
    const size_t i = static_cast<size_t>(q * static_cast<double>(rtts_us.size() - 1) + 0.5);
    return rtts_us[i] / 1000.0;
  };
  s.p50_ms = rank(0.50);
  s.p99_ms = rank(0.99);
  s.max_ms = rtts_us.back() / 1000.0;
  return s;
}

void BenchMeter::record(std::chrono::microseconds rtt) {
  const auto us =
      static_cast<uint32_t>(std::min<int64_t>(rtt.count(), std::numeric_limits<uint32_t>::max()));
  std::lock_guard<std::mutex> lock(mutex_);
  period_us_.push_back(us);
  all_us_.push_back(us);
}

void BenchMeter::error() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++errors_;
}

std::vector<uint32_t> BenchMeter::take_period() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<uint32_t> out;
  out.swap(period_us_);
  return out;
}

std::vector<uint32_t> BenchMeter::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return all_us_;
}

uint64_t BenchMeter::errors() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return errors_;
}

void ProgressLine::show(double elapsed_s, double period_s, const RttSummary &rtt, uint64_t errors,
                        size_t open, size_t connections) {
  const double rate = period_s > 0 ? static_cast<double>(rtt.count) / period_s : 0;
  char line[200];
  std::snprintf(line, sizeof line,
                "bench: %5.1fs  %9.0f msg/s  rtt p50 %.3f ms  p99 %.3f ms  errors %llu  "
                "open %zu/%zu",
                elapsed_s, rate, rtt.p50_ms, rtt.p99_ms, static_cast<unsigned long long>(errors),
                open, connections);
  if (terminal_) {
    std::printf("\r%s\033[K", line);
    drawn_ = true;
  } else {
    std::printf("%s\n", line);
  }
  std::fflush(stdout);
}

void ProgressLine::finish() {
  if (drawn_) std::printf("\n");
  drawn_ = false;
  std::fflush(stdout);
}

}  // namespace wsc::cli
