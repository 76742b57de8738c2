// The RPC part of the C ABI (<wsc/wsc_rpc.h>) through the shared libwsc:
// argument checks, blocking and callback calls, handlers and batches
// against the npm json-rpc-2.0 peer (tests/peers/node/jsonrpc_peer.js).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fixtures.hpp"
#include "wsc_rpc.h"

namespace wsc::testing {
namespace {

std::string text(const wsc_rpc_result *r) {
  return std::string(reinterpret_cast<const char *>(r->data), r->len);
}

TEST(CapiRpcArgs, EveryFunctionChecksItsArguments) {
  wsc_rpc_config cfg;
  EXPECT_EQ(wsc_rpc_config_init(nullptr), WSC_EINVAL);
  ASSERT_EQ(wsc_rpc_config_init(&cfg), WSC_OK);
  EXPECT_EQ(cfg.default_timeout_ms, 30000);
  wsc_rpc *rpc = reinterpret_cast<wsc_rpc *>(&cfg);  // must never be touched
  EXPECT_EQ(
      wsc_rpc_connect(nullptr, "ws://127.0.0.1:1/", nullptr, nullptr, nullptr, nullptr, nullptr),
      WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_connect(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &rpc),
            WSC_EINVAL);
  EXPECT_EQ(rpc, nullptr);
  wsc_rpc_config bad = cfg;
  bad.struct_size = 3;
  EXPECT_EQ(wsc_rpc_connect(nullptr, "ws://127.0.0.1:1/", nullptr, &bad, nullptr, nullptr, &rpc),
            WSC_EINVAL);
  bad = cfg;
  bad.protocol = 99;
  EXPECT_EQ(wsc_rpc_connect(nullptr, "ws://127.0.0.1:1/", nullptr, &bad, nullptr, nullptr, &rpc),
            WSC_EINVAL);
  EXPECT_NE(std::string(wsc_last_error_detail()).find("protocol"), std::string::npos);
  bad = cfg;
  bad.max_outstanding = 0;
  EXPECT_EQ(wsc_rpc_connect(nullptr, "ws://127.0.0.1:1/", nullptr, &bad, nullptr, nullptr, &rpc),
            WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_connect(nullptr, "http://x/", nullptr, &cfg, nullptr, nullptr, &rpc),
            WSC_EINVAL);

  auto done = [](wsc_rpc *, const wsc_rpc_result *, void *) {};
  wsc_rpc_result *result = nullptr;
  EXPECT_EQ(wsc_rpc_call(nullptr, "m", "[]", 2, -1, done, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_call_wait(nullptr, "m", "[]", 2, -1, &result), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_call_wait(nullptr, "m", "[]", 2, -1, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_notify(nullptr, "m", nullptr, 0), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_on(nullptr, "m", nullptr, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_call_batch(nullptr, 1, nullptr, nullptr, nullptr, -1, done, nullptr),
            WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_reply_result(nullptr, "1", 1), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_reply_error(nullptr, 1, "m", nullptr, 0), WSC_EINVAL);
  wsc_rpc_deferred *deferred = reinterpret_cast<wsc_rpc_deferred *>(&deferred);
  EXPECT_EQ(wsc_rpc_reply_defer(nullptr, &deferred), WSC_EINVAL);
  EXPECT_EQ(deferred, nullptr);
  EXPECT_EQ(wsc_rpc_deferred_result(nullptr, "1", 1), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_deferred_error(nullptr, 1, "m", nullptr, 0), WSC_EINVAL);
  wsc_rpc_deferred_free(nullptr);
  EXPECT_EQ(wsc_rpc_close(nullptr, 1000, nullptr), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_wait(nullptr, WSC_OPEN, 0), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_state(nullptr), WSC_EINVAL);
  wsc_rpc_free(nullptr);
  wsc_rpc_result_free(nullptr);
}

// Waits for completions delivered on the loop thread.
struct Calls {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::pair<int, std::string>> done;  // status, result or message
  int nested_status = 1;

  static void record(wsc_rpc *, const wsc_rpc_result *r, void *user) {
    auto *self = static_cast<Calls *>(user);
    std::lock_guard<std::mutex> lock(self->mutex);
    self->done.emplace_back(r->status, r->status == WSC_OK ? text(r) : std::string(r->message));
    self->cv.notify_all();
  }
  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return done.size() >= n; });
  }
};

class CapiRpc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string node_dir = source_dir() + "/tests/peers/node";
    if (access((node_dir + "/node_modules/json-rpc-2.0").c_str(), F_OK) == 0) {
      peer_ = std::make_unique<PeerProcess>(
          std::vector<std::string>{"node", node_dir + "/jsonrpc_peer.js"});
    }
  }
  static void TearDownTestSuite() { peer_.reset(); }
  void SetUp() override {
    if (!peer_) GTEST_SKIP() << "npm peers not installed (scripts/bootstrap.sh installs them)";
    loop_ = wsc_loop_new();
    ASSERT_EQ(wsc_rpc_connect(loop_, ws_url(peer_->port()).c_str(), nullptr, nullptr, nullptr,
                              nullptr, &rpc_),
              WSC_OK);
    ASSERT_EQ(wsc_rpc_wait(rpc_, WSC_OPEN, 10000), WSC_OK);
  }
  void TearDown() override {
    wsc_rpc_free(rpc_);
    wsc_loop_free(loop_);
  }

