// Echo byte-for-byte through real peers: Python websockets (not ours) and
// the project's own lws echo server, every boundary size, text and binary.
#include <gtest/gtest.h>

#include "echo_server.hpp"
#include "fixtures.hpp"

namespace wsc::testing {
namespace {

struct EchoCase {
  size_t size;
  MessageType type;
};

class EchoSizes : public ::testing::TestWithParam<EchoCase> {
 protected:
  static void SetUpTestSuite() {
    python_ = start_python_echo();
    lws_ = std::make_unique<server::EchoServer>();
  }
  static void TearDownTestSuite() {
    python_.reset();
    lws_.reset();
  }
  static void echo_once(int port) {
    const EchoCase c = GetParam();
    Loop loop;
    Recorder rec;
    Client client(loop, ws_url(port), Options{}, rec.callbacks());
    ASSERT_EQ(client.wait(State::Open, std::chrono::seconds(10)), Status::WSC_OK);
    const std::string payload = pattern(c.size, c.type == MessageType::Text);
    client.send(c.type, payload);
    ASSERT_TRUE(rec.wait_for([&] { return !rec.messages.empty(); }));
    std::lock_guard<std::mutex> lock(rec.mutex);
    EXPECT_EQ(rec.messages[0].type, c.type);
    EXPECT_EQ(rec.messages[0].data.size(), payload.size());
    EXPECT_TRUE(rec.messages[0].data == payload);
  }
  static inline std::unique_ptr<PeerProcess> python_;
  static inline std::unique_ptr<server::EchoServer> lws_;
};

TEST_P(EchoSizes, PythonWebsockets) { echo_once(python_->port()); }
TEST_P(EchoSizes, LwsEchoServer) { echo_once(lws_->port()); }

// send_shared: the payload is written from the caller's string, not a copy,
// and let go once written; a refused payload is not held.
TEST(SendShared, WritesTheCallersBytesAndLetsThemGoOnceWritten) {
  server::EchoServer echo;
  Loop loop;
  Recorder rec;
  Client client(loop, ws_url(echo.port()), Options{}, rec.callbacks());
  ASSERT_EQ(client.wait(State::Open, std::chrono::seconds(10)), Status::WSC_OK);
  auto big = std::make_shared<const std::string>(pattern(1 << 20, false));
  auto text = std::make_shared<const std::string>(pattern(70000, true));
  EXPECT_EQ(client.try_send_shared(MessageType::Binary, big), Status::WSC_OK);
  EXPECT_EQ(client.try_send_shared(MessageType::Binary, big), Status::WSC_OK);  // twice, no copy
  client.send_shared(MessageType::Text, text);
  ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() == 3; }));
  {
    std::lock_guard<std::mutex> lock(rec.mutex);
    EXPECT_TRUE(rec.messages[0].data == *big);
    EXPECT_TRUE(rec.messages[1].data == *big);
    EXPECT_EQ(rec.messages[2].type, MessageType::Text);
    EXPECT_TRUE(rec.messages[2].data == *text);
  }
  // Echoed means written: the library let go of both.
  EXPECT_EQ(big.use_count(), 1);
  EXPECT_EQ(text.use_count(), 1);

  EXPECT_EQ(client.try_send_shared(MessageType::Binary, nullptr), Status::WSC_EINVAL);
  auto bad_text = std::make_shared<const std::string>("\xff\xfe");
  EXPECT_EQ(client.try_send_shared(MessageType::Text, bad_text), Status::WSC_EINVAL);
  EXPECT_EQ(bad_text.use_count(), 1) << "a refused payload must not be held";
  EXPECT_THROW(client.send_shared(MessageType::Text, bad_text), Error);
}

TEST(SendShared, AnOwnerOfAnyBytesIsReleasedWhenTheConnectionEndsUnsent) {
  auto bytes = std::make_shared<std::vector<char>>(100, 'x');
  {
    Loop loop;
    // Refused, and reconnecting until destroyed: queued, never written.
    Options o;
    o.reconnect = true;
    Client client(loop, "ws://127.0.0.1:1/", o);
    EXPECT_EQ(client.try_send_shared(MessageType::Binary,
                                     std::string_view(bytes->data(), bytes->size()), bytes),
              Status::WSC_OK);
    EXPECT_GT(bytes.use_count(), 1);
  }
  EXPECT_EQ(bytes.use_count(), 1);
}

std::vector<EchoCase> all_cases() {
  std::vector<EchoCase> out;
  for (size_t n : {0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20}) {
    out.push_back({n, MessageType::Text});
    out.push_back({n, MessageType::Binary});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllSizes, EchoSizes, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<EchoCase> &info) {
                           return std::string(info.param.type == MessageType::Text ? "text_"
                                                                                   : "binary_") +
                                  std::to_string(info.param.size);
                         });

}  // namespace
}  // namespace wsc::testing
