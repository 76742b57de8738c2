// Connection, loop thread: starting one attempt (resolve, connect through
// lws, prepare the per-socket session: tunnel, TLS, upgrade, deflate) and
// the moment it opens.
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include "connection.hpp"
#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

namespace {

// wsc runs its own heartbeats and timeouts. Without this, lws re-arms a
// per-connection "validity" timer on every received frame from its default
// policy, an O(connections) insertion into its sorted timer list.
const lws_retry_bo_t kNoLwsValidityChecks = {};

}  // namespace

void Connection::begin_attempt() {
  if (finished_) return;
  attempt_ = std::make_unique<Attempt>();
  attempt_->conn = this;
  uint64_t number;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    number = ++stats_.connect_attempts;
  }
  if (log_enabled(LogLevel::Debug)) {
    log_line(LogLevel::Debug, "connecting to " + endpoint_label(url_) +
                                  (url_.secure ? " (TLS)" : "") + ", attempt " +
                                  std::to_string(number));
  }
  if (state() != State::Connecting) set_state(State::Connecting);
  connect_timer_.start(loop_->timers(), options_->connect_timeout,
                       fire<&Connection::on_connect_timeout>, this);
  // Through a proxy the proxy resolves the target's name (the client may
  // not see that DNS at all), and wsc resolves the proxy's: lws would look
  // it up with a blocking getaddrinfo on the loop thread.
  const bool ip = proxy_ ? proxy_is_ip_ : url_.host_is_ip;
  const std::string &name = proxy_ ? proxy_host_ : url_.host;
  const int port = proxy_ ? static_cast<int>(proxy_->port) : url_.port;
  if (ip) {
    attempt_->handshake->addresses = {name};
    start_connect(name);
    return;
  }
  const Attempt *token = attempt_.get();
  std::weak_ptr<Connection> weak = weak_from_this();
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
      self->attempt_->handshake->addresses = std::move(result.addresses);
      self->start_connect(self->attempt_->handshake->addresses.front());
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
  auto headers = options_->headers;
  if (!options_->origin.empty()) headers.emplace_back("Origin", options_->origin);
  const DeflateOptions deflate = deflate_options(*options_);
  if (deflate.enabled) headers.emplace_back("Sec-WebSocket-Extensions", deflate_offer(deflate));
  if (!make_upgrade_request(host, url_.path, options_->subprotocols, headers,
                            a.handshake->request)) {
    a.local_status = Status::WSC_EINTERNAL;
    a.local_detail = "no random bytes for the Sec-WebSocket-Key (OpenSSL RAND_bytes)";
    return false;
  }
  a.handshake->response = std::make_unique<UpgradeResponse>(a.handshake->request.accept,
                                                            options_->subprotocols, deflate);
  if (proxy_) {
    const std::string authority =
        (url_.host_is_ipv6 ? "[" + url_.host + "]" : url_.host) + ":" + std::to_string(url_.port);
    a.handshake->tunnel_request = connect_request(authority, *proxy_);
    a.handshake->tunnel_reply = std::make_unique<HttpResponseHead>();
  }
  if (!url_.secure) return true;
  try {
    a.tls_ctx = loop_->ssl_ctx_for(options_->tls);
  } catch (const Error &e) {
    a.local_status = e.status();
    a.local_detail = e.what();
    return false;
  }
  const std::string &peer =
      options_->tls.server_name.empty() ? url_.host : options_->tls.server_name;
  a.tls = std::make_unique<TlsSession>(a.tls_ctx.get(), peer, options_->tls.verify);
  if (!a.tls->ok()) {
    a.local_status = Status::WSC_ETLS;
    a.local_detail = a.tls->error();
    return false;
  }
  if (options_->tls.session_resumption) {
    // Everything a resumed session skips checking is in the key.
    const std::string key = url_.host + "|" + std::to_string(url_.port) + "|" + peer + "|" +
                            (options_->tls.verify ? "v" : "-") + "|" +
                            tls_profile_key(options_->tls);
    TlsSessionCache &cache = loop_->tls_sessions();
    a.tls->resume_from(cache.find(key));
    a.tls->on_new_session([&cache, key](SSL_SESSION *s) { cache.store(key, s); });
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
    loop_->kill_async(attempt_->wsi);
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

void Connection::on_established() {
  Attempt &a = *attempt_;
  a.established = true;
  connect_timer_.cancel();
  const auto handshake = Clock::now() - a.started;
  loop_->metrics().opened(url_, handshake);
  if (SSL *ssl = a.tls ? a.tls->ssl() : nullptr) {
    TlsInfo info;
    info.version = SSL_get_version(ssl);
    info.cipher = SSL_get_cipher_name(ssl);
    const int group = SSL_get_negotiated_group(ssl);
    if (const char *name = OBJ_nid2sn(group & ~TLSEXT_nid_unknown)) info.group = name;
    info.resumed = a.tls->resumed();
    std::lock_guard<std::mutex> lock(mutex_);
    tls_info_ = std::make_unique<const TlsInfo>(std::move(info));
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
  if (log_enabled(LogLevel::Info)) log_opened(reopened, handshake);
  set_state(State::Open);
  stable_timer_.start_coarse(loop_->timers(), kStableAfter, fire<&Connection::on_stable>, this);
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

// The open, with what TLS negotiated: never headers or the URL's path,
// which may carry tokens.
void Connection::log_opened(bool reopened, Clock::duration handshake) const {
  std::string line = (reopened ? "reopened " : "open ") + endpoint_label(url_) + " in " +
                     std::to_string(std::chrono::duration_cast<Millis>(handshake).count()) + " ms";
  const TlsInfo tls = tls_info();
  if (!tls.version.empty()) {
    line += ", " + tls.version + " " + tls.cipher + (tls.group.empty() ? "" : " " + tls.group) +
            (tls.resumed ? ", session resumed" : "");
  }
  if (attempt_ && attempt_->deflater) line += ", permessage-deflate";
  log_line(LogLevel::Info, line);
}

void Connection::on_connect_timeout() {
  kill_attempt(Status::WSC_ETIMEDOUT,
               "no WebSocket connection to " + url_.host_header() + " within " +
                   std::to_string(options_->connect_timeout.count()) + " ms (connect timeout)");
}

void Connection::on_stable() {
  backoff_.reset();
  failed_attempts_ = 0;
}

}  // namespace wsc::detail