  // Blocking call; returns status and result (or message).
  std::pair<int, std::string> call(const char *method, const std::string &params) {
    wsc_rpc_result *r = nullptr;
    const int s = wsc_rpc_call_wait(rpc_, method, params.data(), params.size(), 5000, &r);
    EXPECT_NE(r, nullptr);
    if (!r) return {s, wsc_last_error_detail()};
    EXPECT_EQ(r->status, s);
    std::pair<int, std::string> out{s, s == WSC_OK ? text(r) : std::string(r->message)};
    if (s == WSC_EREMOTE) {
      EXPECT_EQ(r->error_code, 42);
      EXPECT_EQ(text(r), R"({"why":"asked to"})");
    }
    wsc_rpc_result_free(r);
    return out;
  }

  static inline std::unique_ptr<PeerProcess> peer_;
  wsc_loop *loop_ = nullptr;
  wsc_rpc *rpc_ = nullptr;
};

TEST_F(CapiRpc, BlockingCallsAnswerResultsAndErrors) {
  EXPECT_EQ(call("add", "[2,3]"), std::make_pair(int(WSC_OK), std::string("5")));
  EXPECT_EQ(call("fail", "[]"), std::make_pair(int(WSC_EREMOTE), std::string("nope")));
  EXPECT_EQ(std::string(wsc_last_error_detail()), "nope");
  // Params that are not a JSON array or object: no call made, no result.
  wsc_rpc_result *r = reinterpret_cast<wsc_rpc_result *>(this);
  EXPECT_EQ(wsc_rpc_call_wait(rpc_, "add", "7", 1, 1000, &r), WSC_EINVAL);
  EXPECT_EQ(r, nullptr);
}

// A call's deadline ends the call (WSC_ETIMEDOUT, also when call_wait is
// the one blocked on it); a wait on the connection that runs out is
// WSC_EWAIT and the connection goes on, as for wsc_wait.
TEST_F(CapiRpc, CallDeadlineIsTimedOutAndConnectionWaitIsEwait) {
  wsc_rpc_result *r = nullptr;
  ASSERT_EQ(wsc_rpc_call_wait(rpc_, "slow", "[500,1]", 7, 50, &r), WSC_ETIMEDOUT);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, WSC_ETIMEDOUT);
  wsc_rpc_result_free(r);

  EXPECT_EQ(wsc_rpc_wait(rpc_, WSC_CLOSED, 50), WSC_EWAIT);
  EXPECT_EQ(std::string(wsc_last_error_detail()), "state not reached within timeout_ms");
  EXPECT_EQ(wsc_rpc_wait(rpc_, WSC_CLOSED, -2), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_state(rpc_), WSC_OPEN);
  EXPECT_EQ(call("add", "[2,2]"), std::make_pair(int(WSC_OK), std::string("4")));
}

