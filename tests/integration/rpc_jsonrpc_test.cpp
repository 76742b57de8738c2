// JSON-RPC 2.0 through wsc::RpcClient against peers no one here wrote: the
// npm `json-rpc-2.0` library behind Node `ws` (tests/peers/node/
// jsonrpc_peer.js), the npm `rpc-websockets` server
// (rpc_websockets_peer.js) and the npm `jayson` server behind Node `ws`
// (jayson_peer.js), over real sockets on 127.0.0.1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>
#include <wsc/rpc.hpp>

#include "fixtures.hpp"

namespace wsc::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// nullptr when the npm module the script needs is not installed.
std::unique_ptr<PeerProcess> start_node_peer(const std::string &script, const std::string &module) {
  const std::string node_dir = source_dir() + "/tests/peers/node";
  if (access((node_dir + "/node_modules/" + module).c_str(), F_OK) != 0) return nullptr;
  return std::make_unique<PeerProcess>(std::vector<std::string>{"node", node_dir + "/" + script});
}

// The error a call's future threw.
template <class E>
E thrown(std::future<std::string> f) {
  try {
    f.get();
  } catch (const E &e) {
    return e;
  }
  throw std::runtime_error("the call did not fail with the expected exception");
}

class JsonRpcPeer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { peer_ = start_node_peer("jsonrpc_peer.js", "json-rpc-2.0"); }
  static void TearDownTestSuite() { peer_.reset(); }
  void SetUp() override {
    if (!peer_) GTEST_SKIP() << "npm peers not installed (scripts/bootstrap.sh installs them)";
  }

  std::unique_ptr<RpcClient> connect(const RpcOptions &rpc = {}, Options options = {}) {
    auto client = std::make_unique<RpcClient>(loop_, ws_url(peer_->port()), options, rpc,
                                              recorder_.callbacks(false));
    EXPECT_EQ(client->client().wait(State::Open, 10s), Status::WSC_OK);
    return client;
  }

  size_t decode_errors() { return recorder_.error_count(Status::WSC_EDECODE); }

  static inline std::unique_ptr<PeerProcess> peer_;
  Loop loop_;
  Recorder recorder_;
};

// Checks every JSON-RPC peer here passes: its methods add, echo, fail
// (42 "nope" {"why": "asked to"}), note/notes are the same.
void expect_calls_return_their_results(RpcClient &rpc) {
  EXPECT_EQ(json::parse(rpc.call("add", "[2, 3]").get()), 5);
  const json params = {{"a", {1, "x", nullptr}}, {"ü", "ß"}};
  EXPECT_EQ(json::parse(rpc.call("echo", params.dump()).get()), params);
}

void expect_remote_errors(RpcClient &rpc) {
  const auto e = thrown<RpcCallError>(rpc.call("fail", "[]"));
  EXPECT_EQ(e.status(), Status::WSC_EREMOTE);
  EXPECT_EQ(e.error().code, 42);
  EXPECT_EQ(e.error().message, "nope");
  EXPECT_EQ(json::parse(e.error().data), json({{"why", "asked to"}}));

  const auto missing = thrown<RpcCallError>(rpc.call("no_such_method", "[]"));
  EXPECT_EQ(missing.error().code, -32601);
}

void expect_notifications_in_order(RpcClient &rpc) {
  rpc.notify("note", "[1]");
  rpc.notify("note", R"({"x": 2})");
  EXPECT_EQ(json::parse(rpc.call("notes", "").get()), json::parse(R"([[1], {"x": 2}])"));
}

void expect_batch_answers_reach_each_call(RpcClient &rpc) {
  std::promise<RpcResponse> a, b, c;
  std::vector<RpcClient::BatchCall> calls;
  calls.push_back({"add", "[1, 2]", [&](RpcResponse &&r) { a.set_value(std::move(r)); }});
  calls.push_back({"fail", "[]", [&](RpcResponse &&r) { b.set_value(std::move(r)); }});
  calls.push_back({"echo", R"(["x"])", [&](RpcResponse &&r) { c.set_value(std::move(r)); }});
  rpc.call_batch(std::move(calls));
  const RpcResponse ra = a.get_future().get(), rb = b.get_future().get(), rc = c.get_future().get();
  EXPECT_EQ(ra.status, Status::WSC_OK);
  EXPECT_EQ(json::parse(ra.result), 3);
  EXPECT_EQ(rb.status, Status::WSC_EREMOTE);
  EXPECT_EQ(rb.error.code, 42);
  EXPECT_EQ(json::parse(rc.result), json({"x"}));
}

