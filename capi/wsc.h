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
  uint64_t reconnects;       /* successful re-opens after the first */
  uint64_t send_discarded;   /* messages never written, dropped at final close */
  size_t send_queue_bytes;   /* queued, not yet written */
  int64_t rtt_us_last;       /* last ping round trip, -1 if none */
  int64_t rtt_us_smoothed;   /* exponentially smoothed, -1 if none */
  uint64_t connect_attempts; /* attempts made, including the first */
  int last_http_status;      /* of the last upgrade response, 0 if none */
} wsc_stats;

typedef struct wsc_tls_info {
  size_t struct_size; /* caller sets sizeof(wsc_tls_info) */
  char version[32];   /* e.g. "TLSv1.3" */
  char cipher[96];    /* e.g. "TLS_AES_256_GCM_SHA384" */
  char group[48];     /* key exchange group, e.g. "X25519" */
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
   * non-empty. Drain it with wsc_recv(c, 0, ...) until WSC_ETIMEDOUT; the
   * next call comes only after it was empty again. Lets an event loop wait
   * for messages without a thread while the queue stays bounded. */
  void (*on_readable)(wsc_conn *c, void *user);
} wsc_callbacks;

WSC_API const char *wsc_version(void);
/* Never NULL; "unknown status" for values not in the table. */
WSC_API const char *wsc_strerror(int status);
/* 1 if a connection ending with this status is not retried. */
WSC_API int wsc_status_is_fatal(int status);
/* Details of the last failed call on this thread; "" if none. Valid until
 * the next wsc call on this thread. */
WSC_API const char *wsc_last_error_detail(void);

/* NULL on failure (see wsc_last_error_detail). */
WSC_API wsc_loop *wsc_loop_new(void);
/* Closes the loop's connections (their handles stay valid until
 * wsc_conn_free; they report WSC_ECLOSED), joins the thread. */
WSC_API void wsc_loop_free(wsc_loop *loop);

WSC_API wsc_options *wsc_options_new(void);
WSC_API void wsc_options_free(wsc_options *o);
WSC_API int wsc_options_set_int(wsc_options *o, int opt, int64_t value);
WSC_API int wsc_options_set_str(wsc_options *o, int opt, const char *value);
WSC_API int wsc_options_add_header(wsc_options *o, const char *name, const char *value);

WSC_API void wsc_message_free(wsc_message *m);
WSC_API void wsc_batch_free(wsc_batch *b);

/* loop NULL = the process-wide default loop. Argument and option errors
 * return at once; network outcomes arrive through callbacks. cbs may be
 * NULL (pull mode, no events). */
WSC_API int wsc_connect(wsc_loop *loop, const char *url, const wsc_options *opts,
                        const wsc_callbacks *cbs, void *user, wsc_conn **out);
/* Any thread. Copies data into the send queue. WSC_EAGAIN when the queue is
 * full, WSC_ECLOSED after close, WSC_ETOOBIG when len exceeds the queue. */
WSC_API int wsc_send(wsc_conn *c, int type, const void *data, size_t len);
/* Pull mode: waits up to timeout_ms (-1 = forever, 0 = poll). */
WSC_API int wsc_recv(wsc_conn *c, int timeout_ms, wsc_message **out);
/* Pull mode: like wsc_recv, but takes up to max_msgs (>= 1) messages at once
 * into one wsc_batch: it waits up to timeout_ms for the first, then takes
 * only those already queued, and stops early once their payloads reach
 * max_bytes (0 = no limit; the first message is always taken, whatever its
 * size). One call instead of one per message, for bindings where a call
 * costs more than the copy. */
WSC_API int wsc_recv_many(wsc_conn *c, int timeout_ms, size_t max_msgs, size_t max_bytes,
                          wsc_batch **out);
/* Pull mode: each time the receive queue goes from empty to non-empty (as
 * on_readable), the loop thread also writes the 8-byte integer 1 to fd: an
 * eventfd, or the write end of a pipe or socket set to O_NONBLOCK (a full
 * pipe drops the write; it must never block). An event loop can wait for
 * messages on fd without running code on the loop thread. -1 turns it off.
 * The caller keeps the fd: close it only after turning it off or after
 * wsc_conn_free. WSC_ESTATE in push mode. */
WSC_API int wsc_conn_notify_fd(wsc_conn *c, int fd);
/* Graceful close: queued messages are sent first, then a Close frame.
 * code 0 = 1000. */
WSC_API int wsc_close(wsc_conn *c, int code, const char *reason);
/* Blocks until the connection is in `state` (WSC_OK), can no longer reach it
 * (the status that ended it, or WSC_ECLOSED), or timeout (WSC_ETIMEDOUT).
 * For state WSC_CLOSED it returns how the connection ended: WSC_OK after a
 * clean close handshake, else the status that ended it. For WSC_OPEN it
 * returns WSC_OK once the connection has opened, even if it closed again. */
WSC_API int wsc_wait(wsc_conn *c, int state, int timeout_ms);
/* The state, or WSC_EINVAL for NULL. */
WSC_API int wsc_conn_state(const wsc_conn *c);
WSC_API int wsc_conn_stats(const wsc_conn *c, wsc_stats *out);
/* Copies the subprotocol the server selected ("" if none) with its NUL
 * into buf; WSC_ETOOBIG if buf_len is too small. */
WSC_API int wsc_conn_subprotocol(const wsc_conn *c, char *buf, size_t buf_len);
/* The last error the connection reported (the status on_error got, also
 * for recoverable errors during reconnects), WSC_OK if none; its detail is
 * copied into buf (truncated to buf_len - 1 bytes, always NUL-terminated).
 * buf may be NULL when buf_len is 0. */
WSC_API int wsc_conn_last_error(const wsc_conn *c, char *buf, size_t buf_len);
/* What TLS negotiated on the current or last open connection. WSC_ESTATE
 * for ws:// or before the first open. */
WSC_API int wsc_conn_tls_info(const wsc_conn *c, wsc_tls_info *out);
/* Any thread, even inside a callback; no callback for c starts after it
 * returns. Pending messages are discarded (and a Close 1001 sent). A
 * connection from a pool is not freed: this releases it (wsc_pool_release). */
WSC_API void wsc_conn_free(wsc_conn *c);

/* Runs once on the loop thread, no wsc lock held, for a wsc_ping that
 * returned WSC_OK: status WSC_OK with the round trip in rtt_us when the pong
 * came, WSC_ETIMEDOUT when none came within the timeout, WSC_ECLOSED when
 * the connection ended first. Not called after wsc_conn_free(c). */
typedef void (*wsc_ping_cb)(wsc_conn *c, int status, int64_t rtt_us, void *user);
/* Sends a ping now (an open connection; else WSC_ECLOSED and cb never runs).
 * timeout_ms > 0. cb may be NULL (the RTT still lands in wsc_conn_stats). */
WSC_API int wsc_ping(wsc_conn *c, int timeout_ms, wsc_ping_cb cb, void *user);

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
 * healthy connection: WSC_OK, WSC_ETIMEDOUT, WSC_EBREAKER (the breaker is
 * open: fails at once instead of waiting), WSC_ECLOSED (pool closed). An
 * open it triggers gets at most what is left of timeout_ms. */
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
