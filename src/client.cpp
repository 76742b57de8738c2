// The public C++ types: thin RAII handles over LoopCore and Connection.
#include <wsc/client.hpp>

#include "connection.hpp"
#include "loop_core.hpp"
#include "options_snapshot.hpp"
#include "proxy.hpp"
#include "url.hpp"

namespace wsc {

Loop::Loop() : core_(detail::LoopCore::create()) {}

Loop::~Loop() { core_->shutdown(); }

std::string Loop::metrics_text() const { return core_->metrics().text(); }

Loop &Loop::default_loop() {
  // Intentionally never destroyed: connections may outlive static
  // destruction order, and joining a thread during exit can deadlock.
  static Loop *loop = new Loop();
  return *loop;
}

Client::Client(Loop &loop, std::string_view url, const Options &options, Callbacks callbacks) {
  detail::Url parsed = detail::parse_url(url);
  validate(options);
  Options effective = options;
  if (effective.proxy.empty() && effective.proxy_from_env) {
    effective.proxy = detail::proxy_from_env(parsed.secure, parsed.host);
    if (!effective.proxy.empty()) validate(effective);  // names a bad variable value
  }
  // Build (or find) the TLS context now, so a missing CA file or a bad
  // cipher string fails here, synchronously, naming the culprit.
  if (parsed.secure) loop.core()->ssl_ctx_for(options.tls);
  conn_ = std::make_shared<detail::Connection>(loop.core(), std::move(parsed),
                                               detail::share_options(std::move(effective)),
                                               std::move(callbacks));
  conn_->start();
}

Client::~Client() { conn_->detach(); }

Status Client::try_send(MessageType type, std::string_view data) noexcept {
  try {
    return conn_->send(type, data);
  } catch (const std::bad_alloc &) {
    return Status::WSC_ENOMEM;
  } catch (...) {
    return Status::WSC_EINTERNAL;
  }
}

void Client::send(MessageType type, std::string_view data) {
  const Status s = try_send(type, data);
  if (s != Status::WSC_OK) throw Error(s, "send failed");
}

Status Client::try_send_shared(MessageType type, std::shared_ptr<const std::string> data) noexcept {
  if (!data) return Status::WSC_EINVAL;
  const std::string_view bytes = *data;
  return try_send_shared(type, bytes, std::move(data));
}

Status Client::try_send_shared(MessageType type, std::string_view data,
                               std::shared_ptr<const void> owner) noexcept {
  try {
    return conn_->send_held(type, data, std::move(owner));
  } catch (const std::bad_alloc &) {
    return Status::WSC_ENOMEM;
  } catch (...) {
    return Status::WSC_EINTERNAL;
  }
}

void Client::send_shared(MessageType type, std::shared_ptr<const std::string> data) {
  const Status s = try_send_shared(type, std::move(data));
  if (s != Status::WSC_OK) throw Error(s, "send failed");
}

Status Client::try_recv(Millis timeout, Message &out) noexcept {
  try {
    return conn_->recv(timeout, out);
  } catch (const std::bad_alloc &) {
    return Status::WSC_ENOMEM;
  } catch (...) {
    return Status::WSC_EINTERNAL;
  }
}

std::optional<Message> Client::recv(Millis timeout) {
  Message m;
  const Status s = try_recv(timeout, m);
  if (s == Status::WSC_EWAIT) return std::nullopt;
  if (s != Status::WSC_OK) throw Error(s, "receive failed");
  return m;
}

Status Client::try_close(int code, std::string_view reason) noexcept {
  if (!detail::is_valid_close_code(code) || reason.size() > 123 ||
      !detail::is_valid_utf8(reason.data(), reason.size())) {
    return Status::WSC_EINVAL;
  }
  try {
    return conn_->close(code, reason);
  } catch (...) {
    return Status::WSC_ENOMEM;
  }
}

void Client::close(int code, std::string_view reason) {
  const Status s = try_close(code, reason);
  if (s == Status::WSC_EINVAL) {
    throw Error(s, "close code " + std::to_string(code) +
                       " cannot be sent (use 1000-1003, 1007-1014 or 3000-4999) or the reason is "
                       "not UTF-8 of at most 123 bytes");
  }
  if (s != Status::WSC_OK) throw Error(s, "close failed");
}

Status Client::wait(State state, Millis timeout) noexcept {
  try {
    return conn_->wait(state, timeout);
  } catch (...) {
    return Status::WSC_EINTERNAL;
  }
}

Status Client::ping(Millis timeout,
                    std::function<void(Status, std::chrono::microseconds rtt)> done) {
  return ping(timeout, {}, std::move(done));
}

Status Client::ping(Millis timeout, std::string_view payload,
                    std::function<void(Status, std::chrono::microseconds rtt)> done) {
  try {
    return conn_->ping(timeout, std::string(payload), std::move(done));
  } catch (const std::bad_alloc &) {
    return Status::WSC_ENOMEM;
  }
}

State Client::state() const noexcept { return conn_->state(); }
bool Client::closing() const noexcept { return conn_->closing(); }
Stats Client::stats() const noexcept { return conn_->stats(); }
std::string Client::subprotocol() const { return conn_->subprotocol(); }
TlsInfo Client::tls_info() const { return conn_->tls_info(); }
std::vector<std::pair<std::string, std::string>> Client::response_headers() const {
  return conn_->response_headers();
}
std::pair<std::string, int> Client::remote_address() const { return conn_->remote_address(); }
ReconnectInfo Client::last_reconnect() const { return conn_->last_reconnect(); }
Status Client::last_error(std::string &detail) const { return conn_->last_error(detail); }

}  // namespace wsc
