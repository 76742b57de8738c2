// wsc C++ API: RAII handles over the same core the C ABI uses.
//
// Threads: a Loop and a Client may be used from any thread. Callbacks run on
// the loop's thread with no wsc lock held; inside them, send/close/destroying
// a Client are allowed, blocking calls on the same loop are not.
#pragma once

#include <wsc/status.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The C++ API is exported from libwsc.so next to the C ABI (all of it in
// namespace wsc); everything else stays hidden.
#if defined(_WIN32)
#define WSC_CXX_API __declspec(dllexport)
#else
#define WSC_CXX_API __attribute__((visibility("default")))
#endif

namespace wsc {

#define WSC_CPP_STATUS_ENTRY(name, value, fatal, text) name = value,
enum class Status : int { WSC_STATUS_MAP(WSC_CPP_STATUS_ENTRY) };
#undef WSC_CPP_STATUS_ENTRY

enum class State : int { Connecting = 0, Open = 1, Closing = 2, Closed = 3, Reconnecting = 4 };
enum class MessageType : int { Text = 1, Binary = 2 };
// The control frames Callbacks::on_control reports (values are the opcodes).
enum class ControlFrame : int { Ping = 9, Pong = 10 };

// Words for a status ("unknown status" for values not in the table).
WSC_CXX_API const char *status_text(Status s) noexcept;
// True if a connection ending with this status is never retried.
WSC_CXX_API bool status_is_fatal(Status s) noexcept;

// what() is "<status words>: <detail>"; detail() is the specifics alone
// (what the C ABI hands out as wsc_last_error_detail, so bindings that put
// the status words in front never say them twice).
class WSC_CXX_API Error : public std::runtime_error {
 public:
  Error(Status status, const std::string &detail);
  Status status() const noexcept { return status_; }
  const std::string &detail() const noexcept { return detail_; }

