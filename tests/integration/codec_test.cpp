// Typed messages on wsc::Client (<wsc/codec/*.hpp>) through Debian's
// python3-websockets echo server over 127.0.0.1: a value sent comes back
// as the same value; a frame that is not the expected type is WSC_EDECODE
// and the connection stays up. Each codec is tested when its library was
// found (WSC_HAVE_JSON, WSC_HAVE_MSGPACK, WSC_HAVE_PROTOBUF).
#include <gtest/gtest.h>

#include <wsc/codec/codec.hpp>

#include "fixtures.hpp"

#if WSC_HAVE_JSON
#include <wsc/codec/json.hpp>
#endif
#if WSC_HAVE_MSGPACK
#include <wsc/codec/msgpack.hpp>
#endif
#if WSC_HAVE_PROTOBUF
#include <google/protobuf/struct.pb.h>

#include <wsc/codec/protobuf.hpp>
#endif

namespace wsc::testing {
namespace {

using namespace std::chrono_literals;

class CodecEcho : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = start_python_echo(); }
  static void TearDownTestSuite() { peer_.reset(); }

  void SetUp() override {
    client_ = std::make_unique<Client>(loop_, ws_url(peer_->port()));
    ASSERT_EQ(client_->wait(State::Open, 10s), Status::WSC_OK);
  }

  // Sends raw frames; each must come back as WSC_EDECODE for Codec's T,
  // with the connection still open afterwards.
  template <class Codec, class T>
  void expect_decode_errors(MessageType type, const std::vector<std::string> &frames) {
    for (const auto &f : frames) {
      client_->send(type, f);
      T value{};
      std::string why;
      EXPECT_EQ((codec::try_recv<Codec>(*client_, 10s, value, &why)), Status::WSC_EDECODE)
          << f.substr(0, 16);
      EXPECT_FALSE(why.empty());
    }
    EXPECT_EQ(client_->state(), State::Open);
  }

  static inline std::unique_ptr<PeerProcess> peer_;
  Loop loop_;
  std::unique_ptr<Client> client_;
};

#if WSC_HAVE_JSON
struct Chat {
  std::string user;
  std::string text;
  std::vector<int> seen;
  bool operator==(const Chat &o) const {
    return user == o.user && text == o.text && seen == o.seen;
  }
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Chat, user, text, seen)

TEST_F(CodecEcho, JsonValuesRoundTripAndBadFramesAreDecodeErrors) {
  const Chat chat{"ann", "h\u00e9llo", {1, 2, 3}};
  codec::send<codec::Json>(*client_, chat);
  EXPECT_EQ((codec::recv<codec::Json, Chat>(*client_, 10s)), chat);
  codec::send<codec::Json>(*client_, nlohmann::json{{"any", {1, "two", nullptr}}});
  EXPECT_EQ((codec::recv<codec::Json, nlohmann::json>(*client_, 10s))->at("any")[1], "two");

  expect_decode_errors<codec::Json, Chat>(MessageType::Text,
                                          {
                                              "not json",
                                              R"({"user": 5})",
                                              std::string(100000, '[') + std::string(100000, ']'),
                                              "[1, 2",
                                          });
  client_->send_text("{]");
  EXPECT_THROW((codec::recv<codec::Json, Chat>(*client_, 10s)), codec::DecodeError);
  codec::send<codec::Json>(*client_, chat);
  EXPECT_EQ((codec::recv<codec::Json, Chat>(*client_, 10s)), chat) << "the next one decodes";

  std::string why;
  EXPECT_EQ((codec::try_send<codec::Json>(*client_, std::string("\xff\xfe"), &why)),
            Status::WSC_EINVAL)
      << "invalid UTF-8 cannot be JSON text";
  EXPECT_FALSE(why.empty());
}

TEST_F(CodecEcho, JsonPushModeReportsDecodeErrorsThroughOnError) {
  std::mutex m;
  std::condition_variable cv;
  std::vector<Chat> chats;
  std::vector<Status> errors;
  Callbacks cb;
  cb.on_message = codec::on_message<codec::Json, Chat>(
      [&](Chat &&c) {
        std::lock_guard<std::mutex> lock(m);
        chats.push_back(std::move(c));
        cv.notify_all();
      },
      [&](Status s, std::string_view) {
        std::lock_guard<std::mutex> lock(m);
        errors.push_back(s);
        cv.notify_all();
      });
  Client push(loop_, ws_url(peer_->port()), Options{}, cb);
  ASSERT_EQ(push.wait(State::Open, 10s), Status::WSC_OK);
  push.send_text("garbage");
  codec::send<codec::Json>(push, Chat{"bob", "yo", {}});
  std::unique_lock<std::mutex> lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return chats.size() + errors.size() >= 2; }));
  EXPECT_EQ(errors, std::vector<Status>{Status::WSC_EDECODE});
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0].user, "bob");
  EXPECT_EQ(push.state(), State::Open);
}
#endif

#if WSC_HAVE_MSGPACK
struct Point {
  int x = 0;
  std::string label;
  bool operator==(const Point &o) const { return x == o.x && label == o.label; }
  MSGPACK_DEFINE(x, label);
};

TEST_F(CodecEcho, MsgpackValuesRoundTripAndBadFramesAreDecodeErrors) {
  codec::send<codec::Msgpack>(*client_, Point{7, "seven"});
  EXPECT_EQ((codec::recv<codec::Msgpack, Point>(*client_, 10s)), (Point{7, "seven"}));
  expect_decode_errors<codec::Msgpack, Point>(
      MessageType::Binary, {
                               "\xc1",                                  // never used
                               std::string("\xdd\xff\xff\xff\xff", 5),  // 2^32-1 elements
                               std::string(100000, '\x91') + '\x01',    // 100,000 nested
                               codec::Msgpack::encode(5),               // not an array
                               codec::Msgpack::encode(1) + codec::Msgpack::encode(2),
                           });
  codec::send<codec::Msgpack>(*client_, Point{8, "eight"});
  EXPECT_EQ((codec::recv<codec::Msgpack, Point>(*client_, 10s)), (Point{8, "eight"}));
}
#endif

#if WSC_HAVE_PROTOBUF
TEST_F(CodecEcho, ProtobufMessagesRoundTripAndBadFramesAreDecodeErrors) {
  google::protobuf::Struct s;
  (*s.mutable_fields())["n"].set_number_value(42);
  (*s.mutable_fields())["who"].set_string_value("ann");
  codec::send<codec::Protobuf>(*client_, s);
  const auto back = codec::recv<codec::Protobuf, google::protobuf::Struct>(*client_, 10s);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->fields().at("n").number_value(), 42);
  EXPECT_EQ(back->fields().at("who").string_value(), "ann");
  expect_decode_errors<codec::Protobuf, google::protobuf::Struct>(
      MessageType::Binary, {
                               std::string("\xff\xff\xff", 3),              // no valid tag
                               std::string("\x0a\xff\xff\xff\xff\x07", 6),  // 2 GiB claimed
                               std::string(100000, '\x0b'),                 // nested groups
                           });
  codec::send<codec::Protobuf>(*client_, s);
  EXPECT_TRUE((codec::recv<codec::Protobuf, google::protobuf::Struct>(*client_, 10s)));
}
#endif

}  // namespace
}  // namespace wsc::testing
