#include "connection.hpp"

#include <arpa/inet.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "frame_batch.hpp"
#include "loop_core.hpp"
#include "proxy.hpp"

namespace wsc::detail {

namespace {

// How long a Close may wait for the server's answer.
constexpr auto kCloseTimeout = std::chrono::milliseconds(3000);
// An open connection that lives this long resets the reconnect backoff.
constexpr auto kStableAfter = std::chrono::milliseconds(5000);
// Received buffers bigger than this are released after each message.
constexpr size_t kKeepRxCapacity = 64 * 1024;
// What a queued received message costs beyond its payload, counted against
// RECV_QUEUE_BYTES so that a flood of empty messages is bounded too (the
// std::string and the queue slot; about what the allocator really spends).
constexpr size_t kQueuedMessageOverhead = 64;
// Pings answered one by one up to this many pending pongs; beyond it only
// the latest payload is answered (RFC 6455 §5.5.3 allows that), so a ping
// flood cannot grow memory.
constexpr size_t kMaxPendingPongs = 16;

// wsc runs its own heartbeats and timeouts. Without this, lws re-arms a
// per-connection "validity" timer on every received frame from its default
// policy, an O(connections) insertion into its sorted timer list.
const lws_retry_bo_t kNoLwsValidityChecks = {};

using Clock = std::chrono::steady_clock;

std::chrono::microseconds until(Clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::microseconds>(when - Clock::now());
}

bool contains(const std::string &text, const char *what) {
  return text.find(what) != std::string::npos;
}

std::optional<ProxyUrl> proxy_of(const Options &options) {
  if (options.proxy.empty()) return std::nullopt;
  return parse_proxy_url(options.proxy);
}

bool is_ip_literal(const std::string &host) {
  in6_addr buf;
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

}  // namespace

Connection::Connection(std::shared_ptr<LoopCore> loop, Url url, Options options,
                       Callbacks callbacks)
    : loop_(std::move(loop)),
      url_(std::move(url)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      pull_mode_(!callbacks_.on_message),
      proxy_(proxy_of(options_)),
      proxy_host_(proxy_ ? proxy_->socket_host() : std::string()),
      proxy_is_ip_(proxy_ && is_ip_literal(proxy_host_)),
      backoff_(options_.reconnect_min, options_.reconnect_max, options_.reconnect_seed),
      rate_(options_.send_rate_per_s, options_.send_burst) {}

Connection::~Connection() = default;

template <class F>
void Connection::emit(F &&f) {
  if (detached_.load()) return;
  std::lock_guard<std::mutex> lock(callback_mutex_);
  if (detached_.load()) return;
  // A C++ user callback that throws must not unwind into lws.
  try {
    f();
  } catch (...) {
  }
}

// ---- any thread ---------------------------------------------------------

void Connection::start() {
  auto self = shared_from_this();
  if (!loop_->post([self] {
        self->loop_->adopt(self);
        self->begin_attempt();
      })) {
    throw Error(Status::WSC_ECLOSED, "the loop has been shut down");
  }
}

Status Connection::send(MessageType type, std::string_view data) {
  if (type != MessageType::Text && type != MessageType::Binary) return Status::WSC_EINVAL;
  if (data.size() > options_.send_queue_bytes) return Status::WSC_ETOOBIG;
  if (type == MessageType::Text && !is_valid_utf8(data.data(), data.size())) {
    return Status::WSC_EINVAL;
  }
  OutMessage m;
  m.buffer.reset(new (std::nothrow) unsigned char[data.size() ? data.size() : 1]);
  if (!m.buffer) return Status::WSC_ENOMEM;
  if (!data.empty()) std::memcpy(m.payload(), data.data(), data.size());
  m.len = data.size();
  m.type = type;
  bool post_write = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_ || close_requested_ || state_ == State::Closed) return Status::WSC_ECLOSED;
    if (queued_bytes_ + m.len > options_.send_queue_bytes) {
      drain_armed_ = true;
      return Status::WSC_EAGAIN;
    }
    queued_bytes_ += m.len;
    send_queue_.push_back(std::move(m));
    // One wake-up per burst: the loop drains the whole queue when writable.
    post_write = !write_posted_;
    write_posted_ = true;
  }
  if (post_write) {
    auto self = shared_from_this();
    loop_->post([self] { self->request_writable(); });
  }
  return Status::WSC_OK;
}

Status Connection::recv(Millis timeout, Message &out) {
  if (!pull_mode_) return Status::WSC_ESTATE;
  std::unique_lock<std::mutex> lock(mutex_);
  auto ready = [&] { return !recv_queue_.empty() || finished_; };
  if (timeout.count() < 0)
    changed_.wait(lock, ready);
  else if (timeout.count() > 0)
    changed_.wait_for(lock, timeout, ready);
  // timeout 0 is a poll: a zero timed wait would still sleep for the timer
  // slack (~50-80 us).
  if (recv_queue_.empty()) return finished_ ? Status::WSC_ECLOSED : Status::WSC_EWAIT;
  out = std::move(recv_queue_.front());
  recv_queue_.pop_front();
  recv_bytes_ -= out.data.size() + kQueuedMessageOverhead;
  if (rx_paused_ && !resume_posted_ && recv_bytes_ <= options_.recv_queue_bytes / 2) {
    resume_posted_ = true;
    auto self = shared_from_this();
    lock.unlock();
    loop_->post([self] { self->resume_reading(); });
  }
  return Status::WSC_OK;
}

Status Connection::close(int code, std::string_view reason) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return Status::WSC_ECLOSED;
    if (close_requested_) return Status::WSC_OK;
    close_requested_ = true;
    close_code_ = code;
    close_reason_ = std::string(reason);
  }
  auto self = shared_from_this();
  loop_->post([self] { self->handle_close_request(); });
  return Status::WSC_OK;
}

Status Connection::wait(State target, Millis timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto done = [&] {
    return finished_ || (state_ == target && target != State::Closed) ||
           (target == State::Open && opened_ever_);
  };
  if (timeout.count() < 0)
    changed_.wait(lock, done);
  else if (!changed_.wait_for(lock, timeout, done))
    return Status::WSC_EWAIT;
  // Waiting for CLOSED tells how it ended: WSC_OK only for a clean close.
  if (target == State::Closed) return final_status_;
  if (state_ == target) return Status::WSC_OK;
  // A connection that opened and closed before the waiter looked did open.
  if (target == State::Open && stats_.connect_attempts && opened_ever_) return Status::WSC_OK;
  return final_status_ != Status::WSC_OK ? final_status_ : Status::WSC_ECLOSED;
}

State Connection::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

bool Connection::closing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return close_requested_ || finished_;
}

Stats Connection::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = stats_;
  s.send_queue_bytes = queued_bytes_;
  return s;
}

Status Connection::last_error(std::string &detail) const {
  std::lock_guard<std::mutex> lock(mutex_);
  detail = last_error_detail_;
  return last_error_;
}

void Connection::report_error(Status status, const std::string &detail) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = status;
    last_error_detail_ = detail;
  }
  emit([&] {
    if (callbacks_.on_error) callbacks_.on_error(status, detail);
  });
}

TlsInfo Connection::tls_info() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tls_info_;
}

std::string Connection::subprotocol() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subprotocol_;
}

