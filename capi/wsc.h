/* wsc: a WebSocket client library. The flat C ABI, the one door for every
 * language binding.
 *
 * Conventions
 *  - Functions return a status: WSC_OK (0) or a negative wsc_status. Ask
 *    wsc_strerror() for the words and wsc_last_error_detail() for the
 *    thread-local details of the last failure on the calling thread.
 *  - Every *_free accepts NULL and returns nothing. Out-parameters come last
 *    and are named `out`; what a `**out` returns belongs to the caller.
 *  - Size-prefixed structs: set `struct_size = sizeof(struct)` before passing.
 *  - Threads: wsc_loop, wsc_conn and wsc_options may be used from any thread
 *    unless a function says otherwise. Callbacks run on the loop's thread.
 */
#ifndef WSC_WSC_H
#define WSC_WSC_H

#include <stddef.h>
#include <stdint.h>
#include <wsc/status.h>

#if defined(_WIN32)
#define WSC_API __declspec(dllexport)
#else
#define WSC_API __attribute__((visibility("default")))
#endif

/* The version of this header; wsc_version() tells the library's. A test
 * checks them against meson's project version. */
#define WSC_VERSION_MAJOR 0
#define WSC_VERSION_MINOR 1
#define WSC_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, for `#if WSC_VERSION_NUM >= 100`. */
#define WSC_VERSION_NUM (WSC_VERSION_MAJOR * 10000 + WSC_VERSION_MINOR * 100 + WSC_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

#define WSC_ENUM_ENTRY(name, value, fatal, text) name = value,
enum wsc_status { WSC_STATUS_MAP(WSC_ENUM_ENTRY) WSC_STATUS_END_ = -1000 };
#undef WSC_ENUM_ENTRY

enum wsc_msg_type { WSC_TEXT = 1, WSC_BINARY = 2 };

enum wsc_state {
  WSC_CONNECTING = 0,
  WSC_OPEN = 1,
  WSC_CLOSING = 2,
  WSC_CLOSED = 3,
  WSC_RECONNECTING = 4
};

/* Option keys. Integer options (set with wsc_options_set_int) are < 100,
 * string options (wsc_options_set_str) are >= 100. Numbers never change. */
enum wsc_option {
  WSC_OPT_CONNECT_TIMEOUT_MS = 1,         /* TCP + TLS + upgrade; default 10000 */
  WSC_OPT_PING_INTERVAL_MS = 2,           /* 0 = no heartbeat (default) */
  WSC_OPT_PONG_TIMEOUT_MS = 3,            /* default 10000 */
  WSC_OPT_IDLE_TIMEOUT_MS = 4,            /* 0 = none (default) */
  WSC_OPT_WRITE_TIMEOUT_MS = 5,           /* 0 = none (default) */
  WSC_OPT_RECONNECT = 6,                  /* 0/1, default 0 */
  WSC_OPT_RECONNECT_MIN_MS = 7,           /* default 500 */
  WSC_OPT_RECONNECT_MAX_MS = 8,           /* default 30000 */
  WSC_OPT_RECONNECT_MAX_ATTEMPTS = 9,     /* 0 = unlimited (default) */
  WSC_OPT_RECONNECT_ON_NORMAL_CLOSE = 10, /* 0/1, default 0 */
  WSC_OPT_MAX_MESSAGE_BYTES = 11,         /* default 16 MiB */
  WSC_OPT_SEND_QUEUE_BYTES = 12,          /* default 64 MiB */
  WSC_OPT_RECV_QUEUE_BYTES = 13,          /* pull mode; default 64 MiB */
  WSC_OPT_SEND_RATE_PER_S = 14,           /* 0 = unlimited (default) */
  WSC_OPT_SEND_BURST = 15,                /* messages; default = rate */
  WSC_OPT_COMPRESSION = 16,               /* 0/1 permessage-deflate, default 0 */
  WSC_OPT_TLS_VERIFY = 17,                /* 0/1, default 1 */
  WSC_OPT_TLS_MIN_VERSION = 18,           /* 12 or 13, default 12 */
  WSC_OPT_PROXY_FROM_ENV = 19,            /* 0/1, default 0 */
  WSC_OPT_RECONNECT_SEED = 20,            /* tests only: nonzero = deterministic jitter */
  /* permessage-deflate parameters (RFC 7692), used with WSC_OPT_COMPRESSION: */
  WSC_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS = 21,     /* 9..15, default 15: our compression window */
  WSC_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS = 22,     /* 0 = no request (default), 9..15 */
  WSC_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER = 23, /* 0/1, default 0 */
  WSC_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER = 24, /* 0/1, default 0: ask the server */
  WSC_OPT_DEFLATE_MIN_BYTES = 25,      /* shorter messages go uncompressed; default 256 */
  WSC_OPT_TLS_SESSION_RESUMPTION = 26, /* 0/1, default 1: resume earlier TLS sessions */