TEST_F(CapiRpc, CallbacksRunOnceAndBlockingCallsInsideThemAreRefused) {
  Calls calls;
  ASSERT_EQ(wsc_rpc_call(rpc_, "add", "[1,1]", 5, -1, &Calls::record, &calls), WSC_OK);
  ASSERT_EQ(wsc_rpc_call(rpc_, "slow", "[500,1]", 7, 50, &Calls::record, &calls), WSC_OK);
  ASSERT_TRUE(calls.wait_for(2));
  EXPECT_EQ(calls.done[0], std::make_pair(int(WSC_OK), std::string("2")));
  EXPECT_EQ(calls.done[1].first, WSC_ETIMEDOUT);

  auto nested = [](wsc_rpc *rpc, const wsc_rpc_result *, void *user) {
    auto *self = static_cast<Calls *>(user);
    wsc_rpc_result *r = nullptr;
    const int s = wsc_rpc_call_wait(rpc, "add", "[1,1]", 5, 1000, &r);
    std::lock_guard<std::mutex> lock(self->mutex);
    self->nested_status = s;
    self->done.emplace_back(s, "");
    self->cv.notify_all();
  };
  ASSERT_EQ(wsc_rpc_call(rpc_, "add", "[1,1]", 5, -1, nested, &calls), WSC_OK);
  ASSERT_TRUE(calls.wait_for(3));
  EXPECT_EQ(calls.nested_status, WSC_ESTATE);
}

TEST_F(CapiRpc, HandlersAnswerThePeer) {
  auto handler = [](wsc_rpc *, const char *method, const unsigned char *params, size_t len,
                    wsc_rpc_reply *reply, void *) {
    const std::string p(reinterpret_cast<const char *>(params), len);
    if (std::strcmp(method, "client.double") == 0 && p == "[21]")
      wsc_rpc_reply_result(reply, "42", 2);
    else
      wsc_rpc_reply_error(reply, 7, "refused", "[1]", 3);
  };
  ASSERT_EQ(wsc_rpc_on(rpc_, "client.double", handler, nullptr), WSC_OK);
  ASSERT_EQ(wsc_rpc_on(rpc_, "client.refuse", handler, nullptr), WSC_OK);
  EXPECT_EQ(call("ask_client", R"(["client.double",[21]])").second, R"({"result":42})");
  // The result is the peer's own JSON text (JSON.stringify's key order), not
  // a re-serialisation.
  EXPECT_EQ(call("ask_client", R"(["client.refuse",[]])").second,
            R"({"code":7,"message":"refused","data":[1]})");
  ASSERT_EQ(wsc_rpc_on(rpc_, "client.double", nullptr, nullptr), WSC_OK);
  EXPECT_NE(call("ask_client", R"(["client.double",[21]])").second.find("-32601"),
            std::string::npos);
}

