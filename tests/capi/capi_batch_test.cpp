// wsc_recv_many, wsc_batch_free and wsc_conn_notify_fd: the argument checks,
// what a batch holds, its limits, its order next to wsc_recv, and the notify
// fd, through the shared libwsc against the in-process lws echo server. Also
// that a poll (timeout 0) of an empty queue answers at once.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "capi_handles.hpp"
#include "echo_server.hpp"
#include "wsc.h"

namespace {

using namespace wsc::testing;

using namespace std::chrono_literals;

constexpr int kWaitMs = 10000;

struct Msg {
  int type;
  std::string data;
  bool operator==(const Msg &o) const { return type == o.type && data == o.data; }
};

std::vector<Msg> unpack(const wsc_batch *b) {
  std::vector<Msg> out;
  size_t off = 0;
  for (size_t i = 0; i < b->count; ++i) {
    out.push_back(
        {b->types[i], std::string(reinterpret_cast<const char *>(b->data) + off, b->lens[i])});
    off += b->lens[i];
  }
  EXPECT_EQ(off, b->bytes) << "bytes must be the sum of lens";
  return out;
}

void ignore_message(wsc_conn *, int, const void *, size_t, void *) {}

class CapiBatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new wsc::server::EchoServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    loop_.reset(wsc_loop_new());
    ASSERT_NE(loop_, nullptr) << wsc_last_error_detail();
  }
  void TearDown() override { loop_.reset(); }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server_->port()) + "/"; }

  ConnPtr open(const wsc_callbacks *cbs = nullptr) {
    wsc_conn *c = nullptr;
    EXPECT_EQ(wsc_connect(loop_.get(), url().c_str(), nullptr, cbs, nullptr, &c), WSC_OK)
        << wsc_last_error_detail();
    ConnPtr conn(c);
    if (c) {
      EXPECT_EQ(wsc_wait(c, WSC_OPEN, kWaitMs), WSC_OK) << wsc_last_error_detail();
    }
    return conn;
  }

  // Waits until the connection has received n messages in all.
  static void await_received(wsc_conn *c, uint64_t n) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    wsc_stats st{};
    st.struct_size = sizeof st;
    while (std::chrono::steady_clock::now() < give_up) {
      ASSERT_EQ(wsc_conn_stats(c, &st), WSC_OK);
      if (st.msgs_received >= n) return;
      std::this_thread::sleep_for(1ms);
    }
    FAIL() << "only " << st.msgs_received << " of " << n << " messages arrived";
  }

  static wsc::server::EchoServer *server_;
  LoopPtr loop_;
};

wsc::server::EchoServer *CapiBatchTest::server_ = nullptr;

TEST_F(CapiBatchTest, RecvManyArgumentChecks) {
  ConnPtr c = open();
  ASSERT_NE(c, nullptr);
  wsc_batch *b = reinterpret_cast<wsc_batch *>(0x1);
  EXPECT_EQ(wsc_recv_many(c.get(), 0, 8, 0, nullptr), WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("NULL"), std::string::npos);
  EXPECT_EQ(wsc_recv_many(nullptr, 0, 8, 0, &b), WSC_EINVAL);
  EXPECT_EQ(b, nullptr) << "*out must be NULL after a failure";
  b = reinterpret_cast<wsc_batch *>(0x1);
  EXPECT_EQ(wsc_recv_many(c.get(), -2, 8, 0, &b), WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("timeout_ms"), std::string::npos);
  EXPECT_EQ(b, nullptr);
  EXPECT_EQ(wsc_recv_many(c.get(), 0, 0, 0, &b), WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("max_msgs"), std::string::npos);
  EXPECT_EQ(wsc_recv_many(c.get(), 0, 8, 0, &b), WSC_EWAIT) << "nothing was sent";
  EXPECT_EQ(b, nullptr);
  wsc_batch_free(nullptr);  // accepted, like every *_free

  wsc_callbacks cbs{};
  cbs.struct_size = sizeof cbs;
  cbs.on_message = ignore_message;
  ConnPtr push = open(&cbs);
  ASSERT_NE(push, nullptr);
  EXPECT_EQ(wsc_recv_many(push.get(), 0, 8, 0, &b), WSC_ESTATE);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("pull mode"), std::string::npos);
}

