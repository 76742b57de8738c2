/* C side of the Go binding: thin wrappers that return a status together with
 * a copy of wsc_last_error_detail() taken on the same OS thread in the same
 * cgo call (the detail is thread-local and a goroutine may move between
 * threads between two cgo calls), plus the callback trampolines. */
#ifndef WSCGO_HELPERS_H
#define WSCGO_HELPERS_H

#include <stdint.h>
#include <stdlib.h>
#include <wsc/wsc.h>

typedef struct wscgo_result {
  int status;
  char *detail; /* malloc'd copy of the detail on failure, else NULL; Go frees */
} wscgo_result;

/* status with a copy of this thread's detail (none for quiet_status): for
 * wrappers in other files (rpc_helpers.c). */
wscgo_result wscgo_status(int status, int quiet_status);
wscgo_result wscgo_set_int(wsc_options *o, int opt, int64_t value);
wscgo_result wscgo_set_str(wsc_options *o, int opt, const char *value);
wscgo_result wscgo_add_header(wsc_options *o, const char *name, const char *value);
/* The C side of one Go Conn, the callbacks' user pointer: the
 * runtime/cgo.Handle of its Go state and the readiness notifier. It must
 * outlive the wsc_conn: free it only after wsc_conn_free has returned. */
typedef struct wscgo_conn wscgo_conn;
wscgo_conn *wscgo_conn_new(uintptr_t handle); /* NULL when out of memory */
void wscgo_conn_free(wscgo_conn *w);          /* closes the notifier's C end */

/* Readiness notifier (Linux eventfd), made once per connection by the first
 * Recv that waits: the library writes to it when the receive queue becomes
 * non-empty (wsc_conn_notify_fd) and on_close writes to it too, so a Go Recv
 * waits in the netpoller (its OS thread and P stay free for other
 * goroutines) instead of blocking inside a cgo call. *out gets a duplicate
 * descriptor (non-blocking, close-on-exec) that the Go side owns and may
 * close at any time: the C side writes only to its own descriptor, closed by
 * wscgo_conn_free. WSC_OK; WSC_ESTATE when it already exists; WSC_EINVAL
 * (not on Linux) or WSC_ENOMEM (no descriptor), with *out = -1: the caller
 * then waits inside wsc_recv_many. */
int wscgo_notify_open(wscgo_conn *w, wsc_conn *c, int *out);

/* Connects on the default loop with on_open/on_error/on_close/on_drain/
 * on_state wired to Go and on_message NULL (pull mode). */
/* Wires the control-frame hook of o (wsc_options_set_on_control) to Go's
 * wscgoOnControl for the connection w. */
wscgo_result wscgo_set_on_control(wsc_options *o, wscgo_conn *w);
wscgo_result wscgo_connect(const char *url, const wsc_options *o, wscgo_conn *w, wsc_conn **out);
/* WSC_EAGAIN is not given a detail (it is retried). */
wscgo_result wscgo_send(wsc_conn *c, int type, const void *data, size_t len);

typedef struct wscgo_batch_result {
  int status;       /* WSC_OK: batch holds at least one message */
  char *detail;     /* as in wscgo_result */
  wsc_batch *batch; /* Go copies the messages, then calls wsc_batch_free */
} wscgo_batch_result;

/* wsc_recv_many; WSC_EWAIT (nothing queued within timeout_ms) is not given
 * a detail. */
wscgo_batch_result wscgo_recv_many(wsc_conn *c, int timeout_ms, size_t max_msgs, size_t max_bytes);
wscgo_result wscgo_close(wsc_conn *c, int code, const char *reason);
/* wsc_ping; the outcome goes to Go's wscgoOnPong with `token`. */
wscgo_result wscgo_ping(wsc_conn *c, const void *data, size_t len, int timeout_ms, uintptr_t token);
int wscgo_stats(const wsc_conn *c, wsc_stats *out);

/* Pool: wsc_pool_new on the default loop, and wsc_pool_acquire (its
 * WSC_EWAIT and WSC_EBREAKER are not given a detail). */
wscgo_result wscgo_pool_new(const char *url, const wsc_options *o, size_t max_conns,
                            const wsc_pool_options *po, wsc_pool **out);
wscgo_result wscgo_pool_acquire(wsc_pool *p, int timeout_ms, wsc_conn **out);
int wscgo_pool_stats(const wsc_pool *p, wsc_pool_snapshot *out);
int wscgo_tls_info(const wsc_conn *c, wsc_tls_info *out);

/* The default loop's metrics (wsc_loop_metrics_text) in a malloc'd string
 * (*out, Go frees), measured and taken again while they outgrow the buffer. */
wscgo_result wscgo_metrics_text(char **out);
/* wsc_set_log_handler with the trampoline into Go's wscgoLog; level
 * WSC_LOG_OFF removes it. */
wscgo_result wscgo_set_log(int level);

#endif
