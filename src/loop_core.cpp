#include "loop_core.hpp"

#include <ev.h>

#include <chrono>

#include "connection.hpp"
#include "log.hpp"

namespace wsc::detail {

void run_guarded(const std::function<void()> &fn) noexcept {
  // Commands and timers run on the loop thread under lws's service call: an
  // exception must not unwind through lws (C). What throws here is an
  // allocation (std::bad_alloc) in wsc's own bookkeeping; the command is
  // dropped and the loop goes on.
  try {
    fn();
  } catch (...) {
  }
}

namespace {

// lws keeps pointers into the protocol list for the context's lifetime.
const lws_protocols kProtocols[] = {
    // tx_packet_size: lws caps each send() at it and copies the rest of a
    // write aside; a whole fragment with its header goes out at once.
    {"wsc", &LoopCore::callback, 0, 65536, 0, nullptr, kFragmentBytes + FrameBatch::kMaxHeader},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// Connections still open when a loop closes get this long for their close
// handshake before lws drops them.
constexpr auto kShutdownGrace = std::chrono::milliseconds(1000);

// New connects started per service round (see pace_connect).
constexpr unsigned kConnectsPerRound = 64;

}  // namespace

std::shared_ptr<LoopCore> LoopCore::create() {
  std::shared_ptr<LoopCore> core(new LoopCore());
  core->start();
  return core;
}

void LoopCore::start() {
  // lws prints to stderr by default; a library must stay quiet.
  install_lws_logging();
  // lws waits with poll() on its own, which walks every socket of the loop
  // on each wake-up: with 19,000 idle connections poll() was 95% of the idle
  // CPU (7.4% of a core). On a libev loop (epoll on Linux) a wake-up costs
  // what is ready, not what is open. wsc owns the loop (lws's "foreign
  // loop"), so it decides when to run it and when to stop.
  ev_ = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
  if (!ev_) throw Error(Status::WSC_EINTERNAL, "libev could not create an event loop");
  void *foreign_loops[] = {ev_};
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_LIBEV;
  info.foreign_loops = foreign_loops;
  // The one read buffer of the loop: every connection is a raw one and
  // reads up to this much per POLLIN.
  info.pt_serv_buf_size = kFragmentBytes;
  // wsc runs its own per-connection timers; lws's context-wide ones must
  // not fire first (LWS-NOTES §3).
  info.timeout_secs = 3600;
  info.user = this;
  info.protocols = kProtocols;
  context_ = lws_create_context(&info);
  if (!context_) {
    ev_loop_destroy(ev_);
    ev_ = nullptr;
    throw Error(Status::WSC_EINTERNAL,
                "libwebsockets could not create its context (is its libev plugin, "
                "libwebsockets-evlib_ev.so, installed?)");
  }
  timers_.bind(ev_);
  // Wake-ups (EVENT_WAIT_CANCELLED) reach protocols through vhosts, so it
  // must exist before the first command. Created before the service thread
  // starts, so this is still single-threaded.
  std::string error;
  if (!vhost(error)) {
    lws_context_destroy(context_);
    context_ = nullptr;
    ev_loop_destroy(ev_);
    ev_ = nullptr;
    throw Error(Status::WSC_EINTERNAL, error);
  }
  thread_ = std::thread([self = shared_from_this()] { self->run(); });
  thread_id_ = thread_.get_id();
}

LoopCore::~LoopCore() {
  shutdown();
  if (thread_.joinable()) {
    if (on_loop_thread())
      thread_.detach();
    else
      thread_.join();
  }
}

void LoopCore::run() {
  while (!stop_) {
    connects_this_round_ = 0;
    while (!paced_connects_.empty() && connects_this_round_ < kConnectsPerRound) {
      auto start = std::move(paced_connects_.front());
      paced_connects_.pop_front();
      ++connects_this_round_;
      start();
    }
    // Commands the loop thread posted to itself (from callbacks) run here,
    // after the service round that posted them, with no wake-up needed.
    const bool more = drain_commands() || !paced_connects_.empty();
    // With work still waiting, look at the sockets without sleeping. One
    // pass: lws's callbacks for what is ready, and wsc's timers.
    ev_run(ev_, more ? EVRUN_NOWAIT : EVRUN_ONCE);
  }
  paced_connects_.clear();
  // Timers must leave lws's lists while the context still exists; timers
  // started by callbacks inside lws_context_destroy stay wsc-side only.
  timers_.clear();
  timers_.bind(nullptr);
  // Callbacks still run inside lws_context_destroy (CLIENT_CLOSED,
  // WSI_DESTROY for connections that did not finish in the grace time).
  lws_context_destroy(context_);
  context_ = nullptr;
  timers_.clear();
  vhost_ = nullptr;
  // lws has stopped every watcher it had on the loop.
  ev_loop_destroy(ev_);
  ev_ = nullptr;
  // Anything never attached to a wsi (resolving, waiting to reconnect).
  auto rest = std::move(connections_);
  for (auto &[raw, conn] : rest) conn->on_loop_shutdown();
  // Nothing can be queued any more (accepting_ is false); drop anything left
  // so the references it holds are released.
  std::vector<std::function<void()>> left;
  {
    std::lock_guard<std::mutex> lock(commands_mutex_);
    left.swap(commands_);
  }
}

void LoopCore::shutdown() {
  {
    std::lock_guard<std::mutex> lock(commands_mutex_);
    if (!accepting_) {
      // Already shutting down; still join below if asked from outside.
    } else {
      commands_.push_back([this] { begin_shutdown(); });
      accepting_ = false;
      if (context_) lws_cancel_service(context_);
    }
  }
  if (on_loop_thread()) return;
  if (thread_.joinable()) thread_.join();
}

bool LoopCore::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(commands_mutex_);
    if (!accepting_) return false;
    // One wake-up per batch: the loop drains the whole queue when it wakes.
    const bool first = commands_.empty();
    commands_.push_back(std::move(fn));
    if (!on_loop_thread()) {
      if (first) lws_cancel_service(context_);
      return true;
    }
  }
  // The loop thread posting to itself: run() drains after this service
  // round, with no wake-up. Except when lws has not polled yet in this
  // round: it runs timers (wsc's, and its own such as an async kill that
  // ends in WSI_DESTROY) before it polls, and the poll would then sleep
  // until some unrelated event.
  if (timers_.firing() || in_wsi_destroy_) wake_soon();
  return true;
}

