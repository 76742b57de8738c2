// One logical WebSocket connection: the state machine, the send and receive
// queues and the per-attempt lws wsi under it. It survives reconnects; each
// attempt gets a fresh wsi.
//
// Threads: the public methods (send, recv, close, wait, state, stats,
// detach) are for any thread and take mutex_. Everything named on_* or
// handle_* runs on the loop thread only, as do the timers.
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <wsc/client.hpp>

#include "attempt.hpp"
#include "backoff.hpp"
#include "fifo.hpp"
#include "frame_parser.hpp"
#include "http_head.hpp"
#include "permessage_deflate.hpp"
#include "proxy.hpp"
#include "rate_limiter.hpp"
#include "timer.hpp"
#include "tls_session.hpp"
#include "url.hpp"
#include "utf8.hpp"
#include "ws_handshake.hpp"

namespace wsc::detail {

class LoopCore;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // options: an immutable snapshot, shared with other connections
  // (options_snapshot.hpp).
  Connection(std::shared_ptr<LoopCore> loop, Url url, std::shared_ptr<const Options> options,
             Callbacks callbacks);
  ~Connection();

  // Any thread.
  void start();
  Status send(MessageType type, std::string_view data);
  // The bytes of `data` stay valid while `owner` lives; not copied.
  Status send_held(MessageType type, std::string_view data, std::shared_ptr<const void> owner);
  Status recv(Millis timeout, Message &out);
  Status close(int code, std::string_view reason);
  Status wait(State state, Millis timeout);
  State state() const;
  // close() was called, or the connection ended for good.
  bool closing() const;
  Stats stats() const;
  const Url &url() const { return url_; }
  std::string subprotocol() const;
  std::vector<std::pair<std::string, std::string>> response_headers() const;
  std::pair<std::string, int> remote_address() const;
  ReconnectInfo last_reconnect() const;
  TlsInfo tls_info() const;
  Status last_error(std::string &detail) const;
  // A ping on demand (connection_ping.cpp). done runs once on the loop
  // thread: WSC_OK with the round-trip time on the first pong after the
  // ping went out, WSC_ETIMEDOUT when none came within timeout, WSC_ECLOSED
  // when the connection was not open or its socket ended first.
  // A non-empty payload (<= 125 bytes) goes in a ping frame of its own,
  // settled by the pong that echoes it; an empty one rides on the heartbeat.
  using PingDone = std::function<void(Status, std::chrono::microseconds rtt)>;
  Status ping(Millis timeout, std::string payload, PingDone done);
  // No callback starts after this returns; the loop then drops the wsi.
  void detach();

  // Loop thread: lws events for the current attempt.
  int handle_lws(Attempt *attempt, lws *wsi, lws_callback_reasons reason, void *in, size_t len);
  void on_wsi_destroyed(Attempt *attempt);
  // Loop thread: handling the attempt threw; lws drops the wsi next.
  void fail_attempt(Attempt *attempt, Status status, const std::string &detail);
  // Loop thread: the loop is shutting down.
  void on_loop_shutdown();
  void cancel_timers();

