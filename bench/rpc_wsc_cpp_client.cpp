// RPC benchmark client on the wsc C++ RPC API (include/wsc/rpc.hpp), JSON-RPC 2.0 against
// wsc-bench-echo-beast --jsonrpc (bench/rpc_run). CLI and RESULT line of bench_common.h
// (--mode throughput only): N calls of "echo" with at most W outstanding, params of S bytes
// of JSON text: [seq,"xx...x"], built before the clock starts, as bench-wsc-cpp with
// WSC_BENCH_JSONRPC=1 builds its requests: the two differ only by wsc's RPC layer. Each
// result must be its own params, byte for byte (the server echoes the parsed params; compact
// JSON comes back as it went). Latency: from the call to its completion. The next call starts
// from the completion, on the loop thread, as an application keeping W calls in flight would.
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>
#include <wsc/rpc.hpp>

#include "bench_common.h"
#include "rpc_params.hpp"

namespace {

struct Run {
  const bench_args *a = nullptr;
  wsc::RpcClient *rpc = nullptr;
  std::vector<std::string> params;  // of each call
  std::vector<uint64_t> t_call, rtt;
  std::mutex mu;
  std::condition_variable cv;
  uint64_t started = 0, completed = 0, verified = 0;
  uint64_t t_end = 0;
  bool failed = false;

  bool finished() const { return failed || completed == static_cast<uint64_t>(a->count); }

  void fail(const char *why) {
    std::lock_guard<std::mutex> lock(mu);
    fprintf(stderr, "%s\n", why);
    failed = true;
    cv.notify_all();
  }

  // Starts call seq (any thread).
  void start(uint64_t seq) {
    t_call[seq] = bench_now_ns();
    const wsc::Status s =
        rpc->try_call("echo", params[seq], [this, seq](wsc::RpcResponse &&r) { done(seq, r); });
    if (s != wsc::Status::WSC_OK) fail("try_call failed");
  }

  void done(uint64_t seq, const wsc::RpcResponse &r) {
    const uint64_t now = bench_now_ns();
    if (r.status != wsc::Status::WSC_OK) return fail(r.detail.c_str());
    uint64_t next = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      rtt[seq] = now - t_call[seq];
      verified += r.result == params[seq];
      if (++completed == static_cast<uint64_t>(a->count)) {
        t_end = now;
        cv.notify_all();
        return;
      }
      if (started == static_cast<uint64_t>(a->count)) return;
      next = started++;
    }
    start(next);
  }
};

int run_calls(const bench_args &a) {
  wsc::Loop loop;
  Run r;
  r.a = &a;
  for (uint64_t seq = 0; seq < static_cast<uint64_t>(a.count); ++seq)
    r.params.push_back(rpc_params_of(seq, a.size));
  r.t_call.assign(a.count, 0);
  r.rtt.assign(a.count, 0);
  wsc::RpcOptions ro;
  ro.default_timeout = wsc::Millis{60000};
  wsc::Options o;
  o.max_message_bytes = std::max<size_t>(o.max_message_bytes, a.size + 1024);
  wsc::RpcClient rpc(loop, a.url, o, ro);
  if (rpc.client().wait(wsc::State::Open, wsc::Millis{10000}) != wsc::Status::WSC_OK) {
    fprintf(stderr, "open failed\n");
    return 1;
  }
  r.rpc = &rpc;
  const uint64_t first = std::min<uint64_t>(a.window, a.count);
  r.started = first;
  const uint64_t t0 = bench_now_ns();
  const double cpu0 = bench_cpu_s();
  for (uint64_t i = 0; i < first; ++i) r.start(i);
  std::unique_lock<std::mutex> lock(r.mu);
  r.cv.wait(lock, [&] { return r.finished(); });
  bench_timed_cpu_s = bench_cpu_s() - cpu0;
  if (r.failed) return 1;
  bench_result_msgs("rpc_wsc_cpp", &a, (r.t_end - t0) / 1e9, r.rtt.data(), r.rtt.size(),
                    static_cast<long>(r.verified));
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  bench_args a;
  if (bench_parse(argc, argv, &a) != 0 || a.mode != BENCH_THROUGHPUT) bench_usage(argv[0]);
  return run_calls(a);
}