void LoopCore::kill_async(lws *wsi) {
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  // On a libev loop lws looks at its own timers only after it handled a
  // socket event; a kill asked from a wsc timer or command would wait for
  // some unrelated event. The wake-up is such an event.
  lws_cancel_service(context_);
}

void LoopCore::wake_soon() {
  // A timer due now makes the loop run again without waiting: no syscall,
  // unlike lws_cancel_service.
  if (wake_timer_.armed() || !context_) return;
  wake_timer_.start(
      timers_, std::chrono::microseconds(1),
      [](void *core) { static_cast<LoopCore *>(core)->drain_commands(); }, this);
}

bool LoopCore::drain_commands() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(commands_mutex_);
    batch.swap(commands_);
  }
  for (auto &fn : batch) run_guarded(fn);
  // Commands may post more; they wait for the next round.
  std::lock_guard<std::mutex> lock(commands_mutex_);
  return !commands_.empty();
}

void LoopCore::begin_shutdown() {
  // Set here, on the loop thread, not in shutdown(): maybe_stop() must not
  // end the loop before this command ran (commands queued behind would
  // never run, and their references would never be released).
  stopping_ = true;
  auto conns = connections_;  // on_loop_shutdown may retire entries
  for (auto &[raw, conn] : conns) conn->on_loop_shutdown();
  shutdown_deadline_.start(timers_, kShutdownGrace, [this] {
    stop_ = true;
    lws_cancel_service(context_);
  });
  maybe_stop();
}