TEST_F(CapiBatchTest, RecvManyTakesEverythingQueuedInOrder) {
  ConnPtr c = open();
  ASSERT_NE(c, nullptr);
  std::vector<Msg> sent;
  for (int i = 0; i < 10; ++i) {
    Msg m{i % 3 == 0 ? WSC_TEXT : WSC_BINARY, std::string(static_cast<size_t>(i * 37), 'a' + i)};
    if (i == 4) m.data = std::string("\0\1\2", 3);
    ASSERT_EQ(wsc_send(c.get(), m.type, m.data.data(), m.data.size()), WSC_OK);
    sent.push_back(m);
  }
  await_received(c.get(), sent.size());
  wsc_batch *raw = nullptr;
  ASSERT_EQ(wsc_recv_many(c.get(), 0, 100, 0, &raw), WSC_OK) << wsc_last_error_detail();
  BatchPtr b(raw);
  ASSERT_EQ(b->count, sent.size());
  EXPECT_EQ(unpack(b.get()), sent);
  EXPECT_STREQ(wsc_last_error_detail(), "");
  wsc_batch *none = reinterpret_cast<wsc_batch *>(0x1);
  EXPECT_EQ(wsc_recv_many(c.get(), 0, 100, 0, &none), WSC_EWAIT) << "all were taken";
  EXPECT_EQ(none, nullptr);
}

TEST_F(CapiBatchTest, RecvManyStopsAtMaxMsgsAndMaxBytes) {
  ConnPtr c = open();
  ASSERT_NE(c, nullptr);
  const std::string payload(100, 'x');
  for (int i = 0; i < 7; ++i) {
    std::string p = payload;
    p[0] = static_cast<char>('0' + i);
    ASSERT_EQ(wsc_send(c.get(), WSC_BINARY, p.data(), p.size()), WSC_OK);
  }
  await_received(c.get(), 7);
  std::string order;
  auto take = [&](size_t max_msgs, size_t max_bytes) -> size_t {
    wsc_batch *raw = nullptr;
    EXPECT_EQ(wsc_recv_many(c.get(), 0, max_msgs, max_bytes, &raw), WSC_OK)
        << wsc_last_error_detail();
    BatchPtr b(raw);
    if (!b) return 0;
    for (const Msg &m : unpack(b.get())) order += m.data[0];
    return b->count;
  };
  EXPECT_EQ(take(4, 0), 4u) << "max_msgs";
  EXPECT_EQ(take(100, 150), 2u) << "stops once the payloads reach max_bytes";
  EXPECT_EQ(take(100, 1), 1u) << "the first message always comes";
  EXPECT_EQ(order, "0123456");
}

TEST_F(CapiBatchTest, RecvManyAndRecvShareOneOrder) {
  ConnPtr c = open();
  ASSERT_NE(c, nullptr);
  for (char i = 0; i < 6; ++i) ASSERT_EQ(wsc_send(c.get(), WSC_BINARY, &i, 1), WSC_OK);
  // Waits for the first, then takes only what is there.
  wsc_batch *raw = nullptr;
  ASSERT_EQ(wsc_recv_many(c.get(), kWaitMs, 1, 0, &raw), WSC_OK) << wsc_last_error_detail();
  BatchPtr first(raw);
  ASSERT_EQ(first->count, 1u);
  EXPECT_EQ(first->data[0], 0);
  wsc_message *m = nullptr;
  ASSERT_EQ(wsc_recv(c.get(), kWaitMs, &m), WSC_OK) << wsc_last_error_detail();
  EXPECT_EQ(m->data[0], 1);
  wsc_message_free(m);
  await_received(c.get(), 6);
  ASSERT_EQ(wsc_recv_many(c.get(), 0, 100, 0, &raw), WSC_OK) << wsc_last_error_detail();
  BatchPtr rest(raw);
  ASSERT_EQ(rest->count, 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(rest->data[i], i + 2);
  EXPECT_EQ(wsc_recv(c.get(), 0, &m), WSC_EWAIT);
  EXPECT_EQ(m, nullptr);
}

// wsc_recv(c, 0) and wsc_recv_many(c, 0) on an empty queue answer without
// waiting at all (a zero-length timed wait still sleeps for the timer slack,
// about 50-80 us on Linux, which made every poll as slow as a round trip).
TEST_F(CapiBatchTest, PollOfAnEmptyQueueDoesNotWait) {
  ConnPtr c = open();
  ASSERT_NE(c, nullptr);
  wsc_message *m = nullptr;
  wsc_batch *b = nullptr;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(wsc_recv(c.get(), 0, &m), WSC_EWAIT);
    ASSERT_EQ(wsc_recv_many(c.get(), 0, 8, 0, &b), WSC_EWAIT);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 25ms) << "1000 polls of an empty queue";
}