void Connection::detach() {
  if (loop_->on_loop_thread()) {
    // Inside a callback (ours or another connection's): the loop thread runs
    // one callback at a time, so none of ours can be running elsewhere.
    detached_ = true;
  } else {
    // Wait for a callback running on the loop thread to return.
    std::lock_guard<std::mutex> lock(callback_mutex_);
    detached_ = true;
  }
  auto self = shared_from_this();
  loop_->post([self] { self->handle_detach(); });
}

// ---- loop thread: attempts ----------------------------------------------

void Connection::begin_attempt() {
  if (finished_) return;
  attempt_ = std::make_unique<Attempt>();
  attempt_->conn = this;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.connect_attempts;
  }
  if (state() != State::Connecting) set_state(State::Connecting);
  std::weak_ptr<Connection> weak = shared_from_this();
  connect_timer_.start(loop_->timers(), options_.connect_timeout, [weak, this] {
    if (auto self = weak.lock()) {
      kill_attempt(Status::WSC_ETIMEDOUT,
                   "no WebSocket connection to " + url_.host_header() + " within " +
                       std::to_string(options_.connect_timeout.count()) + " ms (connect timeout)");
    }
  });
  // Through a proxy the proxy resolves the target's name (the client may
  // not see that DNS at all), and wsc resolves the proxy's: lws would look
  // it up with a blocking getaddrinfo on the loop thread.
  const bool ip = proxy_ ? proxy_is_ip_ : url_.host_is_ip;
  const std::string &name = proxy_ ? proxy_host_ : url_.host;
  const int port = proxy_ ? static_cast<int>(proxy_->port) : url_.port;
  if (ip) {
    attempt_->addresses = {name};
    start_connect(name);
    return;
  }
  const Attempt *token = attempt_.get();
  std::weak_ptr<LoopCore> weak_loop = loop_;
  const std::string what = proxy_ ? "proxy " + proxy_->host + ": " : std::string();
  loop_->resolver().resolve(name, port, [weak, weak_loop, token, what](ResolveResult result) {
    auto loop = weak_loop.lock();
    if (!loop) return;
    loop->post([weak, token, what, result = std::move(result)]() mutable {
      auto self = weak.lock();
      if (!self || self->attempt_.get() != token || self->attempt_->wsi || self->attempt_->killed) {
        return;
      }
      if (result.addresses.empty()) {
        self->attempt_->local_status = Status::WSC_ECONNECT;
        self->attempt_->local_detail = what + result.error;
        self->attempt_ended(std::move(self->attempt_));
        return;
      }
      self->attempt_->addresses = std::move(result.addresses);
      self->start_connect(self->attempt_->addresses.front());
    });
  });
}

void Connection::start_connect(std::string address) {
  std::weak_ptr<Connection> weak = shared_from_this();
  const Attempt *token = attempt_.get();
  loop_->pace_connect([weak, token, address = std::move(address)] {
    auto self = weak.lock();
    // The attempt may have been killed (timeout, close, free) while waiting.
    if (!self || self->attempt_.get() != token || self->attempt_->killed || self->attempt_->wsi) {
      return;
    }
    self->connect_to(address);
  });
}

void Connection::connect_to(const std::string &address) {
  Attempt *attempt = attempt_.get();
  // lws opens a raw TCP connection and runs the loop; wsc speaks the proxy
  // CONNECT, TLS, the upgrade and the frames itself (session.hpp).
  std::string error;
  lws_vhost *vhost = loop_->vhost(error);
  if (!vhost) {
    attempt->local_status = Status::WSC_EINTERNAL;
    attempt->local_detail = error;
    attempt_ended(std::move(attempt_));
    return;
  }
  if (!prepare_own_protocol(*attempt)) {
    attempt_ended(std::move(attempt_));
    return;
  }
  lws_client_connect_info ci{};
  ci.context = loop_->context();
  ci.vhost = vhost;
  ci.address = address.c_str();  // always numeric: lws would resolve on this thread
  ci.port = proxy_ ? static_cast<int>(proxy_->port) : url_.port;
  ci.path = url_.path.c_str();
  ci.host = url_.host.c_str();
  ci.method = "RAW";
  ci.local_protocol_name = "wsc";
  ci.retry_and_idle_policy = &kNoLwsValidityChecks;
  ci.pwsi = &attempt->wsi;
  ci.opaque_user_data = attempt;
  lws *wsi = lws_client_connect_via_info(&ci);
  if (!wsi && attempt_.get() == attempt) {
    // lws gave up without a callback (LWS-NOTES §3): socket() failed at the
    // descriptor limit, or similar. It may have stored a wsi it then freed
    // through ci.pwsi, so the pointer must not be used.
    attempt->wsi = nullptr;
    attempt->error_text = "libwebsockets could not start a connection to " + address +
                          (proxy_ ? " (proxy " + proxy_->host + ")" : std::string());
    attempt_ended(std::move(attempt_));
  }
}

bool Connection::prepare_own_protocol(Attempt &a) {
  // The Host header follows the URL (RFC 6455 §4.1); TLS_SERVER_NAME is for
  // SNI and certificate verification only.
  const std::string host = url_.host_header();
  auto headers = options_.headers;
  if (!options_.origin.empty()) headers.emplace_back("Origin", options_.origin);
  const DeflateOptions deflate = deflate_options(options_);
  if (deflate.enabled) headers.emplace_back("Sec-WebSocket-Extensions", deflate_offer(deflate));
  if (!make_upgrade_request(host, url_.path, options_.subprotocols, headers, a.request)) {
    a.local_status = Status::WSC_EINTERNAL;
    a.local_detail = "no random bytes for the Sec-WebSocket-Key (OpenSSL RAND_bytes)";
    return false;
  }
  a.response = std::make_unique<UpgradeResponse>(a.request.accept, options_.subprotocols, deflate);
  if (proxy_) {
    const std::string authority =
        (url_.host_is_ipv6 ? "[" + url_.host + "]" : url_.host) + ":" + std::to_string(url_.port);
    a.tunnel_request = connect_request(authority, *proxy_);
    a.tunnel_reply = std::make_unique<HttpResponseHead>();
  }
  if (!url_.secure) return true;
  try {
    a.tls_ctx = loop_->ssl_ctx_for(options_.tls);
  } catch (const Error &e) {
    a.local_status = e.status();
    a.local_detail = e.what();
    return false;
  }
  const std::string &peer = options_.tls.server_name.empty() ? url_.host : options_.tls.server_name;
  a.tls = std::make_unique<TlsSession>(a.tls_ctx.get(), peer, options_.tls.verify);
  if (!a.tls->ok()) {
    a.local_status = Status::WSC_ETLS;
    a.local_detail = a.tls->error();
    return false;
  }
  return true;
}

