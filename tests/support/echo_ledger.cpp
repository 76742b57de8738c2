#include "echo_ledger.hpp"

#include <algorithm>

namespace wsc::testing {
namespace {

void put_be(std::string &out, size_t at, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[at + i] = static_cast<char>(v & 0xff);
}

uint64_t get_be(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

// A filler that differs per stream, message and position, so a byte from
// another message or another stream never passes for the right one.
char filler(uint32_t stream, uint64_t seq, size_t i) {
  return static_cast<char>((seq * 131 + stream * 29 + i * 7) & 0xff);
}

}  // namespace

std::string EchoLedger::payload(uint64_t seq, size_t size) const {
  size = std::max(size, kHeaderBytes);
  std::string p(size, '\0');
  put_be(p, 0, seq, 8);
  put_be(p, 8, stream_id_, 4);
  put_be(p, 12, size, 4);
  for (size_t i = kHeaderBytes; i < size; ++i) p[i] = filler(stream_id_, seq, i);
  return p;
}

uint64_t EchoLedger::next_seq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_seq_;
}

void EchoLedger::accepted(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (seq != next_seq_) {
    violation("test bug: accepted " + std::to_string(seq) + ", expected " +
              std::to_string(next_seq_));
  }
  next_seq_ = seq + 1;
}

void EchoLedger::refused(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (seq + 1 != next_seq_) {
    violation("test bug: refused " + std::to_string(seq) + ", newest is " +
              std::to_string(next_seq_ - 1));
    return;
  }
  next_seq_ = seq;
  window_base_ = std::min(window_base_, next_seq_);
}

void EchoLedger::opened() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++opens_;
  window_base_ = next_seq_;
}

void EchoLedger::echoed(std::string_view data) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (data.size() < kHeaderBytes) {
    violation("echo of " + std::to_string(data.size()) + " bytes, shorter than any message sent");
    return;
  }
  const uint64_t seq = get_be(data, 0, 8);
  const uint64_t stream = get_be(data, 8, 4);
  const uint64_t size = get_be(data, 12, 4);
  const std::string where = "echo of seq " + std::to_string(seq) + ": ";
  if (stream != stream_id_) {
    violation(where + "belongs to stream " + std::to_string(stream));
    return;
  }
  if (size != data.size()) {
    violation(where + std::to_string(data.size()) + " bytes, sent " + std::to_string(size));
    return;
  }
  for (size_t i = kHeaderBytes; i < data.size(); ++i) {
    if (data[i] != filler(stream_id_, seq, i)) {
      violation(where + "content differs at byte " + std::to_string(i));
      return;
    }
  }
  if (seq >= next_seq_) {
    violation(where + "never sent (next is " + std::to_string(next_seq_) + ")");
    return;
  }
  if (static_cast<int64_t>(seq) <= last_echoed_) {
    violation(where + "duplicated or reordered (after seq " + std::to_string(last_echoed_) + ")");
    return;
  }
  const uint64_t skipped = seq - static_cast<uint64_t>(last_echoed_ + 1);
  if (skipped && opens_ == open_of_last_echo_) {
    violation(where + std::to_string(skipped) + " message(s) missing inside one connection");
  }
  lost_at_breaks_ += skipped;
  last_echoed_ = static_cast<int64_t>(seq);
  open_of_last_echo_ = opens_;
  ++echoed_;
}

uint64_t EchoLedger::outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_seq_ - std::max<uint64_t>(last_echoed_ + 1, window_base_);
}

bool EchoLedger::caught_up() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_echoed_ + 1 == static_cast<int64_t>(next_seq_);
}

void EchoLedger::check_closed(const Stats &stats) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stats.msgs_sent + stats.send_discarded != next_seq_) {
    violation("accepted " + std::to_string(next_seq_) + " messages but " +
              std::to_string(stats.msgs_sent) + " written + " +
              std::to_string(stats.send_discarded) + " discarded");
  }
  if (last_echoed_ >= 0 && static_cast<uint64_t>(last_echoed_) >= stats.msgs_sent) {
    violation("seq " + std::to_string(last_echoed_) + " was echoed but only " +
              std::to_string(stats.msgs_sent) + " messages count as written");
  }
}

EchoLedger::Summary EchoLedger::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return Summary{next_seq_, echoed_, lost_at_breaks_, opens_};
}

std::vector<std::string> EchoLedger::violations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return violations_;
}

void EchoLedger::violation(std::string what) {
  // A broken stream repeats the same fault for every later echo: keep a few.
  if (violations_.size() < 20) {
    violations_.push_back("stream " + std::to_string(stream_id_) + ": " + std::move(what));
  }
}

}  // namespace wsc::testing
