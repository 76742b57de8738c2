// Sequence-numbered echo traffic and the check of what a client with
// reconnect on can promise about it (docs/RELIABILITY.md, "The guarantee").
//
// Every payload carries its stream id, sequence number and length, and a
// filler derived from them, so a corrupted, duplicated, reordered or foreign
// echo is recognised exactly. The guarantee checked:
//  1. echoes arrive in strictly increasing sequence order over the whole
//     logical connection (never duplicated, never reordered, across
//     reconnects too), with intact content;
//  2. inside one underlying connection (between two on_open) echoes are
//     contiguous: a message can go missing only when a connection breaks
//     (written to a socket that then died: TCP cannot tell which bytes the
//     server processed), never while one stays up;
//  3. once closed, every message the send call accepted was either written
//     (stats.msgs_sent) or counted as discarded (stats.send_discarded), and
//     the written ones are exactly the oldest ones (nothing skipped).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>
#include <wsc/client.hpp>

namespace wsc::testing {

class EchoLedger {
 public:
  static constexpr size_t kHeaderBytes = 16;  // seq (8), stream id (4), length (4)

  explicit EchoLedger(uint32_t stream_id) : stream_id_(stream_id) {}

  // The payload of message `seq` on this stream, `size` >= kHeaderBytes.
  std::string payload(uint64_t seq, size_t size) const;
  // The next sequence number to send (the count accepted so far).
  uint64_t next_seq() const;
  // Call just before handing message `seq` (== next_seq()) to the send
  // call (its echo may come back before the call returns), and refused()
  // if the call did not take it. One sending thread per ledger.
  void accepted(uint64_t seq);
  void refused(uint64_t seq);
  // on_open: a new underlying connection begins.
  void opened();
  // on_message: checks one echo.
  void echoed(std::string_view data);

  // Accepted messages neither echoed nor known lost, counting only those
  // accepted since the latest open: senders bound their window with it.
  uint64_t outstanding() const;
  // True once the newest accepted message was echoed (all settled).
  bool caught_up() const;

  // Checks 3 against the stats of the closed connection; records violations.
  void check_closed(const Stats &stats);

  struct Summary {
    uint64_t accepted = 0, echoed = 0, lost_at_breaks = 0, opens = 0;
  };
  Summary summary() const;
  std::vector<std::string> violations() const;

 private:
  void violation(std::string what);  // mutex_ held

  const uint32_t stream_id_;
  mutable std::mutex mutex_;
  uint64_t next_seq_ = 0;
  uint64_t window_base_ = 0;  // next_seq_ at the latest open
  int64_t last_echoed_ = -1;
  uint64_t opens_ = 0;
  uint64_t open_of_last_echo_ = 0;  // opens_ when the last echo came
  uint64_t echoed_ = 0;
  uint64_t lost_at_breaks_ = 0;
  std::vector<std::string> violations_;
};

}  // namespace wsc::testing
