// Pull mode: without on_message, messages queue for recv(); a full receive
// queue pauses the socket so a slow reader slows the server, not memory.
#include <gtest/gtest.h>

#include <thread>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

uint64_t sequence_of(const std::string &data) {
  uint64_t seq = 0;
  for (int i = 0; i < 8; ++i) seq = (seq << 8) | static_cast<unsigned char>(data[i]);
  return seq;
}

TEST(PullMode, RecvTakesMessagesInOrder) {
  auto peer = start_python_echo();
  Loop loop;
  Client c(loop, ws_url(peer->port()));
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  for (int i = 0; i < 100; ++i) c.send_text("message " + std::to_string(i));
  for (int i = 0; i < 100; ++i) {
    auto m = c.recv(seconds(10));
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->type, MessageType::Text);
    EXPECT_EQ(m->data, "message " + std::to_string(i));
  }
  EXPECT_FALSE(c.recv(milliseconds(0)).has_value());
  c.close();
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  EXPECT_THROW(c.recv(milliseconds(0)), Error);
}

TEST(PullMode, FullQueuePausesTheSocketAndResumes) {
  server::EchoServerOptions so;
  so.scripted = true;
  server::EchoServer server(so);
  constexpr int kCount = 1000;
  constexpr size_t kSize = 64 * 1024;  // 64 MiB offered in all
  Options o;
  o.recv_queue_bytes = 1 << 20;
  Loop loop;
  Client c(loop,
           ws_url(server.port(), "/flood/" + std::to_string(kCount) + "/" + std::to_string(kSize)),
           o);
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  // Do not read: the queue fills to its bound and the socket is paused.
  std::this_thread::sleep_for(milliseconds(1500));
  const uint64_t held = c.stats().bytes_received;
  EXPECT_GE(held, o.recv_queue_bytes);
  // Bounded by the queue plus what lws had already read (one rx buffer and
  // one message in flight), far below the 64 MiB the server has to send.
  EXPECT_LT(held, o.recv_queue_bytes + 4 * kSize) << "socket was not paused";
  for (uint64_t i = 0; i < kCount; ++i) {
    auto m = c.recv(seconds(10));
    ASSERT_TRUE(m.has_value()) << "message " << i;
    ASSERT_EQ(m->data.size(), kSize);
    ASSERT_EQ(sequence_of(m->data), i);
  }
  EXPECT_EQ(c.stats().msgs_received, static_cast<uint64_t>(kCount));
}

TEST(PullMode, OnReadableFiresWhenTheQueueBecomesNonEmpty) {
  auto peer = start_python_echo();
  Loop loop;
  std::mutex mutex;
  std::condition_variable cv;
  int readable = 0;
  Callbacks cb;  // no on_message: pull mode
  cb.on_readable = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    ++readable;
    cv.notify_all();
  };
  Client c(loop, ws_url(peer->port()), Options{}, cb);
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  c.send_text("one");
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return readable == 1; }));
  }
  c.send_text("two");  // queue not drained: no second notification
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(c.recv(milliseconds(0))->data, "one");
  EXPECT_EQ(c.recv(milliseconds(0))->data, "two");
  EXPECT_FALSE(c.recv(milliseconds(0)).has_value());
  {
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_EQ(readable, 1);
  }
  c.send_text("three");  // drained before: notified again
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return readable == 2; }));
}

TEST(PullMode, RecvWakesWhenTheConnectionCloses) {
  server::EchoServerOptions so;
  so.scripted = true;
  server::EchoServer server(so);
  Loop loop;
  Client c(loop, ws_url(server.port(), "/close/1000"));
  try {
    auto m = c.recv(seconds(10));
    ADD_FAILURE() << "expected a closed connection";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), Status::WSC_ECLOSED);
  }
}

}  // namespace
}  // namespace wsc::testing