void Connection::kill_attempt(Status status, std::string detail) {
  if (!attempt_ || attempt_->killed) return;
  attempt_->killed = true;
  attempt_->local_status = status;
  attempt_->local_detail = std::move(detail);
  if (attempt_->wsi) {
    // lws has no per-connection timeouts; ask it to close asynchronously.
    lws_set_timeout(attempt_->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  } else {
    attempt_ended(std::move(attempt_));  // still resolving
  }
}

void Connection::fail_attempt(Attempt *attempt, Status status, const std::string &detail) {
  if (attempt != attempt_.get()) return;
  if (attempt->local_status == Status::WSC_OK) {
    attempt->local_status = status;
    attempt->local_detail = detail;
  }
  attempt->killed = true;
}

void Connection::on_wsi_destroyed(Attempt *attempt) {
  if (attempt_.get() != attempt) return;
  attempt_ended(std::move(attempt_));
}

Status Connection::classify(const Attempt &a, std::string &detail) const {
  const std::string where = url_.host_header();
  if (a.local_status != Status::WSC_OK || a.killed) {
    detail = a.local_detail;
    return a.local_status;
  }
  if (a.established) {
    if (a.close_sent || a.peer_closed) return Status::WSC_OK;
    detail = "connection to " + where + " lost without a close frame";
    return Status::WSC_ELOST;
  }
  if (a.tls_verify_result != X509_V_OK) {
    detail = "certificate verification failed for " + where + ": " +
             X509_verify_cert_error_string(a.tls_verify_result);
    return Status::WSC_ETLS;
  }
  if (a.http_status >= 500) {
    detail = "server " + where + " answered HTTP " + std::to_string(a.http_status) +
             " to the WebSocket upgrade";
    return Status::WSC_ESERVER;
  }
  if (a.http_status >= 400) {
    detail = "server " + where + " answered HTTP " + std::to_string(a.http_status) +
             " to the WebSocket upgrade";
    return Status::WSC_EHANDSHAKE;
  }
  if (a.http_status != 0 && a.http_status != 101) {
    detail = "server " + where + " answered HTTP " + std::to_string(a.http_status) +
             " instead of 101 Switching Protocols";
    return Status::WSC_EHANDSHAKE;
  }
  const std::string &text = a.error_text;
  if (a.proxy_status >= 500 || a.proxy_dropped) {
    // Like a 5xx from the server: the proxy or what is behind it may be
    // back in a moment, so reconnect retries.
    detail = "the HTTP proxy " + proxy_->redacted() + " failed the tunnel to " + where + " (" +
             text + ")";
    return a.proxy_dropped ? Status::WSC_ECONNECT : Status::WSC_ESERVER;
  }
  if (contains(text, "proxy")) {
    detail = "the HTTP proxy " + proxy_->redacted() + " refused the tunnel to " + where + " (" +
             text + ")";
    return Status::WSC_EHANDSHAKE;
  }
  if (contains(text, "HS:")) {
    detail = "WebSocket handshake with " + where + " failed: " + text;
    return Status::WSC_EHANDSHAKE;
  }
  if (contains(text, "SSL") || contains(text, "ssl") ||
      (url_.secure && contains(text, "read failed"))) {
    detail = "TLS handshake with " + where + " failed";
    return Status::WSC_ETLS;
  }
  if (text.empty()) {
    detail = "connection to " + where + " closed during the WebSocket handshake";
    return Status::WSC_ELOST;
  }
  detail = "cannot connect to " + where + ": " + text;
  return Status::WSC_ECONNECT;
}

void Connection::attempt_ended(std::unique_ptr<Attempt> a) {
  auto self = shared_from_this();
  rx_in_message_ = false;
  rx_buffer_.clear();
  // A message cut off mid-write goes out again, whole, on the next attempt.
  inflight_.for_each([](OutMessage &m) {
    m.written = 0;
    m.started = false;
    m.prepared = m.compressed = false;
    std::string().swap(m.deflated);
  });
  if (a->http_status || a->proxy_status) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.last_http_status = a->http_status ? a->http_status : a->proxy_status;
    stats_.http_status_from_proxy = a->http_status == 0;
  }
  std::string detail;
  const Status status = classify(*a, detail);

  // Try the host's next address before calling the attempt failed.
  if (!a->established && !a->killed && status == Status::WSC_ECONNECT &&
      a->address_index + 1 < a->addresses.size() && !loop_->stopping()) {
    attempt_ = std::make_unique<Attempt>();
    attempt_->conn = this;
    attempt_->addresses = std::move(a->addresses);
    attempt_->address_index = a->address_index + 1;
    connect_to(attempt_->addresses[attempt_->address_index]);
    return;
  }
  connect_timer_.cancel();
  close_timer_.cancel();
  stable_timer_.cancel();
  ping_timer_.cancel();
  pong_timer_.cancel();
  idle_timer_.cancel();
  write_timer_.cancel();
  ping_due_ = pong_pending_ = false;
  settle_user_pings(Status::WSC_ECLOSED);

  int code = 1006;
  std::string reason;
  if (a->established) {
    if (a->local_close_code) {
      code = a->local_close_code;
    } else if (a->close_sent) {
      std::lock_guard<std::mutex> lock(mutex_);
      code = close_code_;
      reason = close_reason_;
    } else if (a->peer_closed) {
      code = a->peer_code;
      reason = a->peer_reason;
    }
  }
  if (wants_reconnect(status, a->established ? code : 1006)) {
    schedule_reconnect(status,
                       status == Status::WSC_OK
                           ? "server closed the connection with code " + std::to_string(code)
                           : detail);
    return;
  }
  finish(status, detail, code, reason);
}

bool Connection::wants_reconnect(Status status, int close_code) const {
  if (!options_.reconnect || loop_->stopping() || detached_.load()) return false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (close_requested_) return false;
  }
  if (status == Status::WSC_OK) {
    switch (close_code) {
      case 1000:
        return options_.reconnect_on_normal_close;
      case 1001:
      case 1006:
      case 1011:
      case 1012:
      case 1013:
      case 1014:
        return true;
      default:
        return false;
    }
  }
  return !status_is_fatal(status);
}

void Connection::schedule_reconnect(Status status, const std::string &detail) {
  ++failed_attempts_;
  if (options_.reconnect_max_attempts && failed_attempts_ >= options_.reconnect_max_attempts) {
    finish(status == Status::WSC_OK ? Status::WSC_ECLOSED : status,
           "gave up after " + std::to_string(failed_attempts_) + " attempts: " + detail, 1006, "");
    return;
  }
  if (status != Status::WSC_OK) report_error(status, detail);
  set_state(State::Reconnecting);
  std::weak_ptr<Connection> weak = shared_from_this();
  reconnect_timer_.start(loop_->timers(), backoff_.next(), [weak] {
    if (auto self = weak.lock()) self->begin_attempt();
  });
}

void Connection::finish(Status status, std::string detail, int code, std::string reason) {
  if (finished_ || finishing_) return;
  finishing_ = true;
  auto self = shared_from_this();
  cancel_timers();
  settle_user_pings(Status::WSC_ECLOSED);
  size_t discarded = 0, discarded_bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    discarded = inflight_.size() + send_queue_.size();
    auto count = [&](OutMessage &m) { discarded_bytes += m.len; };
    inflight_.for_each(count);
    send_queue_.for_each(count);
    inflight_.clear();
    send_queue_.clear();
    queued_bytes_ = 0;
    stats_.send_discarded += discarded;
    final_status_ = status;
  }
  if (discarded) {
    // Nothing disappears silently: say what was never written.
    std::string lost = std::to_string(discarded) + " queued message(s), " +
                       std::to_string(discarded_bytes) + " bytes, were never sent";
    detail = detail.empty() ? lost : detail + "; " + lost;
    if (status == Status::WSC_OK) status = Status::WSC_ECLOSED;
  }
  if (status != Status::WSC_OK) report_error(status, detail);
  set_state(State::Closed);
  emit([&] {
    if (callbacks_.on_close) callbacks_.on_close(code, reason);
  });
  {
    // Waiters wake only now, so every callback has run when wait() returns.
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
  }
  changed_.notify_all();
  retired_ = true;
  loop_->retire(this);
}

