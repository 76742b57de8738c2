// The RPC engine, the same for every wire protocol: call ids, correlation
// of answers, deadlines, the bound on outstanding calls, calls waiting for
// the connection, and dispatch of the peer's requests to handlers. It sits
// on a Client as that client's callbacks, and sends through it.
//
// Threads: call/notify/on/attach/detach from any thread, under mutex_.
// The on_* callbacks and the deadline timer run on the loop thread.
// Completions and handlers run with no lock held.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <wsc/rpc.hpp>

#include "timer.hpp"
#include "wire_protocol.hpp"

namespace wsc::detail {

class LoopCore;

class RpcEngine : public std::enable_shared_from_this<RpcEngine> {
 public:
  using Done = RpcClient::Done;
  using Handler = RpcClient::DeferrableHandler;

  RpcEngine(std::shared_ptr<LoopCore> loop, std::unique_ptr<WireProtocol> wire, RpcOptions options,
            Callbacks user);
  ~RpcEngine();

  // The callbacks to give the Client (they hold this engine).
  Callbacks callbacks();
  // The client to send through, once constructed; endpoint labels its
  // calls in the loop's metrics.
  void attach(Client *client, std::string endpoint);
  // Before the client goes: every call ends with WSC_ECLOSED, nothing more
  // is sent.
  void detach();

  // Throw Error when the call cannot be made; then done never runs.
  void call(std::string_view method, std::string_view params, Done done, Millis timeout);
  void call_batch(std::vector<RpcClient::BatchCall> calls, Millis timeout);
  void notify(std::string_view method, std::string_view params);
  void on(std::string method, Handler handler);
  bool on_loop_thread() const;
  // The answer to the peer's request reply_id, given later (RpcResponder),
  // from any thread; the status as RpcResponder::result's.
  Status answer_later(std::string_view reply_id, const RpcReply &reply);
  RpcError internal_error(std::string_view what) const { return wire_->internal_error(what); }

 private:
  using Clock = std::chrono::steady_clock;
  using Deadlines = std::multimap<Clock::time_point, uint64_t>;
  struct Pending {
    Done done;
    std::string frame;  // kept until sent: a call waiting for the connection
    bool sent = false;
    Deadlines::iterator deadline;  // deadlines_.end() if none
  };
  struct Completion {
    Done done;
    RpcResponse response;
  };
  using Completions = std::vector<Completion>;

  // Under mutex_.
  enum class Link { Waiting, Open, Reconnecting, Closed };
  Status admit(size_t calls) const;
  void register_call(uint64_t id, std::string frame, Done done, Millis timeout, bool sent);
  void take(std::unordered_map<uint64_t, Pending>::iterator it, RpcResponse response,
            Completions &out);
  void send_locked(const std::string &frame);  // throws Error
  void flush_waiting(Completions &out);
  void fail_calls(bool sent, Status status, const std::string &detail, Completions &out);
  void schedule_deadline(Clock::time_point when);

  // Loop thread.
  void on_message(MessageType type, std::string_view data);
  void on_error(Status status, std::string_view detail);
  void on_state(State from, State to);
  // Empty, or why the answer matches no call.
  std::string handle_answer(RpcIncoming &in, Completions &out);
  std::string handle_request(RpcIncoming &in);
  // The reply frame to a request (an internal error for a result the
  // protocol cannot carry, which sets *invalid).
  std::string reply_frame(std::string_view reply_id, const RpcReply &reply, bool *invalid) const;
  void report(Status status, const std::string &detail);
  void arm_timer();
  void on_timer();
  static void run(Completions &completions);

  const std::shared_ptr<LoopCore> loop_;
  const std::unique_ptr<WireProtocol> wire_;
  const RpcOptions options_;
  const Callbacks user_;

  std::mutex mutex_;
  Client *client_ = nullptr;
  std::string endpoint_;  // host:port, for the loop's metrics
  Link link_ = Link::Waiting;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Pending> pending_;
  std::deque<uint64_t> waiting_;  // ids of unsent calls, in call order
  Deadlines deadlines_;
  // The earliest deadline the timer is (or is about to be) set for.
  Clock::time_point timer_due_ = Clock::time_point::max();
  std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers_;
  // Why the connection last failed, since it last opened.
  Status link_error_ = Status::WSC_OK;
  std::string link_error_detail_;

  Timer timer_;  // loop thread only
  // on_message's scratch, reused from frame to frame (loop thread only): an
  // answer's decoding and its completion allocate no vectors of their own.
  RpcDecoded decoded_;
  Completions answered_;
};

}  // namespace wsc::detail

namespace wsc {
struct RpcResponder::State {
  std::weak_ptr<detail::RpcEngine> engine;  // the responder does not keep it alive
  std::string reply_id;
};
}  // namespace wsc
