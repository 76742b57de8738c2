// The protobuf envelope protocol (proto/wsc_envelope.proto) through
// wsc::RpcClient against a Python websockets + python3-protobuf peer that
// compiles the same .proto at start (tests/peers/protobuf_rpc_peer.py), over
// real sockets on 127.0.0.1. Payloads are protobuf well-known types.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <wsc/rpc.hpp>

#include "rpc_peer_fixture.hpp"

namespace wsc::testing {
namespace {

using namespace std::chrono_literals;
using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// Envelope kinds (proto/wsc_envelope.proto). The test writes envelopes by
// hand: libwsc registers the generated Envelope in protobuf's global pool,
// and a second generated copy in this program would collide with it.
enum Kind : uint64_t { KIND_UNSPECIFIED = 0, REQUEST = 1, RESPONSE = 2, EVENT = 3, ERROR = 4 };

Value number(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}

Value text(const std::string &s) {
  Value v;
  v.set_string_value(s);
  return v;
}

std::string params(std::initializer_list<Value> values) {
  ListValue list;
  for (const Value &v : values) *list.add_values() = v;
  return list.SerializeAsString();
}

template <class M>
M parse(const std::string &bytes) {
  M m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

void varint(std::string &out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out += static_cast<char>(v | 0x80);
  out += static_cast<char>(v);
}

// Fields 1 (kind), 2 (id) and 3 (type) of an Envelope, as protobuf encodes them.
std::string envelope(uint64_t kind, uint64_t id, const std::string &type = "") {
  std::string e;
  e += '\x08';
  varint(e, kind);
  e += '\x10';
  varint(e, id);
  if (!type.empty()) {
    e += '\x1a';
    varint(e, type.size());
    e += type;
  }
  return e;
}

constexpr char kPeer[] = "protobuf_rpc_peer.py";

class ProtobufRpcPeer : public RpcPeerTest<RpcProtocol::ProtobufEnvelope, kPeer> {
 protected:
  bool send_raw(const std::string &frame) {
    google::protobuf::BytesValue b;
    b.set_value(frame);
    return parse<Value>(rpc_->call("raw", b.SerializeAsString()).get()).bool_value();
  }
};

TEST_F(ProtobufRpcPeer, CallsErrorsAndEvents) {
  EXPECT_EQ(parse<Value>(rpc_->call("add", params({number(2), number(3)})).get()).number_value(),
            5);
  const std::string opaque = params({text("\xc3\xbc"), number(1.5)});
  EXPECT_EQ(rpc_->call("echo", opaque).get(), opaque);
  try {
    rpc_->call("fail", "").get();
    FAIL() << "fail answered a result";
  } catch (const RpcCallError &e) {
    EXPECT_EQ(e.error().code, 42);
    EXPECT_EQ(e.error().message, "nope");
    EXPECT_EQ(parse<google::protobuf::StringValue>(e.error().data).value(), "asked to");
  }
  rpc_->notify("note", params({number(7)}));
  const auto notes = parse<ListValue>(rpc_->call("notes", "").get());
  ASSERT_EQ(notes.values_size(), 1);
  EXPECT_EQ(notes.values(0).list_value().values(0).number_value(), 7);
  try {
    rpc_->call("no.such.type", "").get();
    FAIL() << "an unknown type answered";
  } catch (const RpcCallError &e) {
    EXPECT_EQ(e.error().code, -32601);
  }
}

TEST_F(ProtobufRpcPeer, PeerRequestsAndEventsReachHandlers) {
  rpc_->on("client.double", [](std::string_view p) {
    const auto list = parse<ListValue>(std::string(p));
    return RpcReply::success(number(list.values(0).number_value() * 2).SerializeAsString());
  });
  std::promise<std::string> event;
  rpc_->on("server.event", [&](std::string_view p) {
    event.set_value(std::string(p));
    return RpcReply::success("");
  });
  auto ask = [&](const char *type) {
    return parse<Struct>(rpc_->call("ask_client", params({text(type), number(21)})).get());
  };
  EXPECT_EQ(ask("client.double").fields().at("result").number_value(), 42);
  EXPECT_EQ(ask("client.missing").fields().at("code").number_value(), -32601);

  EXPECT_TRUE(parse<Value>(rpc_->call("notify_me", params({text("server.event"), text("a")})).get())
                  .bool_value());
  auto f = event.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(parse<ListValue>(f.get()).values(0).string_value(), "a");
}

TEST_F(ProtobufRpcPeer, ThousandConcurrentCallsFromEightThreadsAreMatched) {
  constexpr int kThreads = 8, kPerThread = 125;
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<std::string>> calls;
      for (int i = 0; i < kPerThread; ++i)
        calls.push_back(rpc_->call("echo", params({number(t), number(i)})));
      for (int i = 0; i < kPerThread; ++i) {
        const auto got = parse<ListValue>(calls[i].get());
        matched += got.values(0).number_value() == t && got.values(1).number_value() == i;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(matched.load(), kThreads * kPerThread);
}

TEST_F(ProtobufRpcPeer, HostileFramesAreDecodeErrorsAndTheConnectionStays) {
  // Call 1; its id answered again below is a duplicate.
  EXPECT_EQ(parse<Value>(rpc_->call("add", params({number(1), number(1)})).get()).number_value(),
            2);
  const std::vector<std::string> frames = {
      std::string("\xff\xff\xff", 3),              // not protobuf
      std::string("\x08", 1),                      // truncated varint
      std::string("\x22\xff\xff\xff\xff\x07", 6),  // payload claiming 2 GiB
      std::string(100000, '\x0b'),                 // 100,000 nested groups
      envelope(KIND_UNSPECIFIED, 1),               // no kind
      envelope(9, 1),                              // unknown kind
      envelope(REQUEST, 0, "m"),                   // request without an id
      envelope(REQUEST, 5),                        // request without a type
      envelope(EVENT, 0),                          // event without a type
      envelope(RESPONSE, 99999),                   // never sent
      envelope(RESPONSE, 1),                       // duplicate answer
  };
  for (const auto &f : frames) EXPECT_TRUE(send_raw(f));
  google::protobuf::StringValue t;
  t.set_value("text");
  EXPECT_TRUE(parse<Value>(rpc_->call("raw_text", t.SerializeAsString()).get()).bool_value());
  const size_t expected = frames.size() + 1;
  ASSERT_TRUE(recorder_.wait_for([&] { return recorder_.errors.size() >= expected; }, 10s));
  EXPECT_EQ(recorder_.error_count(Status::WSC_EDECODE), expected);
  EXPECT_EQ(rpc_->client().state(), State::Open);
  EXPECT_EQ(parse<Value>(rpc_->call("add", params({number(2), number(2)})).get()).number_value(),
            4);
}

TEST_F(ProtobufRpcPeer, ConnectionLossFailsSentCalls) {
  auto slow = rpc_->call("slow", params({number(5000), number(1)}));
  rpc_->call("drop", "").get();
  try {
    slow.get();
    FAIL() << "the slow call answered";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), Status::WSC_ELOST);
  }
}

}  // namespace
}  // namespace wsc::testing
