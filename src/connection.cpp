// Connection: the methods any thread may call (send, recv, close, wait and
// the getters) and the state changes they wait for. The rest of the class
// is spread over connection_*.cpp, one concern each (see connection.hpp).
#include "connection.hpp"

#include <arpa/inet.h>

#include "connection_internal.hpp"
#include "loop_core.hpp"

namespace wsc::detail {

namespace {

std::unique_ptr<const ProxyUrl> proxy_of(const Options &options) {
  if (options.proxy.empty()) return nullptr;
  return std::make_unique<const ProxyUrl>(parse_proxy_url(options.proxy));
}

bool is_ip_literal(const std::string &host) {
  in6_addr buf;
  return inet_pton(AF_INET, host.c_str(), &buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &buf) == 1;
}

}  // namespace

Connection::Connection(std::shared_ptr<LoopCore> loop, Url url,
                       std::shared_ptr<const Options> options, Callbacks callbacks)
    : loop_(std::move(loop)),
      url_(std::move(url)),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      pull_mode_(!callbacks_.on_message),
      proxy_(proxy_of(*options_)),
      proxy_host_(proxy_ ? proxy_->socket_host() : std::string()),
      proxy_is_ip_(proxy_ && is_ip_literal(proxy_host_)),
      backoff_(options_->reconnect_min, options_->reconnect_max, options_->reconnect_seed),
      rate_(options_->send_rate_per_s, options_->send_burst) {}

Connection::~Connection() = default;

void Connection::start() {
  auto self = shared_from_this();
  if (!loop_->post([self] {
        self->loop_->adopt(self);
        self->begin_attempt();
      })) {
    throw Error(Status::WSC_ECLOSED, "the loop has been shut down");
  }
}

Status Connection::check_payload(MessageType type, std::string_view data) const {
  if (type != MessageType::Text && type != MessageType::Binary) return Status::WSC_EINVAL;
  if (data.size() > options_->send_queue_bytes) return Status::WSC_ETOOBIG;
  if (type == MessageType::Text && !is_valid_utf8(data.data(), data.size())) {
    return Status::WSC_EINVAL;
  }
  return Status::WSC_OK;
}

Status Connection::send(MessageType type, std::string_view data) {
  if (const Status s = check_payload(type, data); s != Status::WSC_OK) return s;
  OutMessage m;
  try {
    m.buffer = loop_->buffers().take(data.size());
    m.buffer.assign(data.data(), data.size());
  } catch (const std::bad_alloc &) {
    return Status::WSC_ENOMEM;
  }
  m.len = data.size();
  m.type = type;
  return enqueue(std::move(m));
}

Status Connection::send_held(MessageType type, std::string_view data,
                             std::shared_ptr<const void> owner) {
  if (const Status s = check_payload(type, data); s != Status::WSC_OK) return s;
  OutMessage m;
  m.len = data.size();
  m.type = type;
  m.held_data = data.data() ? data.data() : "";
  m.held = std::move(owner);
  return enqueue(std::move(m));
}

Status Connection::enqueue(OutMessage &&m) {
  bool post_write = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_ || close_requested_ || state_ == State::Closed) {
      loop_->buffers().give(std::move(m.buffer));
      return Status::WSC_ECLOSED;
    }
    if (queued_bytes_ + m.len > options_->send_queue_bytes) {
      // Back for the retry: a sender spinning on a full queue must not
      // drain the pool.
      loop_->buffers().give(std::move(m.buffer));
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
  if (rx_paused_ && !resume_posted_ && recv_bytes_ <= options_->recv_queue_bytes / 2) {
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
  s.recv_queue_bytes = recv_bytes_;
  return s;
}

Status Connection::last_error(std::string &detail) const {
  std::lock_guard<std::mutex> lock(mutex_);
  detail = last_error_detail_;
  return last_error_;
}

void Connection::report_error(Status status, const std::string &detail) {
  loop_->metrics().failed(url_, status);
  if (log_enabled(LogLevel::Warn)) {
    log_line(LogLevel::Warn, endpoint_label(url_) + ": " + status_text(status) + ": " + detail);
  }
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
  return tls_info_ ? *tls_info_ : TlsInfo{};
}

std::string Connection::subprotocol() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subprotocol_;
}

std::vector<std::pair<std::string, std::string>> Connection::response_headers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unpack_fields(response_headers_);
}

std::pair<std::string, int> Connection::remote_address() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return remote_address_;
}

ReconnectInfo Connection::last_reconnect() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_reconnect_;
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
