// Freeing connections and loops in every state, including from inside a
// connection's own callbacks: prompt, no crash, no callback afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class Lifecycle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = std::make_unique<server::EchoServer>(); }
  static void TearDownTestSuite() { server_.reset(); }
  static std::string url() { return ws_url(server_->port()); }
  static inline std::unique_ptr<server::EchoServer> server_;
};

TEST_F(Lifecycle, FreeFromInsideOnMessage) {
  Loop loop;
  std::unique_ptr<Client> client;
  std::mutex mutex;
  std::atomic<int> after_free{0};
  std::atomic<bool> freed{false};
  Callbacks cb;
  cb.on_message = [&](MessageType, std::string_view) {
    if (freed) {
      ++after_free;
      return;
    }
    freed = true;
    std::lock_guard<std::mutex> lock(mutex);
    client.reset();  // destroys the Client inside its own callback
  };
  cb.on_close = [&](int, std::string_view) {
    if (freed) ++after_free;
  };
  {
    std::lock_guard<std::mutex> lock(mutex);
    client = std::make_unique<Client>(loop, url(), Options{}, cb);
    for (int i = 0; i < 50; ++i) client->send_text("m" + std::to_string(i));
  }
  const auto deadline = Clock::now() + seconds(10);
  while (!freed && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(freed);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(after_free.load(), 0) << "a callback ran after the client was freed";
  std::lock_guard<std::mutex> lock(mutex);  // the callback wrote `client`
  EXPECT_EQ(client, nullptr);
}

TEST_F(Lifecycle, FreeFromInsideOnClose) {
  Loop loop;
  std::unique_ptr<Client> client;
  std::mutex mutex;
  std::atomic<bool> done{false};
  Callbacks cb;
  cb.on_close = [&](int, std::string_view) {
    std::lock_guard<std::mutex> lock(mutex);
    client.reset();
    done = true;
  };
  {
    std::lock_guard<std::mutex> lock(mutex);
    client = std::make_unique<Client>(loop, "ws://127.0.0.1:1/", Options{}, cb);
  }
  const auto deadline = Clock::now() + seconds(10);
  while (!done && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_TRUE(done);
  std::lock_guard<std::mutex> lock(mutex);  // the callback wrote `client`
  EXPECT_EQ(client, nullptr);
}

TEST_F(Lifecycle, FreeWhileConnectingIsPrompt) {
  SilentListener silent;
  Loop loop;
  std::atomic<int> callbacks_after{0};
  std::atomic<bool> freed{false};
  Callbacks cb;
  cb.on_close = [&](int, std::string_view) {
    if (freed) ++callbacks_after;
  };
  cb.on_error = [&](Status, std::string_view) {
    if (freed) ++callbacks_after;
  };
  auto client = std::make_unique<Client>(loop, ws_url(silent.port()), Options{}, cb);
  std::this_thread::sleep_for(milliseconds(50));
  const auto start = Clock::now();
  client.reset();
  freed = true;
  EXPECT_LT(Clock::now() - start, milliseconds(500));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(callbacks_after.load(), 0);
}

TEST_F(Lifecycle, LoopFreeWithLiveConnectionsClosesThem) {
  auto loop = std::make_unique<Loop>();
  Recorder recs[20];
  std::vector<std::unique_ptr<Client>> clients;
  for (auto &rec : recs) {
    clients.push_back(std::make_unique<Client>(*loop, url(), Options{}, rec.callbacks()));
  }
  for (auto &c : clients) ASSERT_EQ(c->wait(State::Open, seconds(10)), Status::WSC_OK);
  const auto start = Clock::now();
  loop.reset();
  EXPECT_LT(Clock::now() - start, seconds(3));
  for (size_t i = 0; i < clients.size(); ++i) {
    EXPECT_EQ(clients[i]->state(), State::Closed);
    EXPECT_EQ(clients[i]->try_send(MessageType::Text, "x"), Status::WSC_ECLOSED);
    std::lock_guard<std::mutex> lock(recs[i].mutex);
    EXPECT_EQ(recs[i].closes, 1);
    EXPECT_EQ(recs[i].close_code, 1001);
  }
  clients.clear();  // handles outlive their loop safely
}

TEST_F(Lifecycle, LoopFreeWhileConnectingAndResolving) {
  SilentListener silent;
  auto loop = std::make_unique<Loop>();
  Client stalled(*loop, ws_url(silent.port()));
  Client resolving(*loop, "ws://localhost:" + std::to_string(server_->port()) + "/");
  const auto start = Clock::now();
  loop.reset();
  EXPECT_LT(Clock::now() - start, seconds(3));
  EXPECT_EQ(stalled.state(), State::Closed);
  EXPECT_EQ(resolving.state(), State::Closed);
  EXPECT_THROW(Client(*std::make_unique<Loop>(), "ws://[::1/"), Error);
}

TEST_F(Lifecycle, QueuedMessagesAreSentBeforeTheCloseFrame) {
  Loop loop;
  Recorder rec;
  Client c(loop, url(), Options{}, rec.callbacks());
  for (int i = 0; i < 200; ++i) c.send_text("queued " + std::to_string(i));
  c.close(1000, "after the queue");
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  const Stats s = c.stats();
  EXPECT_EQ(s.msgs_sent, 200u);
  EXPECT_EQ(s.send_discarded, 0u);
}

TEST_F(Lifecycle, DiscardedMessagesAreCountedAndReported) {
  // A server that never answers keeps the connection CONNECTING while the
  // messages are queued; the connect timeout then ends it.
  SilentListener silent;
  Options o;
  o.connect_timeout = milliseconds(300);
  Loop loop;
  Recorder rec;
  Client c(loop, ws_url(silent.port()), o, rec.callbacks());
  for (int i = 0; i < 5; ++i) c.send_text("never sent");
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETIMEDOUT);
  EXPECT_EQ(c.stats().send_discarded, 5u);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_NE(rec.errors[0].second.find("5 queued message(s)"), std::string::npos)
      << rec.errors[0].second;
}

TEST_F(Lifecycle, ClientCreatedInOnCloseAfterATimeoutOpensPromptly) {
  // The connect timeout ends the first connection from a timer, inside
  // lws_service before it polls; the second connection's start is posted
  // from that on_close and must not wait for some unrelated event.
  SilentListener silent;
  Loop loop;
  std::mutex mutex;
  std::unique_ptr<Client> second;
  std::atomic<bool> second_open{false};
  Callbacks first_cb;
  first_cb.on_close = [&](int, std::string_view) {
    Callbacks cb;
    cb.on_open = [&] { second_open = true; };
    std::lock_guard<std::mutex> lock(mutex);
    second = std::make_unique<Client>(loop, url(), Options{}, cb);
  };
  Options o;
  o.connect_timeout = milliseconds(200);
  Client first(loop, ws_url(silent.port()), o, first_cb);
  ASSERT_EQ(first.wait(State::Closed, seconds(5)), Status::WSC_ETIMEDOUT);
  const auto deadline = Clock::now() + seconds(3);
  while (!second_open && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_TRUE(second_open);
  std::lock_guard<std::mutex> lock(mutex);
  second.reset();
}

}  // namespace
}  // namespace wsc::testing