// "drop" ends the TCP connection without a Close.
void expect_connection_loss_fails_sent_calls(RpcClient &rpc) {
  auto slow = rpc.call("slow", "[5000, 1]");
  const auto start = std::chrono::steady_clock::now();
  rpc.call("drop", "[]").get();
  EXPECT_EQ(thrown<Error>(std::move(slow)).status(), Status::WSC_ELOST);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(rpc.try_call("add", "[1, 1]", [](RpcResponse &&) {}), Status::WSC_ECLOSED);
}

// 8 threads make 125 echo calls each, all outstanding at once; returns how
// many answers matched their call.
int thousand_concurrent_calls_matched(RpcClient &rpc) {
  constexpr int kThreads = 8, kPerThread = 125;
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<json, std::future<std::string>>> calls;
      for (int i = 0; i < kPerThread; ++i) {
        json params = {t, i, std::string(static_cast<size_t>(i % 7) * 10, 'x')};
        auto f = rpc.call("echo", params.dump());
        calls.emplace_back(std::move(params), std::move(f));
      }
      for (auto &[params, f] : calls) matched += json::parse(f.get()) == params;
    });
  }
  for (auto &t : threads) t.join();
  return matched.load();
}

TEST_F(JsonRpcPeer, CallsReturnTheirResults) { expect_calls_return_their_results(*connect()); }

TEST_F(JsonRpcPeer, PeerErrorsArriveAsRemoteErrors) { expect_remote_errors(*connect()); }

TEST_F(JsonRpcPeer, NotificationsReachThePeerInOrder) { expect_notifications_in_order(*connect()); }

TEST_F(JsonRpcPeer, PeerCallsTheClientsHandlers) {
  auto rpc = connect();
  rpc->on("client.double", [](std::string_view params) {
    return RpcReply::success(std::to_string(json::parse(params).at(0).get<int>() * 2));
  });
  rpc->on("client.refuse",
          [](std::string_view) { return RpcReply::failure(7, "refused", R"({"k": 1})"); });
  rpc->on("client.throw", [](std::string_view) -> RpcReply { throw std::runtime_error("boom"); });

  auto ask = [&](const char *method) {
    return json::parse(rpc->call("ask_client", json({method, {21}}).dump()).get());
  };
  EXPECT_EQ(ask("client.double"), json({{"result", 42}}));
  const json refused = ask("client.refuse");
  EXPECT_EQ(refused["code"], 7);
  EXPECT_EQ(refused["message"], "refused");
  EXPECT_EQ(refused["data"], json({{"k", 1}}));
  EXPECT_EQ(ask("client.throw")["code"], -32603);
  EXPECT_EQ(ask("client.missing")["code"], -32601);
  rpc->on("client.double", nullptr);
  EXPECT_EQ(ask("client.double")["code"], -32601);
}

TEST_F(JsonRpcPeer, HandlersMayAnswerLaterFromAnotherThread) {
  auto rpc = connect();
  std::mutex mutex;
  std::vector<std::thread> workers;
  auto later = [&](auto work) {
    std::lock_guard<std::mutex> lock(mutex);
    workers.emplace_back(std::move(work));
    return RpcReply::deferred();
  };
  rpc->on_deferrable("client.later", [&](std::string_view params, RpcResponder &responder) {
    const int x = json::parse(params).at(0).get<int>();
    return later([x, r = std::move(responder)]() mutable {
      std::this_thread::sleep_for(50ms);
      EXPECT_EQ(r.result(std::to_string(x * 2)), Status::WSC_OK);
      EXPECT_EQ(r.result("1"), Status::WSC_ESTATE) << "a second answer";
    });
  });
  rpc->on_deferrable("client.refuse_later", [&](std::string_view, RpcResponder &responder) {
    return later([r = std::move(responder)]() mutable {
      EXPECT_EQ(r.error({7, "later", R"({"k": 1})"}), Status::WSC_OK);
    });
  });
  rpc->on_deferrable("client.invalid_later", [&](std::string_view, RpcResponder &responder) {
    return later([r = std::move(responder)]() mutable {
      EXPECT_EQ(r.result("{not json"), Status::WSC_EINVAL);
    });
  });
  rpc->on_deferrable("client.dropped", [](std::string_view, RpcResponder &responder) {
    RpcResponder gone = std::move(responder);  // never answers
    return RpcReply::deferred();
  });
  rpc->on_deferrable("client.now",
                     [](std::string_view, RpcResponder &) { return RpcReply::success("\"now\""); });

  auto ask = [&](const char *method) {
    return json::parse(rpc->call("ask_client", json({method, {21}}).dump()).get());
  };
  EXPECT_EQ(ask("client.later"), json({{"result", 42}}));
  const json refused = ask("client.refuse_later");
  EXPECT_EQ(refused["code"], 7);
  EXPECT_EQ(refused["data"], json({{"k", 1}}));
  EXPECT_EQ(ask("client.invalid_later")["code"], -32603);
  EXPECT_EQ(ask("client.dropped")["code"], -32603);
  EXPECT_EQ(ask("client.now"), json({{"result", "now"}}));
  std::lock_guard<std::mutex> lock(mutex);
  for (auto &w : workers) w.join();
}