void Connection::cancel_timers() {
  connect_timer_.cancel();
  close_timer_.cancel();
  reconnect_timer_.cancel();
  stable_timer_.cancel();
  ping_timer_.cancel();
  pong_timer_.cancel();
  idle_timer_.cancel();
  write_timer_.cancel();
  rate_timer_.cancel();
}

// ---- loop thread: heartbeat and timeouts ------------------------------

void Connection::start_liveness_timers() {
  last_rx_ = Clock::now();
  last_write_progress_ = last_rx_;
  ping_due_ = pong_pending_ = false;
  std::weak_ptr<Connection> weak = shared_from_this();
  if (options_.ping_interval.count() > 0) {
    ping_timer_.start_coarse(loop_->timers(), options_.ping_interval, [weak] {
      if (auto self = weak.lock()) self->on_ping_timer();
    });
  }
  if (options_.idle_timeout.count() > 0) {
    idle_timer_.start_coarse(loop_->timers(), options_.idle_timeout, [weak] {
      if (auto self = weak.lock()) self->on_idle_timer();
    });
  }
}

bool Connection::socket_has_unread_data() const {
  // A callback that blocked the loop may have kept lws from reading a pong
  // that already arrived; judge a deadline only after reading it. Not while
  // reading is paused: nothing would read it, and asking again every few
  // milliseconds would keep the loop awake forever.
  if (!attempt_ || !attempt_->wsi || input_paused(*attempt_)) return false;
  pollfd p{lws_get_socket_fd(attempt_->wsi), POLLIN, 0};
  return p.fd >= 0 && ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void Connection::on_ping_timer() {
  if (!attempt_ || !attempt_->established || state() != State::Open) return;
  std::weak_ptr<Connection> weak = shared_from_this();
  const auto next = last_rx_ + options_.ping_interval;
  if (Clock::now() < next) {
    // Traffic proves liveness: a busy connection sends no extra pings.
    ping_timer_.start_coarse(loop_->timers(), until(next), [weak] {
      if (auto self = weak.lock()) self->on_ping_timer();
    });
    return;
  }
  ping_due_ = true;
  lws_callback_on_writable(attempt_->wsi);
  ping_timer_.start_coarse(loop_->timers(), options_.ping_interval, [weak] {
    if (auto self = weak.lock()) self->on_ping_timer();
  });
}

void Connection::on_pong_deadline() {
  if (!attempt_) return;
  std::weak_ptr<Connection> weak = shared_from_this();
  if (socket_has_unread_data()) {
    pong_timer_.start(loop_->timers(), std::chrono::milliseconds(5), [weak] {
      if (auto self = weak.lock()) self->on_pong_deadline();
    });
    return;
  }
  kill_attempt(Status::WSC_ETIMEDOUT, "no pong from " + url_.host_header() + " within " +
                                          std::to_string(options_.pong_timeout.count()) +
                                          " ms (pong timeout)");
}

void Connection::on_pong() {
  const auto now = Clock::now();
  if (!pong_pending_) return;  // unsolicited, or an old ping's
  pong_pending_ = false;
  const int64_t rtt =
      std::chrono::duration_cast<std::chrono::microseconds>(now - ping_sent_at_).count();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.rtt_us_last = rtt;
    // The same smoothing TCP uses for its RTT estimate (RFC 6298, alpha 1/8).
    stats_.rtt_us_smoothed = stats_.rtt_us_smoothed < 0
                                 ? rtt
                                 : stats_.rtt_us_smoothed + (rtt - stats_.rtt_us_smoothed) / 8;
  }
  settle_user_pings(Status::WSC_OK, std::chrono::microseconds(rtt));
}

void Connection::on_idle_timer() {
  if (!attempt_ || !attempt_->established) return;
  std::weak_ptr<Connection> weak = shared_from_this();
  auto again = [&](std::chrono::microseconds delay) {
    idle_timer_.start_coarse(loop_->timers(), delay, [weak] {
      if (auto self = weak.lock()) self->on_idle_timer();
    });
  };
  const auto deadline = last_rx_ + options_.idle_timeout;
  if (Clock::now() < deadline) return again(until(deadline));
  // Paused by a full receive queue: data is waiting in the socket, so the
  // peer is not idle; the application is. Look again one period later.
  if (input_paused(*attempt_)) return again(options_.idle_timeout);
  if (socket_has_unread_data()) return again(std::chrono::milliseconds(5));
  kill_attempt(Status::WSC_ETIMEDOUT, "nothing received from " + url_.host_header() + " for " +
                                          std::to_string(options_.idle_timeout.count()) +
                                          " ms (idle timeout)");
}

void Connection::arm_write_timer() {
  if (options_.write_timeout.count() <= 0 || write_timer_.armed()) return;
  std::weak_ptr<Connection> weak = shared_from_this();
  write_timer_.start(loop_->timers(), until(last_write_progress_ + options_.write_timeout), [weak] {
    if (auto self = weak.lock()) self->on_write_timer();
  });
}

void Connection::on_write_timer() {
  if (!attempt_ || !attempt_->established) return;
  bool pending = !inflight_.empty();
  if (!pending) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending = !send_queue_.empty();
  }
  if (!pending) return;
  if (Clock::now() < last_write_progress_ + options_.write_timeout) return arm_write_timer();
  kill_attempt(Status::WSC_ETIMEDOUT, "the send queue made no progress for " +
                                          std::to_string(options_.write_timeout.count()) +
                                          " ms: the peer stopped reading (write timeout)");
}

void Connection::request_going_away() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (close_requested_) return;  // the user's own close code wins
  close_requested_ = true;
  close_code_ = 1001;
  close_reason_ = "going away";
}

void Connection::on_loop_shutdown() {
  if (finished_) return;
  request_going_away();
  if (attempt_ && attempt_->established && !loop_->context()) return;
  if (attempt_ && attempt_->established) {
    handle_close_request();
  } else if (attempt_) {
    kill_attempt(Status::WSC_ECLOSED, "the loop was shut down before the connection opened");
  } else {
    finish(Status::WSC_ECLOSED, "the loop was shut down", 1006, "");
  }
}

void Connection::handle_close_request() {
  if (finished_) return;
  switch (state()) {
    case State::Open:
      set_state(State::Closing);
      {
        std::weak_ptr<Connection> weak = shared_from_this();
        close_timer_.start(loop_->timers(), kCloseTimeout, [weak] {
          if (auto self = weak.lock()) {
            self->kill_attempt(Status::WSC_ETIMEDOUT,
                               "the server did not answer the close frame within 3000 ms");
          }
        });
      }
      if (attempt_ && attempt_->wsi) lws_callback_on_writable(attempt_->wsi);
      break;
    case State::Connecting: {
      // With messages queued, a graceful close lets them go out first: the
      // close proceeds once open. With nothing queued, stop at once.
      bool queued = !inflight_.empty();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        queued = queued || !send_queue_.empty();
      }
      if (!queued || detached_.load() || loop_->stopping()) kill_attempt(Status::WSC_OK, "");
      break;
    }
    case State::Reconnecting:
      reconnect_timer_.cancel();
      finish(Status::WSC_OK, "", 1006, "closed while waiting to reconnect");
      break;
    default:
      break;
  }
}

void Connection::handle_detach() {
  if (finished_) return;
  request_going_away();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Freed by its owner: queued messages are dropped, not waited for.
    stats_.send_discarded += inflight_.size() + send_queue_.size();
    inflight_.clear();
    send_queue_.clear();
    queued_bytes_ = 0;
  }
  handle_close_request();
}