 private:
  Status check_payload(MessageType type, std::string_view data) const;
  Status enqueue(OutMessage &&m);
  void begin_attempt();
  void start_connect(std::string address);
  void connect_to(const std::string &address);
  bool prepare_own_protocol(Attempt &a);
  void on_established();
  int on_raw_writeable();
  int on_raw_receive(const uint8_t *in, size_t len);
  bool pump_input();
  bool input_open(const Attempt &a) const;
  bool input_paused(const Attempt &a) const;
  int drop_after_flush(Attempt &a);
  bool compress_for_wire(Attempt &a, OutMessage &m);
  void end_tls(Attempt &a);
  bool on_plaintext(const uint8_t *in, size_t len);
  bool read_tunnel_reply(const uint8_t *&in, size_t &len);
  bool begin_tls_or_upgrade();
  bool drive_tls_handshake();
  bool send_upgrade();
  bool send_bytes(const void *data, size_t len);
  bool flush_tls();
  bool accept_upgrade(const uint8_t *&in, size_t &len);
  void on_frame(const FrameEvent &event);
  void on_control_frame(const FrameEvent &event);
  void on_data(const FrameEvent &event);
  void on_compressed_data(const unsigned char *bytes, size_t len, bool final);
  void deliver_rx_buffer();
  void reuse_rx_capacity(uint64_t first_frame);
  void fail_too_big();
  bool append_control(FrameBatch &batch, FrameOpcode opcode, const void *payload, size_t len);
  int on_writeable();
  void write_soon();
  void fail_receive(int close_code, Status status, std::string detail);
  void kill_attempt(Status status, std::string detail);
  void attempt_ended(std::unique_ptr<Attempt> attempt);
  void schedule_reconnect(Status status, const std::string &detail);
  void finish(Status status, std::string detail, int code, std::string reason);
  void deliver(MessageType type, std::string_view data, std::string *owned);
  void request_writable();
  void resume_reading();
  void handle_close_request();
  void handle_detach();
  void request_going_away();
  void set_state(State next);
  void log_opened(bool reopened, std::chrono::steady_clock::duration handshake) const;
  void report_error(Status status, const std::string &detail);
  // A Timer's Fire (context: this connection): runs Method while the
  // connection is alive.
  template <void (Connection::*Method)()>
  static void fire(void *connection);
  void on_connect_timeout();
  void on_stable();
  void on_close_timeout();
  void start_liveness_timers();
  void on_ping_timer();
  void on_pong_deadline();
  void on_idle_timer();
  void on_write_timer();
  void on_pong(std::string_view payload);
  void emit_control(ControlFrame kind, std::string_view payload);
  bool socket_has_unread_data() const;
  void arm_write_timer();
  Status classify(const Attempt &a, std::string &detail) const;
  bool wants_reconnect(Status status, int close_code) const;
  // connection_ping.cpp: a ping asked for by ping(), waiting for its pong.
  struct UserPing {
    Connection *owner = nullptr;
    PingDone done;
    std::chrono::steady_clock::time_point requested_at;
    Timer deadline;
    // Empty: settled by the heartbeat's next pong. Else sent in a ping of
    // its own (sent_at set when it went out) and settled by its echo.
    std::string payload;
    std::optional<std::chrono::steady_clock::time_point> sent_at;
  };
  void start_user_ping(Millis timeout, std::string payload, PingDone done);
  static void on_user_ping_deadline(void *ping);
  // Writer: the payload pings not sent yet go into batch (false: no mask key).
  bool append_user_pings(FrameBatch &batch);
  // A pong that echoes a sent payload ping settles it; false if none.
  bool settle_payload_ping(std::string_view payload);
  // Ends the pings whose ping frame went out (all of them unless OK).
  void settle_user_pings(Status status,
                         std::chrono::microseconds rtt = std::chrono::microseconds(0));
  void end_user_ping(UserPing *ping, Status status, std::chrono::microseconds rtt);
  // emit() for a ping's done (emit is a template local to connection.cpp).
  void emit_ping_done(const PingDone &done, Status status, std::chrono::microseconds rtt);

  template <class F>
  void emit(F &&f);

  const std::shared_ptr<LoopCore> loop_;
  const Url url_;
  const std::shared_ptr<const Options> options_;  // never null
  const Callbacks callbacks_;
  const bool pull_mode_;
  const std::unique_ptr<const ProxyUrl> proxy_;  // null: no proxy
  const std::string proxy_host_;                 // to open the socket to: IPv6 without brackets
  const bool proxy_is_ip_;

  // Shared between threads, under mutex_.
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  State state_ = State::Connecting;
  Status final_status_ = Status::WSC_OK;
  bool finished_ = false;
  bool opened_ever_ = false;
  bool close_requested_ = false;
  int close_code_ = 1000;
  std::string close_reason_;
  Fifo<OutMessage> send_queue_;
  size_t queued_bytes_ = 0;  // send_queue_ plus inflight_
  bool write_posted_ = false;
  bool drain_armed_ = false;
  Fifo<Message> recv_queue_;
  size_t recv_bytes_ = 0;
  bool rx_paused_ = false;
  bool resume_posted_ = false;
  Stats stats_;
  std::string subprotocol_;
  std::string response_headers_;                       // of the last upgrade, pack_fields()
  std::pair<std::string, int> remote_address_{"", 0};  // TCP peer of the last upgrade
  ReconnectInfo last_reconnect_;
  std::unique_ptr<const TlsInfo> tls_info_;  // of the last TLS handshake
  Status last_error_ = Status::WSC_OK;
  std::string last_error_detail_;

  // Callbacks run under callback_mutex_ so that detach() from another
  // thread can wait for a running one to return.
  std::mutex callback_mutex_;
  std::atomic<bool> detached_{false};

  // Loop thread only.
  std::unique_ptr<Attempt> attempt_;
  Fifo<OutMessage> inflight_;
  std::string rx_buffer_;
  MessageType rx_type_ = MessageType::Binary;
  bool rx_compressed_ = false;  // RSV1 on the message's first frame
  bool rx_in_message_ = false;
  size_t rx_size_ = 0;
  Utf8Validator rx_utf8_;
  Backoff backoff_;
  uint32_t failed_attempts_ = 0;
  bool retired_ = false;
  bool finishing_ = false;
  Timer connect_timer_;
  Timer close_timer_;
  Timer reconnect_timer_;
  Timer stable_timer_;
  Timer ping_timer_;
  Timer pong_timer_;
  Timer idle_timer_;
  Timer write_timer_;
  Timer rate_timer_;
  RateLimiter rate_;
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint last_rx_{};
  TimePoint last_write_progress_{};
  TimePoint ping_sent_at_{};
  bool ping_due_ = false;  // a ping waits for WRITEABLE
  bool pong_pending_ = false;
  uint64_t ping_count_ = 0;
  std::vector<std::unique_ptr<UserPing>> user_pings_;
};

}  // namespace wsc::detail
