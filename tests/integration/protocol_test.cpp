// Handshake options and protocol rules against real servers: the scripted
// lws server for faults, Python websockets for headers and subprotocols.
#include <gtest/gtest.h>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using std::chrono::seconds;

class Scripted : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server::EchoServerOptions o;
    o.scripted = true;
    server_ = std::make_unique<server::EchoServer>(o);
  }
  static void TearDownTestSuite() { server_.reset(); }
  static std::string url(const std::string &path) { return ws_url(server_->port(), path); }
  static inline std::unique_ptr<server::EchoServer> server_;
  Loop loop_;
};

TEST_F(Scripted, ServerCloseCodeAndReasonReachOnClose) {
  Recorder rec;
  Client c(loop_, url("/close/4001/server%20says%20bye"), Options{}, rec.callbacks());
  ASSERT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_EQ(rec.closes, 1);
  EXPECT_EQ(rec.close_code, 4001);
  EXPECT_EQ(rec.close_reason, "server says bye");
  EXPECT_TRUE(rec.errors.empty());
}

TEST_F(Scripted, ClientCloseSendsCodeAndReason) {
  // Python websockets reports what the server received: echo it back via
  // the close handshake, observed on our side as the same code.
  auto peer = start_python_echo();
  Recorder rec;
  Client c(loop_, ws_url(peer->port()), Options{}, rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  c.close(4321, "client bye");
  ASSERT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_EQ(rec.close_code, 4321);
  EXPECT_EQ(rec.close_reason, "client bye");
  EXPECT_TRUE(rec.errors.empty());
  EXPECT_EQ(c.try_send(MessageType::Text, "late"), Status::WSC_ECLOSED);
}

TEST_F(Scripted, BadCloseCodesAreRejected) {
  Recorder rec;
  Client c(loop_, url("/"), Options{}, rec.callbacks());
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 2999, 5000}) {
    EXPECT_EQ(c.try_close(code, ""), Status::WSC_EINVAL) << code;
  }
  EXPECT_EQ(c.try_close(1000, std::string(124, 'x')), Status::WSC_EINVAL);
  EXPECT_EQ(c.try_close(1000, "\xff"), Status::WSC_EINVAL);
  EXPECT_THROW(c.close(1005), Error);
}

TEST_F(Scripted, AbruptDropIsElost) {
  Recorder rec;
  Client c(loop_, url("/drop"), Options{}, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ELOST);
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_EQ(rec.close_code, 1006);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_EQ(rec.errors[0].first, Status::WSC_ELOST);
}

TEST_F(Scripted, OversizedMessageClosesWith1009) {
  Options o;
  o.max_message_bytes = 100000;
  Recorder rec;
  Client c(loop_, url("/send/200000"), o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETOOBIG);
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_TRUE(rec.messages.empty());
  EXPECT_EQ(rec.close_code, 1009);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_EQ(rec.errors[0].first, Status::WSC_ETOOBIG);
  EXPECT_NE(rec.errors[0].second.find("100000"), std::string::npos);
}

TEST_F(Scripted, MessageAtTheLimitIsDelivered) {
  Options o;
  o.max_message_bytes = 200000;
  Recorder rec;
  Client c(loop_, url("/send/200000"), o, rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_EQ(rec.messages[0].data.size(), 200000u);
  for (size_t i = 0; i < 200000; i += 997) {
    ASSERT_EQ(static_cast<unsigned char>(rec.messages[0].data[i]), i % 251) << i;
  }
}

TEST_F(Scripted, InvalidUtf8TextClosesWith1007) {
  Recorder rec;
  Client c(loop_, url("/send-text-invalid-utf8"), Options{}, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_EPROTO);
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_TRUE(rec.messages.empty());
  EXPECT_EQ(rec.close_code, 1007);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("UTF-8"), std::string::npos);
}