// ---- loop thread: lws events ------------------------------------------

int Connection::handle_lws(Attempt *attempt, lws *wsi, lws_callback_reasons reason, void *in,
                           size_t len) {
  if (attempt != attempt_.get()) return 0;
  auto self = shared_from_this();
  switch (reason) {
    case LWS_CALLBACK_RAW_CONNECTED:
      // TCP is up (to the server or the proxy): the first request goes out
      // from WRITEABLE. lws 4.1.6 sends no RAW_ADOPT to a raw client.
      lws_callback_on_writable(wsi);
      return 0;
    case LWS_CALLBACK_RAW_WRITEABLE:
      return on_raw_writeable();
    case LWS_CALLBACK_RAW_RX:
      return on_raw_receive(static_cast<const uint8_t *>(in), len);
    case LWS_CALLBACK_RAW_CLOSE:
      // Say which step the server hung up in; lws has no words for it.
      if (!attempt->established && attempt->error_text.empty()) {
        if (attempt->stage == Attempt::Stage::Tunnel) {
          attempt->proxy_dropped = attempt->proxy_status == 0;
          attempt->error_text = "the proxy closed the connection before answering CONNECT";
        } else if (attempt->stage == Attempt::Stage::Tls) {
          attempt->error_text = "SSL: the server closed the connection during the TLS handshake";
        }
      }
      return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
      attempt->error_text = in ? std::string(static_cast<const char *>(in)) : std::string();
      return 0;
    }
    default:
      return 0;
  }
}

void Connection::on_established() {
  Attempt &a = *attempt_;
  a.established = true;
  connect_timer_.cancel();
  if (SSL *ssl = a.tls ? a.tls->ssl() : nullptr) {
    TlsInfo info;
    info.version = SSL_get_version(ssl);
    info.cipher = SSL_get_cipher_name(ssl);
    const int group = SSL_get_negotiated_group(ssl);
    if (const char *name = OBJ_nid2sn(group & ~TLSEXT_nid_unknown)) info.group = name;
    std::lock_guard<std::mutex> lock(mutex_);
    tls_info_ = std::move(info);
  }
  bool reopened = false, paused = false, have_data = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reopened = opened_ever_;
    opened_ever_ = true;
    if (reopened) ++stats_.reconnects;
    paused = rx_paused_;
    have_data = !send_queue_.empty() || !inflight_.empty();
  }
  (void)reopened;
  set_state(State::Open);
  std::weak_ptr<Connection> weak = shared_from_this();
  stable_timer_.start_coarse(loop_->timers(), kStableAfter, [weak] {
    if (auto self = weak.lock()) {
      self->backoff_.reset();
      self->failed_attempts_ = 0;
    }
  });
  if (paused) lws_rx_flow_control(a.wsi, 0);
  start_liveness_timers();
  emit([&] {
    if (callbacks_.on_open) callbacks_.on_open();
  });
  if (!attempt_ || !attempt_->wsi) return;
  bool closing = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing = close_requested_;
  }
  if (closing)
    handle_close_request();
  else if (have_data)
    lws_callback_on_writable(attempt_->wsi);
}

void Connection::fail_receive(int close_code, Status status, std::string detail) {
  Attempt &a = *attempt_;
  a.local_status = status;
  a.local_detail = std::move(detail);
  rx_in_message_ = false;
  rx_buffer_.clear();
  if (a.close_sent) {
    // The server broke the closing handshake (a bad code or reason in its
    // answer): nothing more to say to it; drop TCP when this read returns.
    a.close_done = true;
    return;
  }
  a.local_close_code = close_code;
  {
    // Replies the application queued to the messages delivered before the
    // violation go out before the Close (on_writeable); later sends wait
    // for a reconnect or are counted as discarded.
    std::lock_guard<std::mutex> lock(mutex_);
    while (!send_queue_.empty()) {
      inflight_.push_back(std::move(send_queue_.front()));
      send_queue_.pop_front();
    }
  }
  // Never return -1 from a receive while the peer may still send (heap
  // corruption in lws 4.1.6, LWS-NOTES §0.3): stop reading, close from
  // WRITEABLE.
  lws_rx_flow_control(a.wsi, 0);
  lws_callback_on_writable(a.wsi);
}

void Connection::on_data(const FrameEvent &event) {
  Attempt &a = *attempt_;
  if (a.local_close_code) return;  // closing after a protocol failure
  // Any frame proves the peer alive, an outstanding ping included.
  last_rx_ = Clock::now();
  pong_timer_.cancel();
  const bool final = event.message_end;
  const auto *bytes = static_cast<const unsigned char *>(event.data);
  const size_t len = event.len;
  if (event.message_start) {
    rx_in_message_ = true;
    rx_type_ = event.opcode == FrameOpcode::Text ? MessageType::Text : MessageType::Binary;
    rx_compressed_ = event.compressed;
    rx_size_ = 0;
    rx_buffer_.clear();
    rx_utf8_.reset();
  }
  rx_size_ += len;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.wire_bytes_received += len;
  }
  if (rx_compressed_) return on_compressed_data(bytes, len, final);
  // A frame that announces more than the limit fails before it arrives.
  if (rx_size_ > options_.max_message_bytes ||
      event.frame_remaining > options_.max_message_bytes - rx_size_) {
    return fail_too_big();
  }
  if (rx_type_ == MessageType::Text &&
      (!rx_utf8_.feed(bytes, len) || (final && !rx_utf8_.complete()))) {
    fail_receive(1007, Status::WSC_EPROTO, "received a text message that is not valid UTF-8");
    return;
  }
  if (!final) {
    // Grown as bytes arrive, never reserved from an announced length: a
    // 10-byte header may announce 2^40 bytes that never come.
    rx_buffer_.append(reinterpret_cast<const char *>(bytes), len);
    return;
  }
  if (rx_buffer_.empty()) {
    // The whole message came in one piece: hand out the read buffer, no copy.
    rx_in_message_ = false;
    deliver(rx_type_, std::string_view(reinterpret_cast<const char *>(bytes), len), nullptr);
    return;
  }
  rx_buffer_.append(reinterpret_cast<const char *>(bytes), len);
  deliver_rx_buffer();
}

void Connection::on_compressed_data(const unsigned char *bytes, size_t len, bool final) {
  Attempt &a = *attempt_;
  // The limit counts inflated bytes (the Inflater stops at it, so a small
  // frame cannot inflate into gigabytes); the compressed stream itself is
  // only bounded loosely, as deflate can grow incompressible data slightly.
  const size_t max = options_.max_message_bytes;
  if (rx_size_ > max + max / 64 + 4096) return fail_too_big();
  const size_t before = rx_buffer_.size();
  switch (a.inflater->feed(bytes, len, final, rx_buffer_, max)) {
    case Inflater::Result::Ok:
      break;
    case Inflater::Result::TooBig:
      return fail_too_big();
    case Inflater::Result::Corrupt:
      // RFC 7692 §6.2 says only "fail"; 1007 as Node ws and undici answer.
      return fail_receive(
          1007, Status::WSC_EPROTO,
          "received a compressed message that does not inflate: " + a.inflater->error());
    case Inflater::Result::NoMemory:
      return fail_receive(1011, Status::WSC_ENOMEM, "out of memory inflating a message");
  }
  if (rx_type_ == MessageType::Text &&
      (!rx_utf8_.feed(reinterpret_cast<const uint8_t *>(rx_buffer_.data()) + before,
                      rx_buffer_.size() - before) ||
       (final && !rx_utf8_.complete()))) {
    return fail_receive(1007, Status::WSC_EPROTO,
                        "received a text message that is not valid UTF-8");
  }
  if (final) deliver_rx_buffer();
}

