// The event loop: one lws_context, one service thread, and the command
// queue through which every other thread reaches it. Every lws call happens
// on the service thread; other threads post commands and wake the loop with
// lws_cancel_service(), the one lws call that is thread-safe.
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "buffer_pool.hpp"
#include "frame_batch.hpp"
#include "metrics.hpp"
#include "resolver.hpp"
#include "timer.hpp"
#include "tls_context.hpp"
#include "tls_session_cache.hpp"

namespace wsc::detail {

class Connection;

// Runs fn, swallowing any exception (see loop_core.cpp).
void run_guarded(const std::function<void()> &fn) noexcept;

class LoopCore : public std::enable_shared_from_this<LoopCore> {
 public:
  // Throws Error(WSC_EINTERNAL) if lws cannot create its context.
  static std::shared_ptr<LoopCore> create();
  ~LoopCore();
  LoopCore(const LoopCore &) = delete;
  LoopCore &operator=(const LoopCore &) = delete;

  // Closes every connection (Close 1001 to open ones, bounded wait), stops
  // and joins the thread. Idempotent. From the loop thread itself it only
  // starts the shutdown; the thread then finishes on its own.
  void shutdown();

  // Any thread. Runs fn on the loop thread; false if the loop has stopped.
  bool post(std::function<void()> fn);
  bool on_loop_thread() const { return std::this_thread::get_id() == thread_id_.load(); }
  bool stopping() const { return stopping_.load(); }

  // Any thread: the SSL_CTX for a profile, built on first use (may throw
  // Error(WSC_EINVAL) for bad files or strings).
  std::shared_ptr<SSL_CTX> ssl_ctx_for(const Options::Tls &tls);

  // Loop thread only.
  lws_context *context() const { return context_; }
  TimerQueue &timers() { return timers_; }
  // Scratch space for outgoing frames, shared by the loop's connections:
  // only the loop thread writes, one connection at a time.
  FrameBatch &frame_batch() { return frame_batch_; }
  // Scratch for TLS run by wsc (tls_session.hpp): decrypted bytes on their
  // way to the frame parser.
  std::vector<uint8_t> &tls_plaintext() { return tls_plaintext_; }
  // Any thread: large message buffers for reuse (buffer_pool.hpp).
  BufferPool &buffers() { return buffers_; }
  // The one vhost every connection is made on (lws needs one for a client
  // wsi); wsc does TLS and proxies itself, so nothing in it varies.
  lws_vhost *vhost(std::string &error);
  // Closes wsi from outside its callbacks: lws does it (WSI_DESTROY) in a
  // later pass of the loop.
  void kill_async(lws *wsi);
  void adopt(std::shared_ptr<Connection> conn);
  void retire(Connection *conn);
  Resolver &resolver() { return resolver_; }
  // Any thread (metrics.hpp says who writes what).
  LoopMetrics &metrics() { return metrics_; }
  TlsSessionCache &tls_sessions() { return tls_sessions_; }
  // Starts a connect now, or in a later service round when this one has
  // started enough: lws re-times every connecting wsi in one sorted list,
  // so thousands started at once cost O(n^2) (measured: 10,000 took 5 s).
  void pace_connect(std::function<void()> start);

  // The one lws protocol callback for every client wsi of every loop.
  static int callback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len);

 private:
  LoopCore() = default;
  void start();
  void run();
  bool drain_commands();  // true when more were posted meanwhile
  void wake_soon();
  void begin_shutdown();
  void maybe_stop();
  struct ev_loop *ev_ = nullptr;  // the loop lws runs on (foreign to lws, owned here)
  lws_context *context_ = nullptr;
  TimerQueue timers_;  // before anything holding a Timer
  FrameBatch frame_batch_{kFragmentBytes + FrameBatch::kMaxHeader};
  std::vector<uint8_t> tls_plaintext_ = std::vector<uint8_t>(16 * 1024);  // one TLS record
  BufferPool buffers_;  // after timers_: its trim timer lives in it
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::atomic<bool> stopping_{false};
  bool stop_ = false;  // loop thread only

  std::mutex commands_mutex_;
  std::vector<std::function<void()>> commands_;
  bool accepting_ = true;  // under commands_mutex_

  std::mutex ssl_mutex_;
  std::map<std::string, std::shared_ptr<SSL_CTX>> ssl_ctxs_;

  lws_vhost *vhost_ = nullptr;
  std::unordered_map<Connection *, std::shared_ptr<Connection>> connections_;
  std::deque<std::function<void()>> paced_connects_;
  unsigned connects_this_round_ = 0;
  Timer shutdown_deadline_;
  Timer wake_timer_;
  bool in_wsi_destroy_ = false;  // loop thread only
  Resolver resolver_;
  TlsSessionCache tls_sessions_;
  LoopMetrics metrics_;
};

}  // namespace wsc::detail