TEST_F(JsonRpcPeer, ServerNotificationsReachHandlers) {
  auto rpc = connect();
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<json> seen;
  rpc->on("server.event", [&](std::string_view params) {
    std::lock_guard<std::mutex> lock(mutex);
    seen.push_back(json::parse(params));
    cv.notify_all();
    return RpcReply::success("");
  });
  EXPECT_EQ(json::parse(rpc->call("notify_me", R"(["server.event", {"n": 1}])").get()), true);
  std::unique_lock<std::mutex> lock(mutex);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen.at(0), json({{"n", 1}}));
}

TEST_F(JsonRpcPeer, BatchAnswersReachEachCall) { expect_batch_answers_reach_each_call(*connect()); }

TEST_F(JsonRpcPeer, DeadlinePassesThenTheLateAnswerIsReported) {
  auto rpc = connect();
  const auto start = std::chrono::steady_clock::now();
  const auto e = thrown<Error>(rpc->call("slow", "[600, 1]", 100ms));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(e.status(), Status::WSC_ETIMEDOUT);
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 500ms);
  // The late answer matches no call: a decode error, and the connection stays.
  ASSERT_TRUE(recorder_.wait_for([&] { return !recorder_.errors.empty(); }, 5s));
  EXPECT_EQ(decode_errors(), 1u);
  EXPECT_EQ(json::parse(rpc->call("add", "[1, 1]").get()), 2);
}

// Each call that ended is counted in the loop's metrics by how it ended.
TEST_F(JsonRpcPeer, CallsAreCountedInTheMetricsByOutcome) {
  auto rpc = connect();
  EXPECT_EQ(json::parse(rpc->call("add", "[2, 3]").get()), 5);
  EXPECT_EQ(json::parse(rpc->call("add", "[1, 1]").get()), 2);
  EXPECT_EQ(thrown<RpcCallError>(rpc->call("fail", "[]")).status(), Status::WSC_EREMOTE);
  EXPECT_EQ(thrown<Error>(rpc->call("slow", "[600, 1]", 50ms)).status(), Status::WSC_ETIMEDOUT);
  const std::string text = loop_.metrics_text();
  const std::string series =
      "wsc_rpc_calls_total{endpoint=\"127.0.0.1:" + std::to_string(peer_->port()) + "\",status=";
  EXPECT_NE(text.find(series + "\"WSC_OK\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find(series + "\"WSC_EREMOTE\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(series + "\"WSC_ETIMEDOUT\"} 1\n"), std::string::npos) << text;
}

TEST_F(JsonRpcPeer, ConnectionLossFailsSentCallsPromptly) {
  expect_connection_loss_fails_sent_calls(*connect());
}

TEST_F(JsonRpcPeer, CloseFailsOutstandingCalls) {
  auto rpc = connect();
  auto slow = rpc->call("slow", "[5000, 1]");
  rpc->client().close();
  EXPECT_EQ(thrown<Error>(std::move(slow)).status(), Status::WSC_ECLOSED);
}

TEST_F(JsonRpcPeer, DestroyingTheClientFailsOutstandingCalls) {
  auto rpc = connect();
  auto slow = rpc->call("slow", "[5000, 1]");
  rpc.reset();
  EXPECT_EQ(thrown<Error>(std::move(slow)).status(), Status::WSC_ECLOSED);
}

