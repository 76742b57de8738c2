// The fair baseline of the RPC layer (bench/rpc_run, row raw_json_wsc_cpp): a plain wsc C++
// Client (no RPC engine) that sends the JSON-RPC request texts the RPC client would send, to
// the same wsc-bench-echo-beast --jsonrpc, and counts the answers. The server parses and
// writes JSON for both clients, so what bench-rpc-wsc-cpp spends beyond this client is wsc's
// RPC layer alone: ids, correlation, deadlines, scanning the answers, completions.
//
// Every request and its expected answer are encoded before the clock starts; answers come in
// order (one connection, a one-thread server) and each must be its expected text byte for
// byte: {"id":N,"jsonrpc":"2.0","result":PARAMS} (nlohmann::json's dump sorts the keys).
// Window, clock and RESULT line as in bench/wsc_cpp_client.cpp (bench_common.h).
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>
#include <wsc/client.hpp>

#include "bench_common.h"
#include "rpc_params.hpp"

namespace {

struct Run {
  const bench_args *a = nullptr;
  wsc::Client *client = nullptr;
  std::vector<std::string> requests, answers;
  std::vector<uint64_t> t_send, rtt;
  std::mutex mu;  // serialises "send the next request" between main and the loop thread
  std::condition_variable cv;
  uint64_t sent = 0, received = 0, t_end = 0;
  bool done = false, failed = false;

  void finish(bool ok) {
    failed = !ok;
    done = true;
    cv.notify_all();
  }

  // Called with mu held.
  void send_more() {
    while (sent < static_cast<uint64_t>(a->count) &&
           sent - received < static_cast<uint64_t>(a->window)) {
      t_send[sent] = bench_now_ns();
      if (client->try_send(wsc::MessageType::Text, requests[sent]) != wsc::Status::WSC_OK) {
        fprintf(stderr, "try_send failed\n");
        return finish(false);
      }
      sent++;
    }
  }

  void on_message(std::string_view data) {
    const uint64_t now = bench_now_ns();
    std::lock_guard<std::mutex> lock(mu);
    if (done) return;
    if (data != answers[received]) {
      fprintf(stderr, "answer %lu is not the expected text: %.*s\n",
              static_cast<unsigned long>(received), static_cast<int>(data.size()), data.data());
      return finish(false);
    }
    rtt[received] = now - t_send[received];
    if (++received == static_cast<uint64_t>(a->count)) {
      t_end = now;
      return finish(true);
    }
    send_more();
  }
};

int run_requests(const bench_args &a) {
  wsc::Loop loop;
  Run r;
  r.a = &a;
  for (uint64_t seq = 0; seq < static_cast<uint64_t>(a.count); ++seq) {
    const std::string id = std::to_string(seq + 1), params = rpc_params_of(seq, a.size);
    r.requests.push_back(R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":"echo","params":)" +
                         params + "}");
    r.answers.push_back(R"({"id":)" + id + R"(,"jsonrpc":"2.0","result":)" + params + "}");
  }
  r.t_send.assign(a.count, 0);
  r.rtt.assign(a.count, 0);
  wsc::Callbacks cb;
  cb.on_message = [&r](wsc::MessageType, std::string_view d) { r.on_message(d); };
  cb.on_close = [&r](int code, std::string_view) {
    std::lock_guard<std::mutex> lock(r.mu);
    if (r.done) return;
    fprintf(stderr, "closed early (code %d)\n", code);
    r.finish(false);
  };
  wsc::Options o;
  o.max_message_bytes = std::max<size_t>(o.max_message_bytes, a.size + 1024);
  wsc::Client client(loop, a.url, o, cb);
  if (client.wait(wsc::State::Open, wsc::Millis{10000}) != wsc::Status::WSC_OK) {
    fprintf(stderr, "open failed\n");
    return 1;
  }
  uint64_t t0;
  {
    std::unique_lock<std::mutex> lock(r.mu);
    r.client = &client;
    t0 = bench_now_ns();
    const double cpu0 = bench_cpu_s();
    r.send_more();
    r.cv.wait(lock, [&] { return r.done; });
    bench_timed_cpu_s = bench_cpu_s() - cpu0;
  }
  if (r.failed) return 1;
  bench_result_msgs("raw_json_wsc_cpp", &a, (r.t_end - t0) / 1e9, r.rtt.data(), r.rtt.size(),
                    static_cast<long>(r.received));
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  bench_args a;
  if (bench_parse(argc, argv, &a) != 0 || a.mode != BENCH_THROUGHPUT) bench_usage(argv[0]);
  return run_requests(a);
}