void Connection::deliver_rx_buffer() {
  rx_in_message_ = false;
  deliver(rx_type_, rx_buffer_, &rx_buffer_);
  if (rx_buffer_.capacity() > kKeepRxCapacity) std::string().swap(rx_buffer_);
}

void Connection::fail_too_big() {
  fail_receive(1009, Status::WSC_ETOOBIG,
               "received a message larger than MAX_MESSAGE_BYTES (" +
                   std::to_string(options_.max_message_bytes) + " bytes)");
}

// ---- loop thread: the protocol spoken by wsc itself ----------------------

int Connection::on_raw_writeable() {
  Attempt &a = *attempt_;
  if (a.established) return on_writeable();
  if (a.opening_started) return 0;
  a.opening_started = true;
  if (a.tunnel_request.empty()) return begin_tls_or_upgrade() ? 0 : -1;
  a.stage = Attempt::Stage::Tunnel;
  // In clear text: TLS, if any, runs inside the tunnel.
  auto *request = reinterpret_cast<unsigned char *>(a.tunnel_request.data());
  if (lws_write(a.wsi, request, a.tunnel_request.size(), LWS_WRITE_RAW) < 0) {
    a.error_text = "could not send the CONNECT request";
    return -1;
  }
  return 0;
}

bool Connection::begin_tls_or_upgrade() {
  Attempt &a = *attempt_;
  if (!a.tls) return send_upgrade();
  a.stage = Attempt::Stage::Tls;
  return drive_tls_handshake();
}

bool Connection::drive_tls_handshake() {
  Attempt &a = *attempt_;
  const auto progress = a.tls->handshake();
  // The handshake's own messages go out even when it failed (an alert).
  const bool flushed = flush_tls();
  if (progress == TlsSession::Progress::Failed) {
    a.tls_verify_result = a.tls->verify_result();
    a.error_text = a.tls->error().empty() ? "SSL handshake ended by the server" : a.tls->error();
    return false;
  }
  if (!flushed) return false;
  return progress == TlsSession::Progress::Again || send_upgrade();
}

bool Connection::send_upgrade() {
  Attempt &a = *attempt_;
  a.stage = Attempt::Stage::Upgrade;
  std::string &text = a.request.text;
  if (!send_bytes(text.data(), text.size())) {
    if (a.error_text.empty()) a.error_text = "could not send the WebSocket upgrade request";
    return false;
  }
  std::string().swap(text);
  return true;
}

bool Connection::send_bytes(const void *data, size_t len) {
  Attempt &a = *attempt_;
  // A raw write: lws neither frames nor modifies the bytes.
  auto *bytes = static_cast<unsigned char *>(const_cast<void *>(data));
  if (!a.tls) return lws_write(a.wsi, bytes, len, LWS_WRITE_RAW) >= 0;
  if (!a.tls->write(bytes, len)) {
    a.error_text = a.tls->error();
    return false;
  }
  return flush_tls();
}

bool Connection::flush_tls() {
  Attempt &a = *attempt_;
  std::vector<uint8_t> &out = loop_->tls_ciphertext();
  while (const size_t n = a.tls->take_ciphertext(out.data(), out.size())) {
    if (lws_write(a.wsi, out.data(), n, LWS_WRITE_RAW) < 0) return false;
  }
  return true;
}

bool Connection::read_tunnel_reply(const uint8_t *&in, size_t &len) {
  Attempt &a = *attempt_;
  size_t used = 0;
  const auto result = a.tunnel_reply->feed(in, len, used);
  in += used;
  len -= used;
  if (result == HttpResponseHead::Result::NeedMore) return true;
  if (result == HttpResponseHead::Result::Invalid) {
    a.error_text = "bad answer from the proxy: " + a.tunnel_reply->error();
    return false;
  }
  const int status = a.tunnel_reply->status();
  a.proxy_status = status;
  if (status / 100 != 2) {
    a.error_text = "the proxy answered HTTP " + std::to_string(status) + " to CONNECT";
    return false;
  }
  a.tunnel_reply.reset();
  return begin_tls_or_upgrade();
}

int Connection::on_raw_receive(const uint8_t *in, size_t len) {
  Attempt &a = *attempt_;
  if (!a.established && a.stage == Attempt::Stage::Tunnel) {
    if (!read_tunnel_reply(in, len)) return -1;
    if (a.stage == Attempt::Stage::Tunnel) return 0;
  }
  if (!a.tls) {
    // Bytes set aside while paused come first.
    if (!a.rx_pending.empty()) {
      a.rx_pending.append(reinterpret_cast<const char *>(in), len);
      return pump_input() ? 0 : -1;
    }
    return on_plaintext(in, len) && !a.close_done ? 0 : -1;
  }
  a.tls->put_ciphertext(in, len);
  if (!a.established && a.stage == Attempt::Stage::Tls) {
    if (!drive_tls_handshake()) return -1;
    if (a.stage == Attempt::Stage::Tls) return 0;
  }
  return pump_input() ? 0 : -1;
}

bool Connection::input_open(const Attempt &a) const {
  // Bytes after our failure Close, the server's Close or a kill are not
  // looked at: the connection is ending.
  return !a.local_close_code && !a.close_reply_due && !a.close_done && !a.killed;
}

bool Connection::input_paused(const Attempt &a) const {
  // Only the loop thread writes rx_paused_. Once our Close is out, reading
  // goes on to find the server's answer (deliver() discards beyond the bound).
  return rx_paused_ && a.established && !a.close_sent;
}

bool Connection::pump_input() {
  Attempt &a = *attempt_;
  if (!a.rx_pending.empty() && !input_paused(a)) {
    std::string pending;
    pending.swap(a.rx_pending);
    if (!on_plaintext(reinterpret_cast<const uint8_t *>(pending.data()), pending.size())) {
      return false;
    }
  }
  if (a.tls) {
    std::vector<uint8_t> &plain = loop_->tls_plaintext();
    // A non-empty rx_pending means reading paused; the rest stays in TLS.
    while (input_open(a) && a.rx_pending.empty() && !input_paused(a)) {
      const long n = a.tls->read(plain.data(), plain.size());
      if (n == 0) break;
      if (n < 0) {
        if (!a.established && a.error_text.empty()) a.error_text = a.tls->error();
        return false;
      }
      if (!on_plaintext(plain.data(), static_cast<size_t>(n))) return false;
    }
    // TLS may have something to send of its own (a key update, an alert).
    if (!a.close_done && !flush_tls()) return false;
  }
  return !a.close_done;
}

bool Connection::on_plaintext(const uint8_t *in, size_t len) {
  Attempt &a = *attempt_;
  if (!a.established) {
    if (!accept_upgrade(in, len)) return false;
    if (!a.established) return true;  // the response head is still incomplete
  }
  while (len && input_open(a)) {
    if (input_paused(a)) {
      // The receive queue is full: keep the rest (at most one read) until
      // the application takes messages (resume_reading).
      a.rx_pending.append(reinterpret_cast<const char *>(in), len);
      return true;
    }
    FrameEvent event;
    const size_t used = a.parser.next(in, len, event);
    in += used;
    len -= used;
    if (event.kind == FrameEvent::Kind::NeedMore) break;
    on_frame(event);
  }
  return true;
}