TEST_F(JsonRpcPeer, CallsMadeWhileReconnectingWaitForTheNewConnection) {
  Options options;
  options.reconnect = true;
  options.reconnect_min = 300ms;
  options.reconnect_max = 300ms;
  auto rpc = connect({}, options);
  rpc->call("drop", "[]").get();
  ASSERT_TRUE(recorder_.wait_for([&] {
    for (auto &[from, to] : recorder_.states)
      if (to == State::Reconnecting) return true;
    return false;
  }));
  auto sum = rpc->call("add", "[20, 22]", 5s);
  EXPECT_EQ(json::parse(sum.get()), 42);
}

TEST_F(JsonRpcPeer, WithoutWaitForReconnectCallsFailAtOnce) {
  Options options;
  options.reconnect = true;
  options.reconnect_min = 2000ms;
  options.reconnect_max = 2000ms;
  RpcOptions rpc_options;
  rpc_options.wait_for_reconnect = false;
  auto rpc = connect(rpc_options, options);
  rpc->call("drop", "[]").get();
  ASSERT_TRUE(recorder_.wait_for([&] { return rpc->client().state() == State::Reconnecting; }));
  EXPECT_EQ(rpc->try_call("add", "[1, 1]", [](RpcResponse &&) {}), Status::WSC_ESTATE);
}

TEST_F(JsonRpcPeer, CallsWaitBoundedByTheirDeadlineForAConnection) {
  // A server that accepts TCP and never answers the upgrade.
  SilentListener silent;
  RpcClient rpc(loop_, ws_url(silent.port()), {}, {}, recorder_.callbacks(false));
  const auto e = thrown<Error>(rpc.call("add", "[1, 1]", 200ms));
  EXPECT_EQ(e.status(), Status::WSC_ETIMEDOUT);
  EXPECT_NE(std::string(e.what()).find("did not open"), std::string::npos) << e.what();
}

TEST_F(JsonRpcPeer, OutstandingCallsAreBounded) {
  RpcOptions rpc_options;
  rpc_options.max_outstanding = 2;
  auto rpc = connect(rpc_options);
  auto a = rpc->call("slow", "[300, 1]");
  auto b = rpc->call("slow", "[300, 2]");
  EXPECT_EQ(rpc->try_call("add", "[1, 1]", [](RpcResponse &&) {}), Status::WSC_EAGAIN);
  EXPECT_EQ(a.get(), "1");
  EXPECT_EQ(b.get(), "2");
  EXPECT_EQ(rpc->call("add", "[1, 1]").get(), "2");
}

TEST_F(JsonRpcPeer, ThousandConcurrentCallsFromEightThreadsAreMatched) {
  auto rpc = connect();
  EXPECT_EQ(thousand_concurrent_calls_matched(*rpc), 1000);
  EXPECT_EQ(decode_errors(), 0u);
}

TEST_F(JsonRpcPeer, HostilePayloadsAreDecodeErrorsAndTheConnectionStays) {
  auto rpc = connect();
  EXPECT_EQ(rpc->call("echo", "[1]").get(), "[1]");  // call 1, answered
  const std::vector<std::string> frames = {
      R"({"jsonrpc":"2.0","id":1,"res)",                    // truncated
      std::string(100000, '[') + std::string(100000, ']'),  // 100,000 deep
      R"({"jsonrpc":"2.0","id":"1","result":1})",           // id of the wrong type
      R"({"jsonrpc":"2.0","id":1.5,"result":1})",
      R"({"jsonrpc":"2.0","id":-1,"result":1})",
      R"({"jsonrpc":"2.0","id":123456,"result":1})",   // never sent
      R"({"jsonrpc":"2.0","id":1,"result":"again"})",  // duplicate answer
      R"({"jsonrpc":"2.0","result":1})",               // no id
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})",
      R"({"jsonrpc":"2.0","method":17})",           // method not a string
      R"({"jsonrpc":"2.0","id":{},"method":"x"})",  // request id of the wrong type
      "42",
      "[]",
      "[1, 2]",  // batch of non-objects: 2 errors
      "{}",
      "\"" + std::string(4 << 20, 'a') + "\"",  // a 4 MiB string
  };
  constexpr size_t kExpected = 18;  // "[1, 2]" is two, the binary frame one
  EXPECT_EQ(rpc->call("raw", json(frames).dump()).get(), "true");
  EXPECT_EQ(rpc->call("raw_binary", json({"[1]"}).dump()).get(), "true");
  ASSERT_TRUE(recorder_.wait_for([&] { return recorder_.errors.size() >= kExpected; }, 10s));
  EXPECT_EQ(decode_errors(), kExpected);
  EXPECT_EQ(rpc->client().state(), State::Open);
  EXPECT_EQ(json::parse(rpc->call("add", "[2, 2]").get()), 4);
  std::lock_guard<std::mutex> lock(recorder_.mutex);
  EXPECT_EQ(recorder_.closes, 0);
}