  WSC_OPT_SUBPROTOCOLS = 100, /* comma-separated list */
  WSC_OPT_ORIGIN = 101,
  WSC_OPT_TLS_CA_FILE = 102, /* PEM bundle; replaces the system store */
  WSC_OPT_TLS_CERT_FILE = 103,
  WSC_OPT_TLS_KEY_FILE = 104,
  WSC_OPT_TLS_CIPHERS = 105, /* TLS 1.2 cipher list */
  WSC_OPT_TLS13_CIPHERSUITES = 106,
  WSC_OPT_TLS_GROUPS = 107,
  WSC_OPT_TLS_SERVER_NAME = 108, /* SNI and name to verify */
  WSC_OPT_PROXY = 109            /* http://[user:pass@]host:port */
};

/* A loop: one event loop and its service thread; many connections share it.
 * Any thread may use it. */
typedef struct wsc_loop wsc_loop;
/* Connection options, copied by wsc_connect. Not thread-safe: one thread at a
 * time may change an options object. */
typedef struct wsc_options wsc_options;
/* One logical connection; it lives on across reconnects. Any thread. */
typedef struct wsc_conn wsc_conn;

typedef struct wsc_message {
  int type; /* WSC_TEXT or WSC_BINARY */
  size_t len;
  const unsigned char *data; /* valid until wsc_message_free */
} wsc_message;

/* Several messages taken by wsc_recv_many, in one block: message i has
 * lens[i] bytes of type types[i] (WSC_TEXT or WSC_BINARY), at data plus the
 * sum of the lengths before it. Everything stays valid until wsc_batch_free. */
typedef struct wsc_batch {
  size_t count; /* messages, at least 1 */
  size_t bytes; /* sum of lens */
  const unsigned char *data;
  const size_t *lens;
  const unsigned char *types;
} wsc_batch;

typedef struct wsc_stats {
  size_t struct_size; /* caller sets sizeof(wsc_stats) */
  uint64_t msgs_sent; /* written to the socket by lws */
  uint64_t msgs_received;
  uint64_t bytes_sent;
  uint64_t bytes_received;
  uint64_t reconnects;          /* successful re-opens after the first */
  uint64_t send_discarded;      /* messages never written, dropped at final close */
  size_t send_queue_bytes;      /* queued, not yet written */
  int64_t rtt_us_last;          /* last ping round trip, -1 if none */
  int64_t rtt_us_smoothed;      /* exponentially smoothed, -1 if none */
  uint64_t connect_attempts;    /* attempts made, including the first */
  int last_http_status;         /* of the last upgrade response, 0 if none */
  int http_status_from_proxy;   /* 1: last_http_status is the proxy's answer to CONNECT */
  uint64_t recv_discarded;      /* pull mode: arrived after our Close with the queue full */
  uint64_t wire_bytes_sent;     /* payload bytes framed, after permessage-deflate */
  uint64_t wire_bytes_received; /* payload bytes received, before inflating */
} wsc_stats;

typedef struct wsc_tls_info {
  size_t struct_size; /* caller sets sizeof(wsc_tls_info) */
  char version[32];   /* e.g. "TLSv1.3" */
  char cipher[96];    /* e.g. "TLS_AES_256_GCM_SHA384" */
  char group[48];     /* key exchange group, e.g. "X25519" */
  int resumed;        /* 1: the handshake resumed an earlier session (appended;
                         a caller built before it may pass the older size) */
} wsc_tls_info;

/* Callbacks run on the loop thread with no wsc lock held. Inside them any
 * wsc_* call is allowed (wsc_send, wsc_close and wsc_conn_free only enqueue),
 * except blocking ones on the same loop (wsc_wait, wsc_recv with a timeout,
 * wsc_loop_free of this loop). Pointers passed in stay valid only until the
 * callback returns. Each entry may be NULL. */