TEST_F(CapiBatchTest, ClosedAndDrainedSaysClosedNotWaitExpired) {
  ConnPtr c = open();
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(wsc_send(c.get(), WSC_TEXT, "last", 4), WSC_OK);
  await_received(c.get(), 1);
  ASSERT_EQ(wsc_close(c.get(), 1000, ""), WSC_OK);
  ASSERT_EQ(wsc_wait(c.get(), WSC_CLOSED, kWaitMs), WSC_OK) << wsc_last_error_detail();
  wsc_batch *raw = nullptr;
  ASSERT_EQ(wsc_recv_many(c.get(), 0, 8, 0, &raw), WSC_OK) << "arrived before the close";
  BatchPtr b(raw);
  EXPECT_EQ(unpack(b.get()), (std::vector<Msg>{{WSC_TEXT, "last"}}));
  EXPECT_EQ(wsc_recv_many(c.get(), 0, 8, 0, &raw), WSC_ECLOSED);
  EXPECT_EQ(wsc_recv_many(c.get(), kWaitMs, 8, 0, &raw), WSC_ECLOSED);
  wsc_message *m = nullptr;
  EXPECT_EQ(wsc_recv(c.get(), 0, &m), WSC_ECLOSED);
}

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

TEST_F(CapiBatchTest, NotifyFdArgumentChecks) {
  EXPECT_EQ(wsc_conn_notify_fd(nullptr, 3), WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("NULL"), std::string::npos);
  ConnPtr c = open();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(wsc_conn_notify_fd(c.get(), -2), WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("fd"), std::string::npos);
  EXPECT_EQ(wsc_conn_notify_fd(c.get(), -1), WSC_OK) << "off is always fine";
  wsc_callbacks cbs{};
  cbs.struct_size = sizeof cbs;
  cbs.on_message = ignore_message;
  ConnPtr push = open(&cbs);
  ASSERT_NE(push, nullptr);
  EXPECT_EQ(wsc_conn_notify_fd(push.get(), 0), WSC_ESTATE);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("pull mode"), std::string::npos);
}

std::atomic<int> g_readable_calls{0};
void count_readable(wsc_conn *, void *) { g_readable_calls.fetch_add(1); }

TEST_F(CapiBatchTest, NotifyFdIsWrittenWhenTheQueueBecomesNonEmpty) {
  wsc_callbacks cbs{};
  cbs.struct_size = sizeof cbs;
  cbs.on_readable = count_readable;  // still called, next to the fd
  g_readable_calls = 0;
  ConnPtr c = open(&cbs);
  ASSERT_NE(c, nullptr);
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_GE(efd, 0);
  ASSERT_EQ(wsc_conn_notify_fd(c.get(), efd), WSC_OK) << wsc_last_error_detail();
  EXPECT_FALSE(readable(efd, 0));

  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(wsc_send(c.get(), WSC_TEXT, "ping", 4), WSC_OK);
    ASSERT_TRUE(readable(efd, kWaitMs)) << "round " << round;
    uint64_t n = 0;
    ASSERT_EQ(::read(efd, &n, sizeof n), static_cast<ssize_t>(sizeof n));
    EXPECT_EQ(n, 1u) << "once per empty -> non-empty";
    wsc_batch *raw = nullptr;
    ASSERT_EQ(wsc_recv_many(c.get(), 0, 8, 0, &raw), WSC_OK);
    wsc_batch_free(raw);
  }

  ASSERT_EQ(wsc_conn_notify_fd(c.get(), -1), WSC_OK);
  ASSERT_EQ(wsc_send(c.get(), WSC_TEXT, "quiet", 5), WSC_OK);
  await_received(c.get(), 3);
  // on_readable runs right after the fd write, so it may trail the poll above.
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (g_readable_calls.load() < 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(g_readable_calls.load(), 3) << "on_readable still runs, with or without the fd";
  EXPECT_FALSE(readable(efd, 100)) << "turned off";
  c.reset();
  ::close(efd);
}

}  // namespace
