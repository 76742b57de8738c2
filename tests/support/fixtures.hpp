// Shared helpers for integration tests: peers on ephemeral loopback ports,
// and a collector that turns callbacks into something a test can wait on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>
#include <wsc/client.hpp>

#include "peer_process.hpp"

namespace wsc {
// gtest failure messages name a Status instead of dumping its bytes.
inline void PrintTo(Status s, std::ostream *os) {
  *os << static_cast<int>(s) << " (" << status_text(s) << ")";
}
}  // namespace wsc

namespace wsc::testing {

// Debian's python3-websockets echo server (a peer no one here wrote).
std::unique_ptr<PeerProcess> start_python_echo(std::vector<std::string> extra_args = {});

// The project's scripted raw server (tests/peers/hostile_server.py), which
// breaks RFC 6455 and RFC 7692 on purpose.
std::unique_ptr<PeerProcess> start_hostile_server(std::vector<std::string> extra_args = {});

std::string ws_url(int port, const std::string &path = "/");

// This process's resident set size (VmRSS) in KiB, -1 if unknown.
long rss_kib();

// ASCII lowercase, for matching error details in any case.
std::string lower(std::string s);

// Records every callback of one connection; tests wait on predicates.
class Recorder {
 public:
  Callbacks callbacks(bool with_messages = true);

  // Waits until pred() holds (under the lock); false on timeout.
  bool wait_for(const std::function<bool()> &pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // How many errors with this status were reported so far.
  size_t error_count(Status status);

  std::mutex mutex;
  std::vector<Message> messages;
  std::vector<std::pair<Status, std::string>> errors;
  std::vector<std::pair<State, State>> states;
  int opens = 0;
  int closes = 0;
  int drains = 0;
  int close_code = 0;
  std::string close_reason;

 private:
  std::condition_variable changed_;
};

// A payload of n bytes with a recognisable pattern (valid UTF-8 when text).
std::string pattern(size_t n, bool text);

// Pull mode on the hostile server's /trickle-big (hostile_server.py): the
// 1 MiB frame it sends in pieces with pauses arrives whole, then "done".
void expect_trickled_frame(Client &c);

}  // namespace wsc::testing

namespace wsc::testing {

// A loopback TCP listener that never accepts or answers: connects succeed
// in the kernel backlog and then hang, like a stalled server.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener &) = delete;
  SilentListener &operator=(const SilentListener &) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace wsc::testing