typedef struct wsc_callbacks {
  size_t struct_size; /* sizeof(wsc_callbacks) */
  void (*on_open)(wsc_conn *c, void *user);
  /* NULL on_message = pull mode: take messages with wsc_recv. */
  void (*on_message)(wsc_conn *c, int type, const void *data, size_t len, void *user);
  void (*on_error)(wsc_conn *c, int status, const char *detail, void *user);
  /* Once, when the connection reaches WSC_CLOSED for good. */
  void (*on_close)(wsc_conn *c, int close_code, const char *reason, void *user);
  void (*on_state)(wsc_conn *c, int old_state, int new_state, void *user);
  void (*on_drain)(wsc_conn *c, void *user); /* send queue fell below half */
  /* Pull mode only (on_message NULL): the receive queue went from empty to
   * non-empty. Drain it with wsc_recv(c, 0, ...) until WSC_EWAIT; the
   * next call comes only after it was empty again. Lets an event loop wait
   * for messages without a thread while the queue stays bounded. */
  void (*on_readable)(wsc_conn *c, void *user);
} wsc_callbacks;

/* ---- library -------------------------------------------------------------
 * These four never fail, take no lock and may be called from any thread,
 * callbacks included. */

/* The library's version, "MAJOR.MINOR.PATCH" (compare WSC_VERSION_*: the
 * header you compiled against). Static storage; never NULL. */
WSC_API const char *wsc_version(void);
/* The words for a status (the third column of <wsc/status.h>), e.g. "timed
 * out". Static storage; never NULL; "unknown status" for values not in the
 * table. */
WSC_API const char *wsc_strerror(int status);
/* 1 if a connection that ends with this status is never retried by
 * auto-reconnect (WSC_EINVAL, WSC_EHANDSHAKE, WSC_ETLS, ...), else 0;
 * 1 for values not in the table. */
WSC_API int wsc_status_is_fatal(int status);
/* The specifics of the last failed wsc call on the calling thread (thread-
 * local), without the status words: print both, as
 *   fprintf(stderr, "%s: %s\n", wsc_strerror(rc), wsc_last_error_detail());
 * "" after a call that succeeded. When wsc_wait, wsc_recv or wsc_recv_many
 * report that the connection has ended, it holds why the connection ended
 * (its last error, as wsc_conn_last_error gives). The string belongs to the
 * library and stays valid until the next wsc call on this thread. */
WSC_API const char *wsc_last_error_detail(void);

/* ---- loops ------------------------------------------------------------- */

/* A new loop with its own service thread. Returns NULL on failure
 * (wsc_last_error_detail says why: WSC_EINTERNAL, e.g. no thread or no
 * descriptors). The caller owns it: free with wsc_loop_free. */
WSC_API wsc_loop *wsc_loop_new(void);
/* Closes the loop's connections (their handles stay valid until
 * wsc_conn_free, and they report WSC_ECLOSED), then joins the thread. Blocks: never call it from a
 * callback of a connection on this loop. NULL is ignored. */
WSC_API void wsc_loop_free(wsc_loop *loop);

/* ---- metrics and logging ------------------------------------------------ */

/* The loop's metrics (loop NULL = the default loop) in the Prometheus text
 * exposition format 0.0.4, labelled per endpoint ("host:port"): connections
 * by state, attempts, opens, errors by status, reconnects, messages and
 * bytes both ways (payload and wire), queue depths, discarded messages,
 * RTT and handshake-duration histograms, RPC calls by outcome, and pool
 * gauges and totals (README.md "Metrics and logging" lists them). Any
 * thread, also inside a callback. Writes the text with its NUL into buf
 * when buf_len is enough;
 * *out is always set to the bytes the text needs with its NUL. buf may be
 * NULL when buf_len is 0 (to ask for the size). A buffer too small is
 * WSC_EINVAL ("buffer too small"): call again with *out bytes, plus some
 * room, since the numbers may have grown meanwhile. */
WSC_API int wsc_loop_metrics_text(wsc_loop *loop, char *buf, size_t buf_len, size_t *out);

enum wsc_log_level {
  WSC_LOG_OFF = 0,
  WSC_LOG_ERROR = 1,
  WSC_LOG_WARN = 2,
  WSC_LOG_INFO = 3,
  WSC_LOG_DEBUG = 4
};