void LoopCore::maybe_stop() {
  if (stopping_ && !stop_ && connections_.empty()) {
    shutdown_deadline_.cancel();
    stop_ = true;
    lws_cancel_service(context_);
  }
}

std::shared_ptr<SSL_CTX> LoopCore::ssl_ctx_for(const Options::Tls &tls) {
  const std::string key = tls_profile_key(tls);
  std::lock_guard<std::mutex> lock(ssl_mutex_);
  auto found = ssl_ctxs_.find(key);
  if (found != ssl_ctxs_.end()) return found->second;
  std::shared_ptr<SSL_CTX> ctx(make_client_ssl_ctx(tls).release(), SslCtxFree());
  ssl_ctxs_.emplace(key, ctx);
  return ctx;
}

lws_vhost *LoopCore::vhost(std::string &error) {
  if (vhost_) return vhost_;
  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.vhost_name = "wsc-client";
  // Without one, lws would take http_proxy from the environment itself,
  // overriding PROXY_FROM_ENV and no_proxy. An empty address (port 0) is
  // "no proxy" to lws.
  info.http_proxy_address = "";
  vhost_ = lws_create_vhost(context_, &info);
  if (!vhost_) error = "libwebsockets could not create a client vhost";
  return vhost_;
}

void LoopCore::pace_connect(std::function<void()> start) {
  if (paced_connects_.empty() && connects_this_round_ < kConnectsPerRound) {
    ++connects_this_round_;
    start();
    return;
  }
  paced_connects_.push_back(std::move(start));
  // run() starts it once lws_service returns (see post()).
  if (timers_.firing() || in_wsi_destroy_) wake_soon();
}

void LoopCore::adopt(std::shared_ptr<Connection> conn) {
  Connection *raw = conn.get();
  metrics_.adopt(conn);
  connections_.emplace(raw, std::move(conn));
}

void LoopCore::retire(Connection *conn) {
  conn->cancel_timers();
  metrics_.retire(conn);
  auto found = connections_.find(conn);
  if (found == connections_.end()) return;
  // Keep the connection alive until this call stack unwinds.
  auto keep = std::move(found->second);
  connections_.erase(found);
  maybe_stop();
}

int LoopCore::callback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len) {
  (void)user;
  if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
    // Delivered to every protocol of every vhost per wake-up; draining is
    // idempotent, so whichever comes first does the work.
    auto *core = static_cast<LoopCore *>(lws_context_user(lws_get_context(wsi)));
    if (core) core->drain_commands();
    return 0;
  }
  auto *attempt = static_cast<Attempt *>(lws_get_opaque_user_data(wsi));
  if (!attempt || !attempt->conn) return lws_callback_http_dummy(wsi, reason, user, in, len);
  if (reason == LWS_CALLBACK_WSI_DESTROY) {
    lws_set_opaque_user_data(wsi, nullptr);
    auto *core = static_cast<LoopCore *>(lws_context_user(lws_get_context(wsi)));
    // Possibly inside an lws timer (an async kill), before lws polls.
    const bool nested = core && core->in_wsi_destroy_;
    if (core) core->in_wsi_destroy_ = true;
    attempt->conn->on_wsi_destroyed(attempt);
    if (core && !nested) core->in_wsi_destroy_ = false;
    return 0;
  }
  // No exception may unwind into lws (C): an allocation that fails while
  // handling one connection's bytes ends that connection, not the process.
  try {
    return attempt->conn->handle_lws(attempt, wsi, reason, in, len);
  } catch (const std::bad_alloc &) {
    attempt->conn->fail_attempt(attempt, Status::WSC_ENOMEM,
                                "out of memory while handling the connection's data");
  } catch (const std::exception &e) {
    attempt->conn->fail_attempt(attempt, Status::WSC_EINTERNAL, e.what());
  }
  return -1;
}

}  // namespace wsc::detail
