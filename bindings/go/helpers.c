#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "_cgo_export.h"
#include "helpers.h"

struct wscgo_conn {
  uintptr_t handle;
  /* The notifier's descriptor the library and on_close write to; -1 until
   * wscgo_notify_open. Set once, read on the loop thread. */
  atomic_int notify_fd;
};

wscgo_conn *wscgo_conn_new(uintptr_t handle) {
  wscgo_conn *w = (wscgo_conn *)malloc(sizeof *w);
  if (!w) return NULL;
  w->handle = handle;
  atomic_init(&w->notify_fd, -1);
  return w;
}

void wscgo_conn_free(wscgo_conn *w) {
  if (!w) return;
  int fd = atomic_load(&w->notify_fd);
  if (fd >= 0) close(fd);
  free(w);
}

int wscgo_notify_open(wscgo_conn *w, wsc_conn *c, int *out) {
  *out = -1;
  if (atomic_load(&w->notify_fd) >= 0) return WSC_ESTATE;
#ifdef __linux__
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return WSC_ENOMEM;
  /* Go gets its own descriptor of the same eventfd: if it closes it (or a
   * finalizer does), the library and on_close still write to a descriptor
   * that is theirs, never to a number the process has reused. */
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) {
    close(fd);
    return WSC_ENOMEM;
  }
  int status = wsc_conn_notify_fd(c, fd);
  if (status != WSC_OK) {
    close(dup_fd);
    close(fd);
    return status;
  }
  atomic_store(&w->notify_fd, fd);
  *out = dup_fd;
  return WSC_OK;
#else
  (void)w;
  (void)c;
  return WSC_EINVAL;
#endif
}

/* Makes the notifier readable. Non-blocking; an eventfd counter never fills
 * in practice (and a full one is readable anyway). */
