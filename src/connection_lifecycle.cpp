// Connection, loop thread: how an attempt ended (classify), whether to
// reconnect, and the end of the logical connection; user close, detach and
// loop shutdown.
#include <openssl/x509.h>

#include "connection.hpp"
#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

namespace {

bool contains(const std::string &text, const char *what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

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
  if (a.tcp_failed && proxy_) {
    detail = "cannot connect to the HTTP proxy " + proxy_->redacted() + ": " + text;
    return Status::WSC_ECONNECT;
  }
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
  if (text.empty() && !a.connected) {
    // lws dropped the attempt before TCP was up without saying why (for
    // example, no file descriptor left for the socket).
    detail = "cannot connect to " + where +
             (proxy_ ? " through the proxy " + proxy_->redacted() : "") +
             ": no TCP connection could be made";
    return Status::WSC_ECONNECT;
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
      a->handshake->address_index + 1 < a->handshake->addresses.size() && !loop_->stopping()) {
    attempt_ = std::make_unique<Attempt>();
    attempt_->conn = this;
    Handshake &next = *attempt_->handshake;
    next.addresses = std::move(a->handshake->addresses);
    next.address_index = a->handshake->address_index + 1;
    connect_to(next.addresses[next.address_index]);
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
  if (!options_->reconnect || loop_->stopping() || detached_.load()) return false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (close_requested_) return false;
  }
  if (status == Status::WSC_OK) {
    switch (close_code) {
      case 1000:
        return options_->reconnect_on_normal_close;
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
  if (options_->reconnect_max_attempts && failed_attempts_ >= options_->reconnect_max_attempts) {
    finish(status == Status::WSC_OK ? Status::WSC_ECLOSED : status,
           "gave up after " + std::to_string(failed_attempts_) + " attempts: " + detail, 1006, "");
    return;
  }
  if (status != Status::WSC_OK) report_error(status, detail);
  const Millis delay = backoff_.next();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_reconnect_ = {delay, detail};  // before on_state, which may read it
  }
  set_state(State::Reconnecting);
  if (log_enabled(LogLevel::Info)) {
    log_line(LogLevel::Info,
             "reconnecting to " + endpoint_label(url_) + " in " + std::to_string(delay.count()) +
                 " ms after: " +
                 (status == Status::WSC_OK ? detail : status_text(status) + (": " + detail)));
  }
  reconnect_timer_.start(loop_->timers(), delay, fire<&Connection::begin_attempt>, this);
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
  if (log_enabled(LogLevel::Info)) {
    log_line(LogLevel::Info, "closed " + endpoint_label(url_) + ": code " + std::to_string(code) +
                                 (reason.empty() ? "" : " (" + reason + ")"));
  }
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
      close_timer_.start(loop_->timers(), kCloseTimeout, fire<&Connection::on_close_timeout>, this);
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

void Connection::on_close_timeout() {
  kill_attempt(Status::WSC_ETIMEDOUT, "the server did not answer the close frame within 3000 ms");
}

// ---- loop thread: lws events ------------------------------------------

}  // namespace wsc::detail