TEST_F(JsonRpcPeer, BadArgumentsAreRefusedWithoutACall) {
  auto rpc = connect();
  auto none = [](RpcResponse &&) {};
  EXPECT_EQ(rpc->try_call("", "[]", none), Status::WSC_EINVAL);
  EXPECT_EQ(rpc->try_call("add", "5", none), Status::WSC_EINVAL);  // not array/object
  EXPECT_EQ(rpc->try_call("add", "[1,", none), Status::WSC_EINVAL);
  EXPECT_EQ(rpc->try_call("add", "[]", nullptr), Status::WSC_EINVAL);
  EXPECT_EQ(rpc->try_call("\xff", "[]", none), Status::WSC_EINVAL);  // not UTF-8
  EXPECT_EQ(rpc->try_notify("note", "{"), Status::WSC_EINVAL);
  EXPECT_EQ(json::parse(rpc->call("add", "[1, 1]").get()), 2);
}

// ---- rpc-websockets ---------------------------------------------------------

class RpcWebsocketsPeer : public JsonRpcPeer {
 protected:
  static void SetUpTestSuite() {
    peer_ = start_node_peer("rpc_websockets_peer.js", "rpc-websockets");
  }
};

TEST_F(RpcWebsocketsPeer, CallsErrorsAndMissingMethods) {
  auto rpc = connect();
  EXPECT_EQ(json::parse(rpc->call("sum", "[1, 2, 3]").get()), 6);
  const auto e = thrown<RpcCallError>(rpc->call("fail", "[]"));
  EXPECT_EQ(e.error().code, -32000);
  EXPECT_EQ(json::parse(e.error().data), "it failed");
  EXPECT_EQ(thrown<RpcCallError>(rpc->call("missing", "[]")).error().code, -32601);
}

TEST_F(RpcWebsocketsPeer, SubscribedEventsReachHandlers) {
  auto rpc = connect();
  std::promise<std::string> tick;
  rpc->on("tick", [&](std::string_view params) {
    tick.set_value(std::string(params));
    return RpcReply::success("");
  });
  EXPECT_EQ(json::parse(rpc->call("rpc.on", R"(["tick"])").get()), json({{"tick", "ok"}}));
  EXPECT_EQ(json::parse(rpc->call("emit_tick", "[5]").get()), true);
  auto f = tick.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(json::parse(f.get()), json({{"n", 5}}));
}

TEST_F(RpcWebsocketsPeer, BatchCalls) {
  auto rpc = connect();
  std::promise<std::string> a, b;
  std::vector<RpcClient::BatchCall> calls;
  calls.push_back({"sum", "[1, 2]", [&](RpcResponse &&r) { a.set_value(r.result); }});
  calls.push_back({"sum", "[3, 4]", [&](RpcResponse &&r) { b.set_value(r.result); }});
  rpc->call_batch(std::move(calls));
  EXPECT_EQ(a.get_future().get(), "3");
  EXPECT_EQ(b.get_future().get(), "7");
}

class JaysonPeer : public JsonRpcPeer {
 protected:
  static void SetUpTestSuite() { peer_ = start_node_peer("jayson_peer.js", "jayson"); }
};

TEST_F(JaysonPeer, CallsReturnTheirResults) { expect_calls_return_their_results(*connect()); }

TEST_F(JaysonPeer, PeerErrorsArriveAsRemoteErrors) { expect_remote_errors(*connect()); }

TEST_F(JaysonPeer, NotificationsReachThePeerInOrder) { expect_notifications_in_order(*connect()); }

TEST_F(JaysonPeer, BatchAnswersReachEachCall) { expect_batch_answers_reach_each_call(*connect()); }

TEST_F(JaysonPeer, ThousandConcurrentCallsFromEightThreadsAreMatched) {
  auto rpc = connect();
  EXPECT_EQ(thousand_concurrent_calls_matched(*rpc), 1000);
  EXPECT_EQ(decode_errors(), 0u);
}

TEST_F(JaysonPeer, ConnectionLossFailsSentCallsPromptly) {
  expect_connection_loss_fails_sent_calls(*connect());
}

}  // namespace
}  // namespace wsc::testing
