// Thread-safe sends: 8 threads push 10,000 messages each into one
// connection; every echo arrives exactly once and in per-thread order. Also
// runs under ThreadSanitizer in CI (suite "concurrency").
#include <gtest/gtest.h>

#include <array>
#include <thread>

#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::seconds;

TEST(Concurrency, EightThreadsSendIntoOneConnection) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10000;
  auto peer = start_python_echo();
  Loop loop;
  std::mutex mutex;
  std::array<int, kThreads> next{};  // next expected sequence per thread
  int received = 0, out_of_order = 0;
  std::condition_variable done;
  Callbacks cb;
  cb.on_message = [&](MessageType, std::string_view data) {
    const auto colon = data.find(':');
    const int thread = std::stoi(std::string(data.substr(0, colon)));
    const int seq = std::stoi(std::string(data.substr(colon + 1)));
    std::lock_guard<std::mutex> lock(mutex);
    if (thread < 0 || thread >= kThreads || next[thread] != seq) ++out_of_order;
    if (thread >= 0 && thread < kThreads) next[thread] = seq + 1;
    if (++received == kThreads * kPerThread) done.notify_all();
  };
  Options o;
  o.send_queue_bytes = 256 * 1024;  // small enough that backpressure happens
  Client c(loop, ws_url(peer->port()), o, cb);
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  std::atomic<int> eagain{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string msg = std::to_string(t) + ":" + std::to_string(i);
        Status s;
        while ((s = c.try_send(MessageType::Text, msg)) == Status::WSC_EAGAIN) {
          ++eagain;
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        ASSERT_EQ(s, Status::WSC_OK);
      }
    });
  }
  for (auto &t : senders) t.join();
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(done.wait_for(lock, seconds(120), [&] { return received == kThreads * kPerThread; }))
      << "received " << received;
  EXPECT_EQ(out_of_order, 0);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
  lock.unlock();
  const Stats s = c.stats();
  EXPECT_EQ(s.msgs_sent, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.msgs_received, static_cast<uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace wsc::testing
