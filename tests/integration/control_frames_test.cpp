// Control frames seen by the application: the server's pings and its
// unsolicited pongs reach Callbacks::on_control, and a ping with a payload
// is settled by the pong that echoes it. Against Python websockets (not
// ours), which answers every ping with its payload.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "fixtures.hpp"

namespace wsc::testing {
namespace {

class ControlFrames : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { python_ = start_python_echo(); }
  static void TearDownTestSuite() { python_.reset(); }
  static inline std::unique_ptr<PeerProcess> python_;
};

struct ControlLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<ControlFrame, std::string>> frames;

  Callbacks callbacks() {
    Callbacks cb;
    cb.on_control = [this](ControlFrame kind, std::string_view payload) {
      std::lock_guard<std::mutex> lock(mutex);
      frames.emplace_back(kind, std::string(payload));
      changed.notify_all();
    };
    return cb;
  }
  bool wait_count(size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), [&] { return frames.size() >= n; });
  }
};

TEST_F(ControlFrames, ServerPingAndUnsolicitedPongReachTheApplication) {
  Loop loop;
  ControlLog log;
  Client client(loop, ws_url(python_->port(), "/control"), Options{}, log.callbacks());
  ASSERT_TRUE(log.wait_count(2));
  std::lock_guard<std::mutex> lock(log.mutex);
  ASSERT_EQ(log.frames.size(), 2u);
  EXPECT_EQ(log.frames[0].first, ControlFrame::Ping);
  EXPECT_EQ(log.frames[0].second, "server-ping");
  EXPECT_EQ(log.frames[1].first, ControlFrame::Pong);
  EXPECT_EQ(log.frames[1].second, "server-pong");
}

TEST_F(ControlFrames, PongsToOurPingsAreNotReported) {
  Loop loop;
  ControlLog log;
  Options o;
  o.ping_interval = Millis(20);
  Client client(loop, ws_url(python_->port()), o, log.callbacks());
  ASSERT_EQ(client.wait(State::Open, std::chrono::seconds(10)), Status::WSC_OK);
  std::promise<Status> done;
  ASSERT_EQ(client.ping(Millis(5000), "abc",
                        [&](Status s, std::chrono::microseconds) { done.set_value(s); }),
            Status::WSC_OK);
  ASSERT_EQ(done.get_future().get(), Status::WSC_OK);
  std::this_thread::sleep_for(Millis(200));  // several heartbeat round trips
  EXPECT_GT(client.stats().rtt_us_last, 0);
  std::lock_guard<std::mutex> lock(log.mutex);
  EXPECT_TRUE(log.frames.empty());
}

TEST_F(ControlFrames, PayloadPingIsSettledByItsEcho) {
  Loop loop;
  Client client(loop, ws_url(python_->port()), Options{}, {});
  ASSERT_EQ(client.wait(State::Open, std::chrono::seconds(10)), Status::WSC_OK);
  std::promise<std::pair<Status, std::chrono::microseconds>> done;
  ASSERT_EQ(client.ping(Millis(5000), "hello ping",
                        [&](Status s, std::chrono::microseconds rtt) {
                          done.set_value({s, rtt});
                        }),
            Status::WSC_OK);
  const auto [status, rtt] = done.get_future().get();
  EXPECT_EQ(status, Status::WSC_OK);
  EXPECT_GT(rtt.count(), 0);
}

TEST_F(ControlFrames, PayloadLongerThan125BytesIsRefused) {
  Loop loop;
  Client client(loop, ws_url(python_->port()), Options{}, {});
  ASSERT_EQ(client.wait(State::Open, std::chrono::seconds(10)), Status::WSC_OK);
  auto ignore = [](Status, std::chrono::microseconds) {};
  EXPECT_EQ(client.ping(Millis(1000), std::string(126, 'x'), ignore), Status::WSC_EINVAL);
  std::promise<Status> done;
  EXPECT_EQ(client.ping(Millis(5000), std::string(125, 'x'),
                        [&](Status s, std::chrono::microseconds) { done.set_value(s); }),
            Status::WSC_OK);
  EXPECT_EQ(done.get_future().get(), Status::WSC_OK);
}

}  // namespace
}  // namespace wsc::testing
