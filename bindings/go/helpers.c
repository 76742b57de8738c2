#include <string.h>

#include "helpers.h"
#include "_cgo_export.h"

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
static void on_open_cb(wsc_conn *c, void *user) {
  (void)c;
  wscgoOnOpen((uintptr_t)user);
}

static void on_error_cb(wsc_conn *c, int status, const char *detail, void *user) {
  (void)c;
  wscgoOnError((uintptr_t)user, status, (char *)detail);
}

static void on_close_cb(wsc_conn *c, int code, const char *reason, void *user) {
  (void)c;
  wscgoOnClose((uintptr_t)user, code, (char *)reason);
}

static void on_drain_cb(wsc_conn *c, void *user) {
  (void)c;
  wscgoOnDrain((uintptr_t)user);
}

wscgo_result wscgo_connect(const char *url, const wsc_options *o, uintptr_t handle,
                           wsc_conn **out) {
  wsc_callbacks cbs;
  memset(&cbs, 0, sizeof cbs);
  cbs.struct_size = sizeof cbs;
  cbs.on_open = on_open_cb;
  cbs.on_error = on_error_cb;
  cbs.on_close = on_close_cb;
  cbs.on_drain = on_drain_cb;
  return result(wsc_connect(NULL, url, o, &cbs, (void *)handle, out), WSC_OK);
}

wscgo_result wscgo_send(wsc_conn *c, int type, const void *data, size_t len) {
  return result(wsc_send(c, type, data, len), WSC_EAGAIN);
}

wscgo_result wscgo_recv(wsc_conn *c, int timeout_ms, wsc_message **out) {
  return result(wsc_recv(c, timeout_ms, out), WSC_ETIMEDOUT);
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