 private:
  Status status_;
  std::string detail_;
};

using Millis = std::chrono::milliseconds;

// Connection options, copied at connect. Zero durations turn a timer off.
struct Options {
  Millis connect_timeout{10000};
  Millis ping_interval{0};
  Millis pong_timeout{10000};
  Millis idle_timeout{0};
  Millis write_timeout{0};
  bool reconnect = false;
  Millis reconnect_min{500};
  Millis reconnect_max{30000};
  uint32_t reconnect_max_attempts = 0;  // 0 = unlimited
  bool reconnect_on_normal_close = false;
  uint64_t reconnect_seed = 0;  // tests only: deterministic jitter
  size_t max_message_bytes = 16u << 20;
  size_t send_queue_bytes = 64u << 20;
  size_t recv_queue_bytes = 64u << 20;
  uint32_t send_rate_per_s = 0;  // 0 = unlimited
  uint32_t send_burst = 0;       // 0 = same as the rate
  bool compression = false;      // offer permessage-deflate (RFC 7692)
  // permessage-deflate parameters, used with `compression`:
  int deflate_client_max_window_bits = 15;          // 9..15: the window we compress with
  int deflate_server_max_window_bits = 0;           // 0: no request; 9..15: ask the server for it
  bool deflate_client_no_context_takeover = false;  // reset our context per message
  bool deflate_server_no_context_takeover = false;  // ask the server to reset its own
  size_t deflate_min_bytes = 256;                   // shorter messages go uncompressed
  std::vector<std::string> subprotocols;
  std::string origin;
  std::vector<std::pair<std::string, std::string>> headers;
  struct Tls {
    bool verify = true;
    int min_version = 12;  // 12 or 13
    // Resume TLS sessions (tickets or ids) of earlier connections to the
    // same server on the same loop: reconnects skip the full handshake.
    bool session_resumption = true;
    std::string ca_file, cert_file, key_file, ciphers, tls13_ciphersuites, groups, server_name;
  } tls;
  std::string proxy;  // http://[user:pass@]host:port
  bool proxy_from_env = false;
};

// Throws Error(Status::WSC_EINVAL) naming the first bad field.
WSC_CXX_API void validate(const Options &options);
// Throws Error(Status::WSC_EINVAL) unless `name: value` may be added to the
// upgrade request: name an RFC 9110 token that wsc does not set itself (Host,
// Upgrade, Connection, Origin, Sec-WebSocket-*, Content-Length,
// Transfer-Encoding), value free of control characters (CR, LF, NUL, ...).
WSC_CXX_API void validate_header(const std::string &name, const std::string &value);

struct Stats {
  uint64_t msgs_sent = 0, msgs_received = 0, bytes_sent = 0, bytes_received = 0;
  uint64_t reconnects = 0, send_discarded = 0, connect_attempts = 0;
  size_t send_queue_bytes = 0;
  int64_t rtt_us_last = -1, rtt_us_smoothed = -1;
  int last_http_status = 0;
  bool http_status_from_proxy = false;  // last_http_status is the proxy's answer to CONNECT
  // Received messages dropped unread: they arrived after our Close while
  // the pull-mode receive queue was full.
  uint64_t recv_discarded = 0;
  // Message payload bytes as framed on the wire: after compression with
  // permessage-deflate (bytes_sent/bytes_received count them before).
  uint64_t wire_bytes_sent = 0, wire_bytes_received = 0;
  // Pull mode: bytes of received messages waiting for recv().
  size_t recv_queue_bytes = 0;
};

// What TLS negotiated on the current (or last) connection; empty for ws://.
struct TlsInfo {
  std::string version;   // e.g. "TLSv1.3"
  std::string cipher;    // e.g. "TLS_AES_256_GCM_SHA384"
  std::string group;     // key exchange group, e.g. "X25519"
  bool resumed = false;  // the handshake resumed an earlier session
};

// The latest reconnect the connection scheduled: why the attempt before it
// ended and how long it waits before the next one (already set when
// on_state reports Reconnecting).
struct ReconnectInfo {
  Millis delay{0};
  std::string reason;
};

struct Message {
  MessageType type = MessageType::Binary;
  std::string data;
};

// Each may be empty. No on_message = pull mode (Client::recv).
struct Callbacks {
  std::function<void()> on_open;
  // data is valid only during the call.
  std::function<void(MessageType, std::string_view data)> on_message;
  std::function<void(Status, std::string_view detail)> on_error;
  // Once, when the connection is closed for good.
  std::function<void(int code, std::string_view reason)> on_close;
  std::function<void(State from, State to)> on_state;
  std::function<void()> on_drain;
  // Pull mode only: the receive queue went from empty to non-empty; drain
  // it with recv(0ms) until nothing is left, then wait for the next call.
  std::function<void()> on_readable;
  // A Ping from the server (wsc has already queued the Pong that answers
  // it), or a Pong that answers no ping of ours (unsolicited: RFC 6455
  // allows one as a one-way heartbeat). payload is valid only during the call.
  std::function<void(ControlFrame, std::string_view payload)> on_control;
};

namespace detail {
class LoopCore;
class Connection;
}  // namespace detail

// One event loop with its own service thread. Destroying it closes its
// connections and joins the thread.
class WSC_CXX_API Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop &) = delete;
  Loop &operator=(const Loop &) = delete;

  // The process-wide loop used when none is given; lives until exit.
  static Loop &default_loop();

  const std::shared_ptr<detail::LoopCore> &core() const noexcept { return core_; }

  // Any thread: this loop's metrics, per endpoint, in the Prometheus text
  // exposition format 0.0.4 (README.md "Metrics and logging").
  std::string metrics_text() const;

 private:
  std::shared_ptr<detail::LoopCore> core_;
};

// One logical connection (it lives on across reconnects). Destroying it
// from any thread, even inside its own callback, guarantees no callback
// starts afterwards.
class WSC_CXX_API Client {
 public:
  // Throws Error(WSC_EINVAL) for a bad URL or options; network outcomes
  // arrive through callbacks.
  Client(Loop &loop, std::string_view url, const Options &options = {}, Callbacks callbacks = {});
  ~Client();
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;

