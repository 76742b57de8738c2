// A TCP relay on 127.0.0.1 that delays every byte by a latency with jitter,
// in both directions, without reordering (a byte is never released before
// one read earlier): 200 ms +- 50 ms links where tc netem is not available.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace wsc::testing {

class DelayRelay {
 public:
  using Clock = std::chrono::steady_clock;

  // Each chunk read is held for delay +- jitter (uniform). Throws
  // std::runtime_error when it cannot listen.
  DelayRelay(int target_port, std::chrono::milliseconds delay, std::chrono::milliseconds jitter,
             uint32_t seed);
  ~DelayRelay();
  DelayRelay(const DelayRelay &) = delete;
  DelayRelay &operator=(const DelayRelay &) = delete;

  int port() const { return port_; }

 private:
  struct Chunk {
    Clock::time_point due;
    std::string bytes;  // empty = the sender shut its side: pass the FIN on
  };
  struct Direction {
    int from = -1, to = -1;
    std::deque<Chunk> queue;
    Clock::time_point last_due;
    size_t written = 0;  // of queue.front()
    bool eof = false;    // read side ended; nothing more to read
  };
  struct Pair {
    int client = -1, server = -1;
    Direction up, down;  // client -> server, server -> client
    bool dead = false;
  };

  void run();
  void accept_one();
  void read_side(Pair &p, Direction &d);
  void write_side(Pair &p, Direction &d, Clock::time_point now);
  Clock::time_point release_time();

  int target_port_;
  std::chrono::milliseconds delay_, jitter_;
  std::mt19937 rng_;
  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::vector<std::unique_ptr<Pair>> pairs_;
  std::thread thread_;
};

}  // namespace wsc::testing