bool Connection::accept_upgrade(const uint8_t *&in, size_t &len) {
  Attempt &a = *attempt_;
  size_t used = 0;
  const auto result = a.response->feed(in, len, used);
  in += used;
  len -= used;
  if (result == UpgradeResponse::Result::NeedMore) return true;
  a.http_status = a.response->status();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.last_http_status = a.http_status;
    stats_.http_status_from_proxy = false;
    subprotocol_ = a.response->subprotocol();
  }
  if (result == UpgradeResponse::Result::Rejected) {
    a.error_text = a.response->error();
    return false;
  }
  if (const DeflateParams &deflate = a.response->deflate(); deflate.enabled) {
    // A new context per attempt: nothing carries over from a dropped one.
    a.deflater = std::make_unique<Deflater>(deflate);
    a.inflater = std::make_unique<Inflater>(deflate);
    a.parser.set_allow_rsv1(true);
  }
  a.response.reset();
  on_established();
  return true;
}

void Connection::on_frame(const FrameEvent &event) {
  switch (event.kind) {
    case FrameEvent::Kind::Data:
      on_data(event);
      return;
    case FrameEvent::Kind::Control:
      on_control_frame(event);
      return;
    case FrameEvent::Kind::Error:
      fail_receive(event.close_code, Status::WSC_EPROTO, event.detail);
      return;
    case FrameEvent::Kind::NeedMore:
      return;
  }
}

void Connection::on_control_frame(const FrameEvent &event) {
  Attempt &a = *attempt_;
  last_rx_ = Clock::now();
  pong_timer_.cancel();
  switch (event.opcode) {
    case FrameOpcode::Ping: {
      if (a.close_sent) return;
      std::string payload(reinterpret_cast<const char *>(event.data), event.len);
      if (a.pongs_due.size() < kMaxPendingPongs)
        a.pongs_due.push_back(std::move(payload));
      else
        a.pongs_due.back() = std::move(payload);
      lws_callback_on_writable(a.wsi);
      return;
    }
    case FrameOpcode::Pong:
      on_pong();
      return;
    case FrameOpcode::Close:
      if (a.close_sent) {
        // The answer to our Close: the closing handshake is complete, and
        // the socket is closed when this read returns.
        a.close_done = true;
        return;
      }
      a.peer_closed = true;
      if (event.len >= 2) {
        a.peer_code = (event.data[0] << 8) | event.data[1];
        a.peer_reason.assign(reinterpret_cast<const char *>(event.data) + 2, event.len - 2);
      }
      if (state() == State::Open) set_state(State::Closing);
      a.close_reply_due = true;
      lws_callback_on_writable(a.wsi);
      return;
    default:
      return;
  }
}

bool Connection::append_control(FrameBatch &batch, FrameOpcode opcode, const void *payload,
                                size_t len) {
  return batch.append(opcode, true, static_cast<const uint8_t *>(payload), len);
}

void Connection::deliver(MessageType type, std::string_view data, std::string *owned) {
  if (!pull_mode_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.msgs_received;
      stats_.bytes_received += data.size();
    }
    emit([&] { callbacks_.on_message(type, data); });
    return;
  }
  const bool closing = attempt_ && attempt_->close_sent;
  bool pause = false, became_readable = false;
  std::unique_lock<std::mutex> lock(mutex_);
  if (closing && recv_bytes_ >= options_.recv_queue_bytes) {
    // Our Close is out and the queue is full: reading goes on only to see
    // the server's answer; what arrives meanwhile is counted, not queued.
    ++stats_.recv_discarded;
    return;
  }
  lock.unlock();
  Message m;
  m.type = type;
  m.data = owned ? std::move(*owned) : std::string(data);
  if (owned) owned->clear();
  {
    lock.lock();
    ++stats_.msgs_received;
    stats_.bytes_received += m.data.size();
    recv_bytes_ += m.data.size() + kQueuedMessageOverhead;
    became_readable = recv_queue_.empty();
    recv_queue_.push_back(std::move(m));
    // A slow reader slows the server down instead of growing memory.
    if (recv_bytes_ >= options_.recv_queue_bytes && !rx_paused_ && !closing) {
      pause = rx_paused_ = true;
    }
    lock.unlock();
  }
  // Receivers wait only for an empty queue to fill: one wake-up per burst,
  // not one per message taking the CPU from this thread mid-delivery.
  if (became_readable) changed_.notify_all();
  if (pause && attempt_ && attempt_->wsi) lws_rx_flow_control(attempt_->wsi, 0);
  if (became_readable)
    emit([&] {
      if (callbacks_.on_readable) callbacks_.on_readable();
    });
}

namespace {

const char *close_reason_for(int code) {
  switch (code) {
    case 1009:
      return "message too big";
    case 1007:
      return "invalid UTF-8";
    default:
      return "protocol error";
  }
}

// A Close payload: the code big-endian, then the reason; 1005 means none.
std::string close_payload(int code, const std::string &reason) {
  if (code == 1005) return {};
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  return out + reason;
}

}  // namespace

