// `wsc bench`: what the connections measure, collected from the loop thread
// and read by the main thread once per progress interval.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace wsc::cli {

// Round-trip times of one period (or of the whole run), summarised.
struct RttSummary {
  uint64_t count = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// Percentiles by sorting the samples (a bench interval holds at most a few
// million; nearest-rank, as wrk and the bench/ clients report them).
RttSummary summarize(std::vector<uint32_t> rtts_us);

// Thread-safe: record() and error() from callbacks, take_period() from the
// reporting thread.
class BenchMeter {
 public:
  void record(std::chrono::microseconds rtt);
  void error();
  // The round trips since the last call (the whole-run list keeps them too).
  std::vector<uint32_t> take_period();
  std::vector<uint32_t> all() const;
  uint64_t errors() const;

 private:
  mutable std::mutex mutex_;
  std::vector<uint32_t> period_us_, all_us_;
  uint64_t errors_ = 0;
};

// The progress line: on a terminal one line redrawn in place ("\r", erase to
// the end of the line), else one plain line per period, for logs and pipes.
class ProgressLine {
 public:
  explicit ProgressLine(bool terminal) : terminal_(terminal) {}
  void show(double elapsed_s, double period_s, const RttSummary &rtt, uint64_t errors, size_t open,
            size_t connections);
  // Ends a line drawn in place, so what follows starts on its own line.
  void finish();

 private:
  bool terminal_;
  bool drawn_ = false;
};

}  // namespace wsc::cli