/* origin is "wsc" for wsc's own events (connecting, open with TLS details
 * and handshake time, errors, reconnect with delay and reason, close code)
 * and "lws" for libwebsockets' lines. Runs on the thread that logs (mostly
 * a loop thread), possibly on several at once, with no wsc lock held; it
 * must not block for long and must not call wsc_set_log_handler. Both
 * strings are valid only during the call. Lines never carry request
 * headers (Authorization, cookies), proxy credentials, or URL paths and
 * queries. */
typedef void (*wsc_log_fn)(int level, const char *origin, const char *message, void *user);

/* Process-wide (libwebsockets' logging is). Lines above level are dropped
 * before they are made; fn NULL or WSC_LOG_OFF is silence, which is also
 * the default: wsc never writes to stderr itself. When it returns, the
 * previous handler is neither running nor called again. Any thread. */
WSC_API int wsc_set_log_handler(int level, wsc_log_fn fn, void *user);

/* ---- options ------------------------------------------------------------
 * One thread at a time per options object. wsc_connect copies it, so it
 * may be changed or freed right after. */

/* A new options object holding the defaults (see enum wsc_option). NULL when
 * out of memory (WSC_ENOMEM in wsc_last_error_detail). Free with
 * wsc_options_free; NULL is ignored there. */
WSC_API wsc_options *wsc_options_new(void);
WSC_API void wsc_options_free(wsc_options *o);
/* Sets an integer option (keys < 100). Returns:
 *   WSC_OK
 *   WSC_EINVAL  o is NULL; opt is a string option ("takes a string"); opt
 *               is no option at all ("unknown option N"); value out of
 *               range (the detail names the option and the range).
 * Cross-field rules (RECONNECT_MAX_MS >= RECONNECT_MIN_MS) are checked by
 * wsc_connect. */
WSC_API int wsc_options_set_int(wsc_options *o, int opt, int64_t value);
/* Sets a string option (keys >= 100); value is copied. Returns WSC_OK, or
 * WSC_EINVAL for a NULL o or value, an integer option ("takes an integer")
 * or an unknown key ("unknown option N"). Values are checked by
 * wsc_connect (a bad proxy URL, a subprotocol that is not a token). */
WSC_API int wsc_options_set_str(wsc_options *o, int opt, const char *value);
/* Adds a header to the upgrade request (name and value are copied; a name
 * may be added more than once). Returns WSC_OK, or WSC_EINVAL when:
 *   - o, name or value is NULL;
 *   - name is not an RFC 9110 token (empty, spaces, ':', non-ASCII, ...);
 *   - name is a header wsc sets itself: Host, Upgrade, Connection, Origin
 *     (use WSC_OPT_ORIGIN), Content-Length, Transfer-Encoding, any
 *     Sec-WebSocket-* (use WSC_OPT_SUBPROTOCOLS, WSC_OPT_COMPRESSION);
 *   - value holds a control character (CR, LF, ...; tab is allowed).
 * Nothing is added on failure. */
WSC_API int wsc_options_add_header(wsc_options *o, const char *name, const char *value);

/* The control frames a wsc_control_cb reports (the values are the opcodes). */
enum wsc_control { WSC_CONTROL_PING = 9, WSC_CONTROL_PONG = 10 };
/* Runs on the loop thread, no wsc lock held (the rules of wsc_callbacks),
 * for each Ping the server sends (kind WSC_CONTROL_PING; wsc has already
 * queued the Pong that answers it: do not send one) and for each Pong that
 * answers no ping of ours (kind WSC_CONTROL_PONG: an unsolicited pong, a
 * one-way heartbeat). payload (len bytes, at most 125; NULL-safe only when
 * len is 0) is valid only during the call. */
typedef void (*wsc_control_cb)(wsc_conn *c, int kind, const void *payload, size_t len, void *user);
/* Sets the control-frame hook of the connections wsc_connect makes with o
 * (a pool's connections do not use it). cb is called with user (not the
 * user given to wsc_connect); cb NULL turns the hook off. Returns WSC_OK, or
 * WSC_EINVAL when o is NULL. */
WSC_API int wsc_options_set_on_control(wsc_options *o, wsc_control_cb cb, void *user);

/* ---- messages ------------------------------------------------------------ */