int Connection::on_writeable() {
  Attempt &a = *attempt_;
  lws *wsi = a.wsi;
  // A final Close went out: drop TCP once lws has written all of it.
  if (a.drop_when_flushed) return -1;
  // Waiting for the server's answer to our Close (close_timer_ bounds it).
  if (a.close_sent || a.close_replied) return 0;
  FrameBatch &batch = loop_->frame_batch();
  batch.clear();
  if (a.close_reply_due) {
    // Answering the server's Close with its own code, then dropping TCP.
    a.close_reply_due = false;
    a.close_replied = true;
    const std::string payload = close_payload(a.peer_code, "");
    if (append_control(batch, FrameOpcode::Close, payload.data(), payload.size())) {
      send_bytes(batch.data(), batch.size());
    }
    return drop_after_flush(a);
  }
  // Failing the connection (RFC 6455 §7.1.7): what the application queued
  // before the violation (replies to the messages delivered before it) goes
  // out first, then the Close (fail_receive moved those into inflight_).
  const bool failing = a.local_close_code != 0;
  bool no_mask_key = false;
  // Every ping gets its own pong, in order (coalesced only past
  // kMaxPendingPongs), ahead of any data.
  for (; !a.pongs_due.empty() && !no_mask_key; a.pongs_due.pop_front()) {
    const std::string &payload = a.pongs_due.front();
    no_mask_key = !append_control(batch, FrameOpcode::Pong, payload.data(), payload.size());
  }
  if (ping_due_ && !no_mask_key && !failing) {
    ping_due_ = false;
    // Control frames may go between the fragments of a message.
    const uint64_t id = ++ping_count_;
    no_mask_key = !append_control(batch, FrameOpcode::Ping, &id, sizeof id);
    ping_sent_at_ = Clock::now();
    pong_pending_ = true;
    // The deadline runs from the first unanswered ping: later pings (when
    // the interval is shorter than the timeout) must not push it back.
    if (!pong_timer_.armed() && options_.pong_timeout.count() > 0) {
      std::weak_ptr<Connection> weak = shared_from_this();
      pong_timer_.start(loop_->timers(), options_.pong_timeout, [weak] {
        if (auto self = weak.lock()) self->on_pong_deadline();
      });
    }
  }
  uint64_t sent_msgs = 0, sent_bytes = 0, sent_wire_bytes = 0;
  bool failed = no_mask_key, out_of_memory = false;
  // wsc frames the messages itself and packs them into one raw write
  // (frame_batch.hpp).
  size_t next = 0;     // index in inflight_ of the message being written
  size_t batched = 0;  // leading inflight_ messages whose frames are all in the batch
  auto count_sent = [&] {
    OutMessage &done = inflight_.front();
    ++sent_msgs;
    sent_bytes += done.len;
    sent_wire_bytes += done.wire_len();
    inflight_.pop_front();
    --next;
  };
  bool wrote = false;
  // Messages count as sent only once lws took their bytes.
  auto flush = [&] {
    if (batch.empty()) return true;
    if (!send_bytes(batch.data(), batch.size())) return false;
    wrote = true;
    batch.clear();
    for (; batched; --batched) count_sent();
    if (options_.write_timeout.count() > 0) last_write_progress_ = Clock::now();
    return true;
  };
  bool choked = false;
  for (; !failed;) {
    if (next == inflight_.size()) {
      // All framed: send them before taking more from the queue.
      if (!flush()) {
        failed = true;
        break;
      }
      if (failing) break;
      std::lock_guard<std::mutex> lock(mutex_);
      if (send_queue_.empty()) break;
      inflight_.swap(send_queue_);
    }
    OutMessage &m = inflight_[next];
    std::chrono::microseconds wait{0};
    // Clock reads only when a limit is set: this runs once per message.
    if (rate_.enabled() && !failing && !m.started && !rate_.try_take(Clock::now(), wait)) {
      // Over SEND_RATE_PER_S: come back when the next token is there.
      std::weak_ptr<Connection> weak = shared_from_this();
      rate_timer_.start(loop_->timers(), wait, [weak] {
        if (auto self = weak.lock()) self->request_writable();
      });
      break;
    }
    if (!m.prepared && !compress_for_wire(a, m)) {
      failed = out_of_memory = true;
      break;
    }
    const size_t chunk = std::min(m.wire_len() - m.written, kFragmentBytes);
    const bool fin = m.written + chunk == m.wire_len();
    if (!batch.fits(chunk)) {
      if (!flush()) {
        failed = true;
        break;
      }
      if ((choked = lws_send_pipe_choked(wsi) != 0)) break;
      continue;
    }
    const FrameOpcode opcode = m.started                     ? FrameOpcode::Continuation
                               : m.type == MessageType::Text ? FrameOpcode::Text
                                                             : FrameOpcode::Binary;
    // RSV1 marks a compressed message on its first frame only (RFC 7692 §6).
    if (!batch.append(opcode, fin, m.wire() + m.written, chunk, m.compressed && !m.started)) {
      failed = no_mask_key = true;
      break;
    }
    m.started = true;
    m.written += chunk;
    if (fin) {
      ++next;
      ++batched;
    }
  }
  if (!failed && !flush()) failed = true;
  // lws_send_pipe_choked is a poll(): ask only when something was written.
  if (!failed && (choked || (wrote && lws_send_pipe_choked(wsi)))) {
    lws_callback_on_writable(wsi);
    arm_write_timer();
    choked = true;
  }
  bool drained = false, closing = false;
  int code = 1000;
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.msgs_sent += sent_msgs;
    stats_.bytes_sent += sent_bytes;
    stats_.wire_bytes_sent += sent_wire_bytes;
    queued_bytes_ -= sent_bytes;
    if (drain_armed_ && queued_bytes_ <= options_.send_queue_bytes / 2) {
      drain_armed_ = false;
      drained = true;
    }
    closing =
        close_requested_ && send_queue_.empty() && inflight_.empty() && state_ == State::Closing;
    code = close_code_;
    reason = close_reason_;
  }
  if (failed) {
    if (failing) return -1;  // already failing: its status stands
    a.local_status = out_of_memory ? Status::WSC_ENOMEM
                     : no_mask_key ? Status::WSC_EINTERNAL
                                   : Status::WSC_ELOST;
    a.local_detail = out_of_memory ? "out of memory compressing a message"
                     : no_mask_key
                         ? "no random bytes for a frame mask key (OpenSSL RAND_bytes failed)"
                         : "writing to " + url_.host_header() + " failed";
    return -1;
  }
  if (drained)
    emit([&] {
      if (callbacks_.on_drain) callbacks_.on_drain();
    });
  if (failing) {
    if (!inflight_.empty() || choked) return 0;  // the rest of the replies first
    const std::string payload =
        close_payload(a.local_close_code, close_reason_for(a.local_close_code));
    batch.clear();
    a.close_sent = true;
    if (append_control(batch, FrameOpcode::Close, payload.data(), payload.size())) {
      send_bytes(batch.data(), batch.size());
    }
    return drop_after_flush(a);
  }
  if (closing && attempt_ && !a.close_sent) {
    // Then wait for the server's answer (close_timer_ bounds the wait),
    // reading on even when the receive queue is full (resume_reading).
    const std::string payload = close_payload(code, reason);
    batch.clear();
    a.close_sent = true;
    if (!append_control(batch, FrameOpcode::Close, payload.data(), payload.size()) ||
        !send_bytes(batch.data(), batch.size())) {
      return -1;
    }
    if (rx_paused_) {
      std::weak_ptr<Connection> weak = shared_from_this();
      loop_->post([weak] {
        if (auto self = weak.lock()) self->resume_reading();
      });
    }
    return 0;
  }
  return 0;
}

bool Connection::compress_for_wire(Attempt &a, OutMessage &m) {
  m.prepared = true;
  // Messages are compressed in the order they go out: with context
  // takeover each refers back to the ones before it.
  if (!a.deflater || m.len < options_.deflate_min_bytes) return true;
  if (!a.deflater->compress(m.payload(), m.len, m.deflated)) return false;
  m.compressed = true;
  return true;
}

int Connection::drop_after_flush(Attempt &a) {
  // lws keeps what the socket did not take and writes it before the next
  // WRITEABLE: dropping TCP now could cut the Close short.
  a.drop_when_flushed = true;
  if (!lws_send_pipe_choked(a.wsi)) return -1;
  lws_callback_on_writable(a.wsi);
  return 0;
}

void Connection::request_writable() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    write_posted_ = false;
  }
  if (attempt_ && attempt_->established && attempt_->wsi) lws_callback_on_writable(attempt_->wsi);
}

void Connection::resume_reading() {
  bool resume = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    resume_posted_ = false;
    const bool closing = attempt_ && attempt_->close_sent;
    if (rx_paused_ && (closing || recv_bytes_ <= options_.recv_queue_bytes / 2)) {
      rx_paused_ = false;
      resume = true;
    }
  }
  if (!resume || !attempt_ || !attempt_->established || !attempt_->wsi) return;
  // What was set aside first; it may fill the queue again.
  if (!pump_input()) {
    // Outside an lws callback: ask lws to close. attempt_ says why.
    if (!attempt_->killed)
      lws_set_timeout(attempt_->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return;
  }
  if (attempt_->local_close_code || attempt_->close_reply_due) return;  // WRITEABLE closes
  if (!rx_paused_) lws_rx_flow_control(attempt_->wsi, 1);
}

void Connection::set_state(State next) {
  State prev;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    prev = state_;
    if (prev == next) return;
    state_ = next;
  }
  changed_.notify_all();
  emit([&] {
    if (callbacks_.on_state) callbacks_.on_state(prev, next);
  });
}

}  // namespace wsc::detail
