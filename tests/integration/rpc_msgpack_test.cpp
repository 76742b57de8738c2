// MessagePack-RPC through wsc::RpcClient against peers written from the
// spec on python3-websockets + python3-msgpack (tests/peers/
// msgpack_rpc_peer.py) and on Node ws + npm @msgpack/msgpack
// (tests/peers/node/msgpack_rpc_peer.js), over real sockets on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <msgpack.hpp>
#include <thread>
#include <wsc/rpc.hpp>

#include "rpc_peer_fixture.hpp"

namespace wsc::testing {
namespace {

using namespace std::chrono_literals;
using IntText = std::tuple<int, std::string>;
const msgpack::type::nil_t nil;

template <class T>
std::string pack(const T &value) {
  msgpack::sbuffer b;
  msgpack::pack(b, value);
  return std::string(b.data(), b.size());
}

template <class T>
T unpack(const std::string &bytes) {
  return msgpack::unpack(bytes.data(), bytes.size())->as<T>();
}

constexpr char kPythonPeer[] = "msgpack_rpc_peer.py";
constexpr char kNodePeer[] = "node/msgpack_rpc_peer.js";

template <const char *Script>
class MsgpackPeer : public RpcPeerTest<RpcProtocol::MsgpackRpc, Script> {
 protected:
  size_t decode_errors() { return this->recorder_.error_count(Status::WSC_EDECODE); }
};

// The tests both peers pass; the Python peer also sends hostile frames.
template <class Peer>
class EveryMsgpackRpcPeer : public Peer {};
using Peers = ::testing::Types<MsgpackPeer<kPythonPeer>, MsgpackPeer<kNodePeer>>;
TYPED_TEST_SUITE(EveryMsgpackRpcPeer, Peers);
using MsgpackRpcPeer = MsgpackPeer<kPythonPeer>;

TYPED_TEST(EveryMsgpackRpcPeer, CallsErrorsAndNotifications) {
  auto &rpc_ = this->rpc_;
  EXPECT_EQ(unpack<int>(rpc_->call("add", pack(std::make_tuple(2, 3))).get()), 5);
  const auto echoed = unpack<std::tuple<std::string, std::vector<int>, bool>>(
      rpc_->call("echo", pack(std::make_tuple("ü", std::vector<int>{1, 2}, true))).get());
  EXPECT_EQ(echoed, std::make_tuple(std::string("ü"), std::vector<int>{1, 2}, true));
  try {
    rpc_->call("fail", pack(std::vector<int>{})).get();
    FAIL() << "fail answered a result";
  } catch (const RpcCallError &e) {
    EXPECT_EQ(e.error().code, 42);
    EXPECT_EQ(e.error().message, "nope");
    EXPECT_EQ(unpack<IntText>(e.error().data), IntText(42, "nope"));
  }
  rpc_->notify("note", pack(std::make_tuple(7)));
  EXPECT_EQ(unpack<std::vector<std::vector<int>>>(rpc_->call("notes", "").get()),
            std::vector<std::vector<int>>{{7}});
  EXPECT_EQ(rpc_->try_call("add", pack(5), [](RpcResponse &&) {}), Status::WSC_EINVAL)
      << "params must be an array";
}

TYPED_TEST(EveryMsgpackRpcPeer, PeerRequestsAndNotificationsReachHandlers) {
  auto &rpc_ = this->rpc_;
  rpc_->on("client.double", [](std::string_view params) {
    const auto [x] = unpack<std::tuple<int>>(std::string(params));
    return RpcReply::success(pack(x * 2));
  });
  std::promise<std::string> event;
  rpc_->on("server.event", [&](std::string_view params) {
    event.set_value(std::string(params));
    return RpcReply::success("");
  });
  auto ask = [&](const char *method) {
    return rpc_->call("ask_client", pack(std::make_tuple(method, std::make_tuple(21)))).get();
  };
  const std::string doubled = ask("client.double");
  const auto answer = msgpack::unpack(doubled.data(), doubled.size());
  EXPECT_EQ(answer->via.map.ptr[0].key.as<std::string>(), "result");
  EXPECT_EQ(answer->via.map.ptr[0].val.as<int>(), 42);
  const std::string missing = ask("client.missing");
  const auto error = msgpack::unpack(missing.data(), missing.size());
  EXPECT_EQ(error->via.map.ptr[0].key.as<std::string>(), "error");
  EXPECT_EQ(error->via.map.ptr[0].val.via.array.ptr[0].as<int>(), -32601);

  EXPECT_TRUE(unpack<bool>(
      rpc_->call("notify_me", pack(std::make_tuple("server.event", std::make_tuple(1, "a"))))
          .get()));
  auto f = event.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(unpack<IntText>(f.get()), IntText(1, "a"));
}

TYPED_TEST(EveryMsgpackRpcPeer, ThousandConcurrentCallsFromEightThreadsAreMatched) {
  auto &rpc_ = this->rpc_;
  constexpr int kThreads = 8, kPerThread = 125;
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<std::string>> calls;
      for (int i = 0; i < kPerThread; ++i)
        calls.push_back(rpc_->call("echo", pack(std::make_tuple(t, i))));
      for (int i = 0; i < kPerThread; ++i)
        matched += unpack<std::tuple<int, int>>(calls[i].get()) == std::make_tuple(t, i);
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(matched.load(), kThreads * kPerThread);
}

TEST_F(MsgpackRpcPeer, HostileFramesAreDecodeErrorsAndTheConnectionStays) {
  EXPECT_EQ(unpack<int>(rpc_->call("add", pack(std::make_tuple(1, 1))).get()), 2);  // call 1
  const std::vector<std::string> frames = {
      "\x94\x01",                               // truncated
      "\xc1",                                   // a byte msgpack never uses
      std::string(100000, '\x91') + '\x01',     // 100,000 nested arrays
      std::string("\xdd\xff\xff\xff\xff", 5),   // an array claiming 2^32-1 elements
      std::string("\xdf\xff\xff\xff\xff", 5),   // a map claiming as many pairs
      std::string("\xdb\xff\xff\xff\xff", 5),   // a string claiming 4 GiB
      pack(std::make_tuple(1, "x", nil, 1)),    // msgid of the wrong type
      pack(std::make_tuple(1, 99999, nil, 1)),  // never sent
      pack(std::make_tuple(1, 1, nil, 1)),      // duplicate answer
      pack(std::make_tuple(5, 1, 2)),           // unknown type
      pack(std::make_tuple(0, 1, 2, 3)),        // request with a method not a string
      pack(std::make_tuple(2, "m", 3)),         // params not an array
      pack(1) + pack(2),                        // bytes after the message
      pack(std::string(1 << 20, 'a')),          // 1 MiB string, not a message
  };
  std::vector<std::vector<char>> raw;
  for (const auto &f : frames) raw.emplace_back(f.begin(), f.end());
  EXPECT_TRUE(unpack<bool>(rpc_->call("raw", pack(raw)).get()));  // bin: vector<char>
  EXPECT_TRUE(unpack<bool>(rpc_->call("raw_text", pack(std::vector<std::string>{"[1]"})).get()));
  const size_t expected = frames.size() + 1;
  ASSERT_TRUE(recorder_.wait_for([&] { return recorder_.errors.size() >= expected; }, 10s));
  EXPECT_EQ(decode_errors(), expected);
  EXPECT_EQ(rpc_->client().state(), State::Open);
  EXPECT_EQ(unpack<int>(rpc_->call("add", pack(std::make_tuple(2, 2))).get()), 4);
}

TYPED_TEST(EveryMsgpackRpcPeer, ConnectionLossFailsSentCalls) {
  auto &rpc_ = this->rpc_;
  auto slow = rpc_->call("slow", pack(std::make_tuple(5000, 1)));
  rpc_->call("drop", pack(std::vector<int>{})).get();
  try {
    slow.get();
    FAIL() << "the slow call answered";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), Status::WSC_ELOST);
  }
}

}  // namespace
}  // namespace wsc::testing