/* Frees what wsc_recv returned (the struct and its data). NULL is ignored.
 * Any thread. */
WSC_API void wsc_message_free(wsc_message *m);
/* Frees what wsc_recv_many returned (one block). NULL is ignored. */
WSC_API void wsc_batch_free(wsc_batch *b);

/* ---- connections ------------------------------------------------------- */

/* Starts a connection to url (ws:// or wss://) on loop (NULL = the process-
 * wide default loop, created on first use and never freed) and returns at
 * once: opening, reconnects and every network outcome happen on the loop
 * thread and are reported through cbs (may be NULL: pull mode and no
 * events; the struct is copied) and wsc_wait. user is handed to every
 * callback. *out is set to a handle the caller owns (free it with
 * wsc_conn_free), or to NULL on failure. Returns:
 *   WSC_OK
 *   WSC_EINVAL  out, url NULL; a URL that does not parse (the detail says
 *               what; credentials are redacted); an option value that is
 *               invalid (cross-field rules, proxy URL, subprotocols);
 *               cbs->struct_size too small; for wss://, TLS settings
 *               that cannot be loaded (CA file, client certificate,
 *               cipher strings)
 *   WSC_ENOMEM, WSC_EINTERNAL */
WSC_API int wsc_connect(wsc_loop *loop, const char *url, const wsc_options *opts,
                        const wsc_callbacks *cbs, void *user, wsc_conn **out);
/* Queues one message (data is copied; WSC_TEXT must be UTF-8). Any thread,
 * callbacks included; never blocks. Messages queued before the connection
 * opens (or while it reconnects) go out in order once it is open. Returns:
 *   WSC_OK
 *   WSC_EINVAL   c NULL, bad type, data NULL with len > 0, text that is not
 *                UTF-8
 *   WSC_EAGAIN   the send queue is full (WSC_OPT_SEND_QUEUE_BYTES): retry
 *                after on_drain
 *   WSC_ETOOBIG  len exceeds the whole send queue: it can never fit
 *   WSC_ECLOSED  wsc_close was called or the connection has ended */
WSC_API int wsc_send(wsc_conn *c, int type, const void *data, size_t len);
/* Called once when the library no longer reads a message's bytes. */
typedef void (*wsc_release_fn)(void *user);
/* wsc_send without the copy: the message is written from data itself, which
 * must stay valid and unchanged until release(user) is called. release runs
 * exactly once: on the loop's thread once the message is written, when it
 * is dropped with the connection (on the thread that ends it, e.g. in
 * wsc_conn_free), or before this call returns when it fails (the caller
 * may then free data at once). release must not call wsc_* functions. release may be NULL (data
 * that outlives the connection). For large messages, and for one payload sent on many connections.
 * Returns what wsc_send returns. */
WSC_API int wsc_send_nocopy(wsc_conn *c, int type, const void *data, size_t len,
                            wsc_release_fn release, void *user);
/* Pull mode (no on_message): takes the oldest received message, waiting up
 * to timeout_ms for one (-1 = until one arrives or the connection ends,
 * 0 = never waits). *out is the caller's (free with wsc_message_free), NULL
 * on failure. Messages that arrived before the connection ended are still
 * returned. Blocks: not from a callback of a connection on the same loop.
 * Returns:
 *   WSC_OK
 *   WSC_EWAIT    nothing arrived within timeout_ms (the connection goes on)
 *   WSC_ECLOSED  the connection has ended and every message was taken;
 *                wsc_last_error_detail says why it ended
 *   WSC_ESTATE   push mode (on_message set)
 *   WSC_EINVAL   c or out NULL, timeout_ms < -1 */
WSC_API int wsc_recv(wsc_conn *c, int timeout_ms, wsc_message **out);
/* Pull mode: like wsc_recv, but takes up to max_msgs (>= 1) messages at once
 * into one wsc_batch: it waits up to timeout_ms for the first, then takes
 * only those already queued, and stops early once their payloads reach
 * max_bytes (0 = no limit; the first message is always taken, whatever its
 * size). One call instead of one per message, for bindings where a call
 * costs more than the copy. *out is the caller's (wsc_batch_free). Returns
 * as wsc_recv, plus WSC_EINVAL for max_msgs 0. */