static void notify(wscgo_conn *w) {
  int fd = atomic_load(&w->notify_fd);
  if (fd < 0) return;
  uint64_t one = 1;
  while (write(fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

static wscgo_result result(int status, int quiet_status) {
  wscgo_result r;
  r.status = status;
  r.detail = NULL;
  if (status != WSC_OK && status != quiet_status) {
    const char *d = wsc_last_error_detail();
    if (d && *d) r.detail = strdup(d);
  }
  return r;
}

wscgo_result wscgo_status(int status, int quiet_status) { return result(status, quiet_status); }

wscgo_result wscgo_set_int(wsc_options *o, int opt, int64_t value) {
  return result(wsc_options_set_int(o, opt, value), WSC_OK);
}

wscgo_result wscgo_set_str(wsc_options *o, int opt, const char *value) {
  return result(wsc_options_set_str(o, opt, value), WSC_OK);
}

wscgo_result wscgo_add_header(wsc_options *o, const char *name, const char *value) {
  return result(wsc_options_add_header(o, name, value), WSC_OK);
}

/* Loop thread -> Go. The detail/reason pointers are valid only during the
 * call; the Go side copies them. */
static uintptr_t handle_of(void *user) { return ((wscgo_conn *)user)->handle; }

static void on_open_cb(wsc_conn *c, void *user) {
  (void)c;
  wscgoOnOpen(handle_of(user));
}

static void on_error_cb(wsc_conn *c, int status, const char *detail, void *user) {
  (void)c;
  wscgoOnError(handle_of(user), status, (char *)detail);
}

static void on_close_cb(wsc_conn *c, int code, const char *reason, void *user) {
  (void)c;
  wscgoOnClose(handle_of(user), code, (char *)reason);
  /* After the Go state says "closed": a woken Recv sees it. */
  notify((wscgo_conn *)user);
}

static void on_drain_cb(wsc_conn *c, void *user) {
  (void)c;
  wscgoOnDrain(handle_of(user));
}

static void on_state_cb(wsc_conn *c, int from, int to, void *user) {
  (void)c;
  wscgoOnState(handle_of(user), from, to);
}

static void on_control_cb(wsc_conn *c, int kind, const void *payload, size_t len, void *user) {
  (void)c;
  wscgoOnControl(handle_of(user), kind, (void *)payload, len);
}

wscgo_result wscgo_set_on_control(wsc_options *o, wscgo_conn *w) {
  return result(wsc_options_set_on_control(o, on_control_cb, w), WSC_OK);
}

static void on_pong_cb(wsc_conn *c, int status, int64_t rtt_us, void *user) {
  (void)c;
  wscgoOnPong((uintptr_t)user, status, rtt_us);
}

wscgo_result wscgo_ping(wsc_conn *c, const void *data, size_t len, int timeout_ms,
                        uintptr_t token) {
  return result(wsc_ping_data(c, data, len, timeout_ms, on_pong_cb, (void *)token), WSC_OK);
}

wscgo_result wscgo_connect(const char *url, const wsc_options *o, wscgo_conn *w, wsc_conn **out) {
  wsc_callbacks cbs;
  memset(&cbs, 0, sizeof cbs);
  cbs.struct_size = sizeof cbs;
  cbs.on_open = on_open_cb;
  cbs.on_error = on_error_cb;
  cbs.on_close = on_close_cb;
  cbs.on_drain = on_drain_cb;
  cbs.on_state = on_state_cb;
  return result(wsc_connect(NULL, url, o, &cbs, w, out), WSC_OK);
}

wscgo_result wscgo_send(wsc_conn *c, int type, const void *data, size_t len) {
  return result(wsc_send(c, type, data, len), WSC_EAGAIN);
}

wscgo_batch_result wscgo_recv_many(wsc_conn *c, int timeout_ms, size_t max_msgs, size_t max_bytes) {
  wscgo_batch_result r;
  r.batch = NULL;
  wscgo_result e = result(wsc_recv_many(c, timeout_ms, max_msgs, max_bytes, &r.batch), WSC_EWAIT);
  r.status = e.status;
  r.detail = e.detail;
  return r;
}

wscgo_result wscgo_close(wsc_conn *c, int code, const char *reason) {
  return result(wsc_close(c, code, reason), WSC_OK);
}

int wscgo_stats(const wsc_conn *c, wsc_stats *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  return wsc_conn_stats(c, out);
}

int wscgo_tls_info(const wsc_conn *c, wsc_tls_info *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  return wsc_conn_tls_info(c, out);
}

wscgo_result wscgo_pool_new(const char *url, const wsc_options *o, size_t max_conns,
                            const wsc_pool_options *po, wsc_pool **out) {
  return result(wsc_pool_new(NULL, url, o, max_conns, po, out), WSC_OK);
}

wscgo_result wscgo_pool_acquire(wsc_pool *p, int timeout_ms, wsc_conn **out) {
  int status = wsc_pool_acquire(p, timeout_ms, out);
  return result(status, status == WSC_EBREAKER ? WSC_EBREAKER : WSC_EWAIT);
}

int wscgo_pool_stats(const wsc_pool *p, wsc_pool_snapshot *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  return wsc_pool_stats(p, out);
}

wscgo_result wscgo_metrics_text(char **out) {
  size_t size = 16384, needed = 0;
  *out = NULL;
  for (;;) {
    char *buf = malloc(size);
    if (!buf) return result(WSC_ENOMEM, WSC_OK);
    const int rc = wsc_loop_metrics_text(NULL, buf, size, &needed);
    if (rc == WSC_OK) {
      *out = buf;
      return result(WSC_OK, WSC_OK);
    }
    free(buf);
    /* Grown since it was measured: again, with room to spare. */
    if (rc != WSC_EINVAL || needed <= size) return result(rc, WSC_OK);
    size = needed + needed / 4;
  }
}

/* Loop thread (or whichever logs) -> Go. The strings are valid only during
 * the call; the Go side copies them. */
static void log_cb(int level, const char *origin, const char *message, void *user) {
  (void)user;
  wscgoLog(level, (char *)origin, (char *)message);
}

wscgo_result wscgo_set_log(int level) {
  return result(wsc_set_log_handler(level, level == WSC_LOG_OFF ? NULL : log_cb, NULL), WSC_OK);
}
