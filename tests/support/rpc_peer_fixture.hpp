// One RPC peer process per test suite (a script in tests/peers: Python, or
// a Node one in tests/peers/node, skipped until npm install ran there) and,
// per test, a wsc::RpcClient speaking Protocol to it, with its callbacks
// recorded. Script must name an object with static storage:
//   constexpr char kPeer[] = "msgpack_rpc_peer.py";  // or "node/....js"
//   class MyTest : public RpcPeerTest<RpcProtocol::MsgpackRpc, kPeer> {};
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

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
    const std::string script = source_dir() + "/tests/peers/" + Script;
    if (script.size() < 3 || script.compare(script.size() - 3, 3, ".js") != 0) {
      peer_ = std::make_unique<PeerProcess>(std::vector<std::string>{"/usr/bin/python3", script});
    } else if (access((source_dir() + "/tests/peers/node/node_modules").c_str(), F_OK) == 0) {
      peer_ = std::make_unique<PeerProcess>(std::vector<std::string>{"node", script});
    }
  }
  static void TearDownTestSuite() { peer_.reset(); }

  void SetUp() override {
    if (!peer_) GTEST_SKIP() << "npm peers not installed (scripts/bootstrap.sh installs them)";
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