// A handler defers its answer; another thread answers (or frees the
// deferred unanswered: the peer gets the internal error).
TEST_F(CapiRpc, HandlersMayDeferTheirAnswer) {
  struct Deferred {
    std::mutex mutex;
    std::vector<wsc_rpc_deferred *> taken;
    int reply_after_defer = WSC_OK;
  } d;
  auto handler = [](wsc_rpc *, const char *, const unsigned char *, size_t, wsc_rpc_reply *reply,
                    void *user) {
    auto *self = static_cast<Deferred *>(user);
    wsc_rpc_deferred *later = nullptr;
    if (wsc_rpc_reply_defer(reply, &later) != WSC_OK) return;
    std::lock_guard<std::mutex> lock(self->mutex);
    self->reply_after_defer = wsc_rpc_reply_result(reply, "1", 1);
    self->taken.push_back(later);
  };
  ASSERT_EQ(wsc_rpc_on(rpc_, "client.later", handler, &d), WSC_OK);
  auto answer_from_a_thread = [&](auto answer) {
    return std::thread([&d, answer] {
      for (;;) {
        {
          std::lock_guard<std::mutex> lock(d.mutex);
          if (!d.taken.empty()) {
            wsc_rpc_deferred *later = d.taken.back();
            d.taken.pop_back();
            answer(later);
            wsc_rpc_deferred_free(later);
            return;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  };
  std::thread a = answer_from_a_thread([](wsc_rpc_deferred *later) {
    EXPECT_EQ(wsc_rpc_deferred_result(later, "42", 2), WSC_OK);
    EXPECT_EQ(wsc_rpc_deferred_result(later, "43", 2), WSC_ESTATE);
  });
  EXPECT_EQ(call("ask_client", R"(["client.later",[21]])").second, R"({"result":42})");
  a.join();
  EXPECT_EQ(d.reply_after_defer, WSC_ESTATE);

  std::thread b = answer_from_a_thread([](wsc_rpc_deferred *later) {
    EXPECT_EQ(wsc_rpc_deferred_error(later, 7, "refused", "[1]", 3), WSC_OK);
  });
  EXPECT_EQ(call("ask_client", R"(["client.later",[]])").second,
            R"({"code":7,"message":"refused","data":[1]})");
  b.join();

  std::thread c = answer_from_a_thread([](wsc_rpc_deferred *) {});  // freed unanswered
  EXPECT_NE(call("ask_client", R"(["client.later",[]])").second.find("-32603"), std::string::npos);
  c.join();
}

TEST_F(CapiRpc, BatchesNotificationsAndClose) {
  Calls calls;
  const char *methods[] = {"add", "echo"};
  const void *params[] = {"[1,2]", "[\"x\"]"};
  const size_t lens[] = {5, 5};
  void *users[] = {&calls, &calls};
  EXPECT_EQ(wsc_rpc_call_batch(rpc_, 0, methods, params, lens, -1, &Calls::record, users),
            WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_call_batch(rpc_, 2, methods, params, nullptr, -1, &Calls::record, users),
            WSC_EINVAL);
  ASSERT_EQ(wsc_rpc_call_batch(rpc_, 2, methods, params, lens, -1, &Calls::record, users), WSC_OK);
  ASSERT_TRUE(calls.wait_for(2));
  std::sort(calls.done.begin(), calls.done.end());
  EXPECT_EQ(calls.done[0].second, "3");
  EXPECT_EQ(calls.done[1].second, R"(["x"])");

  ASSERT_EQ(wsc_rpc_notify(rpc_, "note", "[5]", 3), WSC_OK);
  EXPECT_EQ(call("notes", "").second, "[[5]]");
  ASSERT_EQ(wsc_rpc_close(rpc_, 1000, "bye"), WSC_OK);
  EXPECT_EQ(wsc_rpc_wait(rpc_, WSC_CLOSED, 5000), WSC_OK);
  EXPECT_EQ(wsc_rpc_state(rpc_), WSC_CLOSED);
  EXPECT_EQ(wsc_rpc_call(rpc_, "add", "[1,1]", 5, -1, &Calls::record, &calls), WSC_ECLOSED);
}

// True once fd is readable, within timeout_ms.
bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

TEST(CapiRpcQueueArgs, EveryFunctionChecksItsArguments) {
  EXPECT_EQ(wsc_rpc_queue_new(nullptr), WSC_EINVAL);
  wsc_rpc_queue *q = nullptr;
  ASSERT_EQ(wsc_rpc_queue_new(&q), WSC_OK);
  int fd = -1;
  EXPECT_EQ(wsc_rpc_queue_fd(nullptr, &fd), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_queue_fd(q, nullptr), WSC_EINVAL);
  ASSERT_EQ(wsc_rpc_queue_fd(q, &fd), WSC_OK);
  EXPECT_GE(fd, 0);
  EXPECT_FALSE(readable(fd, 0));
  wsc_rpc_queued out[2];
  size_t n = 7;
  EXPECT_EQ(wsc_rpc_queue_take(nullptr, out, 2, &n), WSC_EINVAL);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(wsc_rpc_queue_take(q, nullptr, 2, &n), WSC_EINVAL);
  EXPECT_EQ(wsc_rpc_queue_take(q, out, 2, nullptr), WSC_EINVAL);
  ASSERT_EQ(wsc_rpc_queue_take(q, out, 2, &n), WSC_OK);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(wsc_rpc_call_queued(nullptr, "m", "[]", 2, -1, q, 1), WSC_EINVAL);
  wsc_rpc_queue_free(q);
  wsc_rpc_queue_free(nullptr);
}

// Outcomes of queued calls arrive in the queue with their tags, the
// descriptor is readable exactly while some wait, and takes come in batches.
TEST_F(CapiRpc, QueuedCallsEndIntoTheQueue) {
  wsc_rpc_queue *q = nullptr;
  ASSERT_EQ(wsc_rpc_queue_new(&q), WSC_OK);
  int fd = -1;
  ASSERT_EQ(wsc_rpc_queue_fd(q, &fd), WSC_OK);
  constexpr uint64_t kCalls = 50;
  for (uint64_t i = 1; i <= kCalls; ++i) {
    const std::string params = "[" + std::to_string(i) + "]";
    ASSERT_EQ(wsc_rpc_call_queued(rpc_, "echo", params.data(), params.size(), 10000, q, 1000 + i),
              WSC_OK);
  }
  ASSERT_EQ(wsc_rpc_call_queued(rpc_, "fail", nullptr, 0, 10000, q, 7), WSC_OK);
  std::vector<bool> seen(kCalls + 1, false);
  bool failed_seen = false;
  size_t got = 0;
  wsc_rpc_queued out[8];
  while (got < kCalls + 1) {
    ASSERT_TRUE(readable(fd, 10000)) << got << " outcomes so far";
    size_t n = 0;
    ASSERT_EQ(wsc_rpc_queue_take(q, out, 8, &n), WSC_OK);
    ASSERT_GT(n, 0u);
    for (size_t i = 0; i < n; ++i) {
      const wsc_rpc_result &r = out[i].result;
      if (out[i].tag == 7) {
        EXPECT_EQ(r.status, WSC_EREMOTE);
        EXPECT_EQ(r.error_code, 42);
        EXPECT_STREQ(r.message, "nope");
        EXPECT_EQ(text(&r), R"({"why":"asked to"})");
        failed_seen = true;
        continue;
      }
      ASSERT_GT(out[i].tag, 1000u);
      const uint64_t k = out[i].tag - 1000;
      ASSERT_LE(k, kCalls);
      EXPECT_EQ(r.status, WSC_OK);
      EXPECT_EQ(text(&r), "[" + std::to_string(k) + "]");
      EXPECT_FALSE(seen[k]);
      seen[k] = true;
    }
    got += n;
  }
  EXPECT_TRUE(failed_seen);
  EXPECT_FALSE(readable(fd, 0));  // all taken, nothing outstanding: not readable

  // A call still out when the client is freed ends into the queue.
  ASSERT_EQ(wsc_rpc_call_queued(rpc_, "slow", "[5000, 1]", 9, 10000, q, 99), WSC_OK);
  wsc_rpc_free(rpc_);
  rpc_ = nullptr;
  ASSERT_TRUE(readable(fd, 0));
  size_t n = 0;
  ASSERT_EQ(wsc_rpc_queue_take(q, out, 8, &n), WSC_OK);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(out[0].tag, 99u);
  EXPECT_EQ(out[0].result.status, WSC_ECLOSED);
  wsc_rpc_queue_free(q);
}

// The queue handle may go before the calls that hold it.
TEST_F(CapiRpc, QueueFreedBeforeItsCalls) {
  wsc_rpc_queue *q = nullptr;
  ASSERT_EQ(wsc_rpc_queue_new(&q), WSC_OK);
  ASSERT_EQ(wsc_rpc_call_queued(rpc_, "slow", "[20, 1]", 7, 10000, q, 1), WSC_OK);
  wsc_rpc_queue_free(q);
  EXPECT_EQ(call("add", "[1, 2]"), std::make_pair(int{WSC_OK}, std::string("3")));
}

}  // namespace
}  // namespace wsc::testing