WSC_API int wsc_recv_many(wsc_conn *c, int timeout_ms, size_t max_msgs, size_t max_bytes,
                          wsc_batch **out);
/* Pull mode: each time the receive queue goes from empty to non-empty (as
 * on_readable), the loop thread also writes the 8-byte integer 1 to fd: an
 * eventfd, or the write end of a pipe or socket set to O_NONBLOCK (a full
 * pipe drops the write; it must never block). An event loop can wait for
 * messages on fd without running code on the loop thread. -1 turns it off.
 * The caller keeps the fd: close it only after turning it off or after
 * wsc_conn_free. Any thread. Returns WSC_OK; WSC_ESTATE in push mode;
 * WSC_EINVAL for a NULL c or fd < -1. */
WSC_API int wsc_conn_notify_fd(wsc_conn *c, int fd);
/* Graceful close, without blocking: queued messages are sent first, then a
 * Close frame with code (0 = 1000) and reason (NULL = ""); the server's
 * answer (or the 3 s close timer) ends the connection, and on_close runs.
 * Any thread, callbacks included. Wait for the end with wsc_wait(c,
 * WSC_CLOSED, ms). Returns:
 *   WSC_OK       (also when a close is already under way)
 *   WSC_EINVAL   c NULL; a code that may not be sent (use 1000-1003,
 *                1007-1014, 3000-4999); a reason that is not UTF-8 or is
 *                longer than 123 bytes. Nothing is sent: the connection
 *                goes on.
 *   WSC_ECLOSED  the connection has already ended */
WSC_API int wsc_close(wsc_conn *c, int code, const char *reason);
/* Blocks up to timeout_ms (-1 = forever, 0 = just look) until the connection
 * is in `state`. Not from a callback of a connection on the same loop.
 * Returns:
 *   WSC_OK       the state was reached. For WSC_OPEN: once it has opened,
 *                even if it closed again since. For WSC_CLOSED: only after
 *                a clean close handshake.
 *   WSC_EWAIT    timeout_ms ran out first; the connection goes on. Never
 *                returned once the connection has ended.
 *   other        the connection ended (or, for WSC_CLOSED, ended this way)
 *                and can no longer reach `state`: the status that ended it
 *                (WSC_ETIMEDOUT when one of its timers did: connect, pong,
 *                idle, write, close; WSC_ECONNECT, WSC_EHANDSHAKE, WSC_ELOST,
 *                ...), or WSC_ECLOSED after a clean close. It answers at
 *                once every time after that, and wsc_last_error_detail
 *                says why the connection ended.
 *   WSC_EINVAL   c NULL, an unknown state, timeout_ms < -1 */
WSC_API int wsc_wait(wsc_conn *c, int state, int timeout_ms);
/* The current state (enum wsc_state), or WSC_EINVAL for NULL. Any thread;
 * never blocks. */
WSC_API int wsc_conn_state(const wsc_conn *c);
/* Copies the connection's counters into *out (set out->struct_size first;
 * an older, smaller struct gets the fields it has). Any thread. Returns
 * WSC_OK, or WSC_EINVAL for NULL arguments or a struct_size that is too
 * small or larger than this header's struct. */
WSC_API int wsc_conn_stats(const wsc_conn *c, wsc_stats *out);
/* Copies the subprotocol the server selected ("" if none) with its NUL
 * into buf. Returns WSC_OK; WSC_EINVAL for NULL arguments, or when buf_len
 * is too small ("buffer too small: the subprotocol needs N bytes"; buf is
 * left alone). */
WSC_API int wsc_conn_subprotocol(const wsc_conn *c, char *buf, size_t buf_len);
/* Copies the value of header `name` (case-insensitive) of the last upgrade
 * response, with its NUL, into buf; a repeated field comes joined with ", ".
 * Any thread. Returns WSC_OK; WSC_ESTATE when the response has no such
 * field or no response was read yet; WSC_EINVAL for NULL arguments or a
 * buf_len that is too small ("buffer too small: ... needs N bytes"). */
WSC_API int wsc_conn_response_header(const wsc_conn *c, const char *name, char *buf,
                                     size_t buf_len);