TEST_F(Scripted, FragmentsAreReassembled) {
  Recorder rec;
  Client c(loop_, url("/fragmented"), Options{}, rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_EQ(rec.messages[0].type, MessageType::Text);
  EXPECT_EQ(rec.messages[0].data, "hello fragmented world");
}

TEST_F(Scripted, HttpRejectionIsAHandshakeError) {
  Recorder rec;
  Client c(loop_, url("/reject/403"), Options{}, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_EHANDSHAKE);
  EXPECT_EQ(c.stats().last_http_status, 403);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("403"), std::string::npos);
}

TEST_F(Scripted, RefusedPortIsEconnect) {
  Recorder rec;
  // Port 1 on loopback: nothing listens there in a test environment.
  Client c(loop_, "ws://127.0.0.1:1/", Options{}, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ECONNECT);
  std::string detail;
  EXPECT_EQ(c.last_error(detail), Status::WSC_ECONNECT);
  EXPECT_NE(detail.find("127.0.0.1:1"), std::string::npos) << detail;
  std::lock_guard<std::mutex> lock(rec.mutex);
  EXPECT_EQ(rec.opens, 0);
  EXPECT_EQ(rec.closes, 1);
  EXPECT_EQ(rec.close_code, 1006);
}

TEST_F(Scripted, ConnectTimeoutCoversAStalledHandshake) {
  // A listener that never accepts: TCP completes in the kernel backlog and
  // the upgrade request is never answered.
  SilentListener silent;
  Options o;
  o.connect_timeout = std::chrono::milliseconds(300);
  Recorder rec;
  const auto start = std::chrono::steady_clock::now();
  Client c(loop_, ws_url(silent.port()), o, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_ETIMEDOUT);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(280));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_EQ(rec.errors.size(), 1u);
  EXPECT_NE(rec.errors[0].second.find("connect timeout"), std::string::npos);
}

TEST_F(Scripted, HostNameIsResolvedOffTheLoop) {
  Recorder rec;
  Client c(loop_, "ws://localhost:" + std::to_string(server_->port()) + "/", Options{},
           rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  c.send_text("via localhost");
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
}

TEST_F(Scripted, UnresolvableHostIsEconnect) {
  Recorder rec;
  Client c(loop_, "ws://nonexistent.invalid/", Options{}, rec.callbacks());
  EXPECT_EQ(c.wait(State::Closed, seconds(15)), Status::WSC_ECONNECT);
  std::lock_guard<std::mutex> lock(rec.mutex);
  ASSERT_FALSE(rec.errors.empty());
  EXPECT_NE(rec.errors[0].second.find("nonexistent.invalid"), std::string::npos);
}

TEST_F(Scripted, SendRateLimitSpacesMessages) {
  Options o;
  o.send_rate_per_s = 100;
  o.send_burst = 10;
  Recorder rec;
  Client c(loop_, url("/"), o, rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 60; ++i) c.send_text(std::to_string(i));
  ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() == 60; }));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // 10 at once, then 50 at 100 per second: about 0.5 s.
  EXPECT_GE(elapsed, std::chrono::milliseconds(450));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  std::lock_guard<std::mutex> lock(rec.mutex);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(rec.messages[i].data, std::to_string(i));
}

class PythonPeer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = start_python_echo(); }
  static void TearDownTestSuite() { peer_.reset(); }
  static inline std::unique_ptr<PeerProcess> peer_;
  Loop loop_;
};

