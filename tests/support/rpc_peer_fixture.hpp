// One RPC peer process per test suite (a Python script in tests/peers) and,
// per test, a wsc::RpcClient speaking Protocol to it, with its callbacks
// recorded. Script must name an object with static storage:
//   constexpr char kPeer[] = "msgpack_rpc_peer.py";
//   class MyTest : public RpcPeerTest<RpcProtocol::MsgpackRpc, kPeer> {};
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>
#include <wsc/rpc.hpp>

#include "fixtures.hpp"

namespace wsc::testing {

template <RpcProtocol Protocol, const char *Script>
class RpcPeerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_ = std::make_unique<PeerProcess>(
        std::vector<std::string>{"/usr/bin/python3", source_dir() + "/tests/peers/" + Script});
  }
  static void TearDownTestSuite() { peer_.reset(); }

  void SetUp() override {
    RpcOptions rpc;
    rpc.protocol = Protocol;
    rpc_ = std::make_unique<RpcClient>(loop_, ws_url(peer_->port()), Options{}, rpc,
                                       recorder_.callbacks(false));
    ASSERT_EQ(rpc_->client().wait(State::Open, std::chrono::seconds(10)), Status::WSC_OK);
  }

  static inline std::unique_ptr<PeerProcess> peer_;
  Loop loop_;
  Recorder recorder_;
  std::unique_ptr<RpcClient> rpc_;
};

}  // namespace wsc::testing