/* Copies every header field of the last upgrade response (also a refused
 * one, such as a 403), in the order received, as "name: value\r\n" lines
 * (names in lower case) followed by a NUL, into buf. *needed (if not NULL)
 * is set to the bytes that takes, NUL included, also when buf is too small,
 * so a caller can size buf and call again. Any thread. Returns WSC_OK;
 * WSC_ESTATE when no response was read yet; WSC_EINVAL for a NULL c, a NULL
 * buf with buf_len > 0, or a buf_len that is too small ("buffer too small:
 * the headers need N bytes"; buf is left alone). */
WSC_API int wsc_conn_response_headers(const wsc_conn *c, char *buf, size_t buf_len, size_t *needed);
/* The TCP peer of the last upgrade (the proxy, with a proxy): its numeric
 * address ("127.0.0.1", "::1") with a NUL into buf and its port into *port.
 * Any thread. Returns WSC_OK; WSC_ESTATE before the first upgrade response;
 * WSC_EINVAL for NULL arguments or a buf_len that is too small. */
WSC_API int wsc_conn_remote_address(const wsc_conn *c, char *buf, size_t buf_len, int *port);
/* The last error the connection reported (the status on_error got, also
 * for recoverable errors during reconnects), WSC_OK if none; its detail is
 * copied into buf (truncated to buf_len - 1 bytes, always NUL-terminated).
 * buf may be NULL when buf_len is 0. The way to learn why a connection
 * failed without callbacks, at any time after it did. Returns WSC_EINVAL
 * for a NULL c, or a NULL buf with buf_len > 0. */
WSC_API int wsc_conn_last_error(const wsc_conn *c, char *buf, size_t buf_len);
/* What TLS negotiated on the current or last open connection (set
 * out->struct_size = sizeof(wsc_tls_info)). Returns WSC_OK; WSC_ESTATE for
 * ws:// or before the first open; WSC_EINVAL for NULL arguments or a wrong
 * struct_size. */
WSC_API int wsc_conn_tls_info(const wsc_conn *c, wsc_tls_info *out);
/* Ends the connection at once and frees the handle. Any thread, even inside
 * one of its own callbacks; no callback for c starts after it returns (one
 * running on another thread is waited for). Messages still queued are
 * discarded and a Close 1001 is sent if open. For a graceful end call
 * wsc_close and wsc_wait first. NULL is ignored. A connection from a pool
 * is not freed: this releases it (wsc_pool_release). */
WSC_API void wsc_conn_free(wsc_conn *c);

/* Runs once on the loop thread, no wsc lock held, for a wsc_ping that
 * returned WSC_OK: status WSC_OK with the round trip in rtt_us when the pong
 * came, WSC_ETIMEDOUT when none came within the timeout, WSC_ECLOSED when
 * the connection ended first. Not called after wsc_conn_free(c). */
typedef void (*wsc_ping_cb)(wsc_conn *c, int status, int64_t rtt_us, void *user);
/* Sends a ping now (an open connection; else WSC_ECLOSED and cb never runs).
 * timeout_ms > 0. cb may be NULL (the RTT still lands in wsc_conn_stats). */
WSC_API int wsc_ping(wsc_conn *c, int timeout_ms, wsc_ping_cb cb, void *user);
/* wsc_ping with a payload of len bytes (copied; data may be NULL only when
 * len is 0): the ping carries it, and the pong that echoes it settles this
 * ping (rtt_us from when it went out). Returns WSC_OK; WSC_EINVAL for c NULL,
 * timeout_ms <= 0, data NULL with len > 0, or len > 125 (RFC 6455 §5.5: a
 * control frame carries at most 125 bytes); WSC_ECLOSED when not open. */
WSC_API int wsc_ping_data(wsc_conn *c, const void *data, size_t len, int timeout_ms, wsc_ping_cb cb,
                          void *user);

/* ---- Connection pool ----------------------------------------------------
 * Connections to one URL on one loop, handed out exclusively: an acquired
 * connection is open and healthy, and no one else gets it until it is
 * released. They are ordinary pull-mode wsc_conn (wsc_send, wsc_recv,
 * wsc_recv_many, wsc_conn_notify_fd, wsc_ping, wsc_close, stats) that the
 * pool owns: give one back with wsc_pool_release, never keep it after.
 * At release, messages still unread are discarded (counted in the pool
 * stats); a connection that ended or that its user closed is replaced.
 * Release turns off a notify fd set with wsc_conn_notify_fd: once it has
 * returned, the library writes no more to that fd.
 * Reconnect is off for pooled connections: the pool replaces them instead.
 * Any thread may use a pool; wsc_pool_acquire with a timeout must not run
 * on the loop thread (a callback): it returns WSC_ESTATE there. */