  // Queue a message. try_send returns WSC_EAGAIN when the queue is full;
  // send throws Error instead.
  Status try_send(MessageType type, std::string_view data) noexcept;
  void send(MessageType type, std::string_view data);
  void send_text(std::string_view text) { send(MessageType::Text, text); }
  void send_binary(std::string_view data) { send(MessageType::Binary, data); }
  // The same without the copy: the message is written from `data` itself,
  // which the library holds until it is written (or dropped with the
  // connection) and then releases, on the loop's thread. For large payloads,
  // and for one payload sent on many connections. `data` must not change
  // while held; a null `data` is WSC_EINVAL.
  Status try_send_shared(MessageType type, std::shared_ptr<const std::string> data) noexcept;
  void send_shared(MessageType type, std::shared_ptr<const std::string> data);
  // Any bytes: `data` stays valid and unchanged while the library holds
  // `owner` (a buffer, a mapping, or a deleter that releases them).
  Status try_send_shared(MessageType type, std::string_view data,
                         std::shared_ptr<const void> owner) noexcept;

  // Pull mode: a message, or nullopt on timeout (negative = wait forever).
  // Throws Error(WSC_ECLOSED) once closed and drained.
  std::optional<Message> recv(Millis timeout = Millis{-1});
  // Non-throwing form used by the C ABI: WSC_EWAIT when nothing arrived
  // within the timeout, WSC_ECLOSED once closed and drained.
  Status try_recv(Millis timeout, Message &out) noexcept;

  // Graceful close (queued messages go out first). Throws on a bad code.
  void close(int code = 1000, std::string_view reason = {});
  Status try_close(int code, std::string_view reason) noexcept;

  // Wait until `state` is reached: WSC_OK, the status that ended the
  // connection (WSC_ETIMEDOUT if one of its timers ended it), or WSC_EWAIT
  // when `timeout` ran out first. For State::Closed: WSC_OK only after a
  // clean close, else the status that ended the connection.
  Status wait(State state, Millis timeout = Millis{-1}) noexcept;

  // Send a ping now. On WSC_OK, done runs exactly once on the loop thread
  // (no wsc lock held; it must not block): WSC_OK with the round-trip time
  // when a pong arrives, WSC_ETIMEDOUT when none came within timeout,
  // WSC_ECLOSED when the connection ends first. Returns WSC_EINVAL for an
  // empty done or a timeout <= 0, WSC_ECLOSED when not open (done never
  // runs then). After the Client is destroyed, done no longer runs.
  Status ping(Millis timeout, std::function<void(Status, std::chrono::microseconds rtt)> done);
  // The same with the ping's payload (at most 125 bytes, else WSC_EINVAL):
  // the pong that echoes this payload settles it. An empty payload is the
  // ping above.
  Status ping(Millis timeout, std::string_view payload,
              std::function<void(Status, std::chrono::microseconds rtt)> done);

  State state() const noexcept;
  // True once close() was called or the connection has ended for good.
  bool closing() const noexcept;
  Stats stats() const noexcept;
  std::string subprotocol() const;
  TlsInfo tls_info() const;
  // Header fields of the last upgrade response (lowercase names, sorted;
  // a repeated field joined with ", "); empty before the first response.
  std::vector<std::pair<std::string, std::string>> response_headers() const;
  // The numeric address and port of the TCP peer of the last upgrade (the
  // proxy's with a proxy); {"", 0} before the first response.
  std::pair<std::string, int> remote_address() const;
  ReconnectInfo last_reconnect() const;
  // The last error reported through on_error (recoverable ones during
  // reconnects included), with its detail; WSC_OK if none yet. Useful in
  // pull mode, where there is no on_error.
  Status last_error(std::string &detail) const;

 private:
  std::shared_ptr<detail::Connection> conn_;
};

}  // namespace wsc