TEST_F(PythonPeer, CustomHeadersAndOriginReachTheServer) {
  Options o;
  o.headers = {{"X-Api-Key", "secret-123"}, {"X-Trace", "a b c"}};
  o.origin = "https://example.test";
  Recorder rec;
  Client c(loop_, ws_url(peer_->port(), "/headers"), o, rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  std::lock_guard<std::mutex> lock(rec.mutex);
  const std::string &json = rec.messages[0].data;
  EXPECT_NE(json.find("\"x-api-key\": \"secret-123\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"x-trace\": \"a b c\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"origin\": \"https://example.test\""), std::string::npos) << json;
}

TEST_F(PythonPeer, SelectedSubprotocolIsReadable) {
  Options o;
  o.subprotocols = {"unknown.v9", "chat.v2"};
  Recorder rec;
  Client c(loop_, ws_url(peer_->port()), o, rec.callbacks());
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  EXPECT_EQ(c.subprotocol(), "chat.v2");
  EXPECT_EQ(c.stats().last_http_status, 101);
  std::string detail;
  EXPECT_EQ(c.last_error(detail), Status::WSC_OK);
}

// Issue 12 item 14: TLS_SERVER_NAME is for SNI and verification only; the
// Host header follows the URL, port included (RFC 6455 §4.1).
TEST_F(PythonPeer, HostHeaderFollowsTheUrlWithAServerName) {
  Options o;
  o.tls.server_name = "other.example";
  Recorder rec;
  Client c(loop_, ws_url(peer_->port(), "/headers"), o, rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
  std::lock_guard<std::mutex> lock(rec.mutex);
  const std::string host = "\"host\": \"127.0.0.1:" + std::to_string(peer_->port()) + "\"";
  EXPECT_NE(rec.messages[0].data.find(host), std::string::npos) << rec.messages[0].data;
}

TEST_F(PythonPeer, NoSubprotocolWhenNoneRequested) {
  Client c(loop_, ws_url(peer_->port()), Options{}, Callbacks{});
  ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
  EXPECT_EQ(c.subprotocol(), "");
}

TEST(Compression, PermessageDeflateWhenAsked) {
  auto peer = start_python_echo({"--compression"});
  Loop loop;
  for (bool on : {true, false}) {
    Options o;
    o.compression = on;
    Recorder rec;
    Client c(loop, ws_url(peer->port(), "/extensions"), o, rec.callbacks());
    ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
    const std::string big = pattern(300000, true);
    c.send_text(big);
    ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() == 2; }));
    std::lock_guard<std::mutex> lock(rec.mutex);
    EXPECT_EQ(rec.messages[0].data.find("permessage-deflate") != std::string::npos, on)
        << rec.messages[0].data;
    EXPECT_TRUE(rec.messages[1].data == big);
  }
}

TEST_F(PythonPeer, StateTransitionsInOrder) {
  Recorder rec;
  {
    Client c(loop_, ws_url(peer_->port()), Options{}, rec.callbacks());
    ASSERT_EQ(c.wait(State::Open, seconds(10)), Status::WSC_OK);
    c.close();
    ASSERT_EQ(c.wait(State::Closed, seconds(10)), Status::WSC_OK);
  }
  std::lock_guard<std::mutex> lock(rec.mutex);
  const std::vector<std::pair<State, State>> expected = {{State::Connecting, State::Open},
                                                         {State::Open, State::Closing},
                                                         {State::Closing, State::Closed}};
  EXPECT_EQ(rec.states, expected);
  EXPECT_EQ(rec.opens, 1);
  EXPECT_EQ(rec.closes, 1);
}

TEST_F(PythonPeer, BadUrlsAndOptionsThrowSynchronously) {
  for (const char *bad : {"http://x/", "ws://", "ws://host:70000/", "ws://a b/", "ws://u:p@h/"}) {
    try {
      Client c(loop_, bad);
      ADD_FAILURE() << bad;
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), Status::WSC_EINVAL) << bad;
    }
  }
  Options o;
  o.headers = {{"Bad Name", "x"}};
  EXPECT_THROW(Client(loop_, ws_url(peer_->port()), o), Error);
  o = Options{};
  o.headers = {{"X-Ok", "line\r\nbreak"}};
  EXPECT_THROW(Client(loop_, ws_url(peer_->port()), o), Error);
  o = Options{};
  o.subprotocols = {"has space"};
  EXPECT_THROW(Client(loop_, ws_url(peer_->port()), o), Error);
  o = Options{};
  o.tls.min_version = 11;
  EXPECT_THROW(Client(loop_, ws_url(peer_->port()), o), Error);
  o = Options{};
  o.reconnect_min = std::chrono::milliseconds(5000);
  o.reconnect_max = std::chrono::milliseconds(100);
  EXPECT_THROW(Client(loop_, ws_url(peer_->port()), o), Error);
}

}  // namespace
}  // namespace wsc::testing