typedef struct wsc_pool wsc_pool;

enum wsc_breaker_state {
  WSC_BREAKER_CLOSED = 0,   /* dialing normally */
  WSC_BREAKER_OPEN = 1,     /* cooling down: acquire fails with WSC_EBREAKER */
  WSC_BREAKER_HALF_OPEN = 2 /* one probe open decides */
};

/* Fill with wsc_pool_options_init, then change fields. Zero durations turn
 * a feature off. */
typedef struct wsc_pool_options {
  size_t struct_size; /* sizeof(wsc_pool_options) */
  size_t min_idle;    /* kept open and warm; default 0, <= max_conns */
  /* A connection idle longer than this is pinged before it is handed out;
   * no pong within ping_timeout_ms and it is replaced. Default 30000/2000. */
  int64_t check_after_idle_ms;
  int64_t ping_timeout_ms;
  int64_t max_idle_time_ms; /* idle connections beyond min_idle close; default 0 */
  int64_t max_lifetime_ms;  /* older ones close when idle (never while acquired); 0 */
  /* After this many consecutive failed opens (0 = no breaker; default 5)
   * the pool stops dialing for breaker_cooldown_ms (default 5000). */
  uint32_t breaker_threshold;
  int64_t breaker_cooldown_ms;
} wsc_pool_options;

typedef struct wsc_pool_snapshot {
  size_t struct_size; /* caller sets sizeof(wsc_pool_snapshot) */
  /* Now; open = idle + checking + busy. */
  size_t open, idle, busy, opening, checking, waiting;
  /* Totals. replaced: died, failed a health check, or closed by the user. */
  uint64_t opened, open_failures, replaced, health_checks, health_check_failures;
  uint64_t rotated, idle_closed, discarded_messages, acquired, acquire_timeouts;
  uint64_t breaker_trips, breaker_rejections;
  int breaker_state; /* wsc_breaker_state */
} wsc_pool_snapshot;

/* The defaults, with struct_size set. */
WSC_API int wsc_pool_options_init(wsc_pool_options *o);
/* loop NULL = the default loop; opts NULL = default connection options;
 * pool_opts NULL = defaults. 1 <= max_conns <= 1000000. Opens min_idle
 * connections at once. The loop must outlive the pool. */
WSC_API int wsc_pool_new(wsc_loop *loop, const char *url, const wsc_options *opts, size_t max_conns,
                         const wsc_pool_options *pool_opts, wsc_pool **out);
/* Waits up to timeout_ms (-1 = forever, 0 = only an idle one) for an open,
 * healthy connection. An open it triggers gets at most what is left of
 * timeout_ms. Returns:
 *   WSC_OK        *out is an acquired connection
 *   WSC_EWAIT     timeout_ms ran out with every connection busy (as for
 *                 wsc_wait: the pool goes on; counted in acquire_timeouts)
 *   WSC_EBREAKER  the breaker is open: fails at once instead of waiting
 *   WSC_ECLOSED   the pool is closed
 *   WSC_ESTATE    a wait on the pool's loop thread (inside a callback)
 *   WSC_EINVAL    pool or out NULL, timeout_ms < -1 */
WSC_API int wsc_pool_acquire(wsc_pool *pool, int timeout_ms, wsc_conn **out);
/* An idle, healthy connection now, or WSC_EAGAIN; never waits or dials. */
WSC_API int wsc_pool_try_acquire(wsc_pool *pool, wsc_conn **out);
/* Gives conn back. WSC_EINVAL if conn is not acquired from this pool. */
WSC_API int wsc_pool_release(wsc_pool *pool, wsc_conn *conn);
WSC_API int wsc_pool_stats(const wsc_pool *pool, wsc_pool_snapshot *out);
/* Wakes every waiter (WSC_ECLOSED) and closes idle connections; acquired
 * ones stay usable until released. Any thread, also while others wait. */
WSC_API int wsc_pool_close(wsc_pool *pool);
/* Closes everything, acquired connections included (their handles become
 * invalid). No other thread may be inside a call on this pool. */
WSC_API void wsc_pool_free(wsc_pool *pool);

#ifdef __cplusplus
}
#endif
#endif
