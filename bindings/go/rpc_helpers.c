#include "rpc_helpers.h"

#include <string.h>

#include "_cgo_export.h"

/* Loop thread -> Go; pointers are valid only during the call (Go copies). */
static uintptr_t handle_of(void *user) { return (uintptr_t)user; }

/* The connection's events go to the same Go functions as a Conn's
 * (callbacks.go), with the handle of the RPC's connState. */
static void on_open_cb(wsc_rpc *rpc, void *user) {
  (void)rpc;
  wscgoOnOpen(handle_of(user));
}

static void on_error_cb(wsc_rpc *rpc, int status, const char *detail, void *user) {
  (void)rpc;
  wscgoOnError(handle_of(user), status, (char *)detail);
}

static void on_close_cb(wsc_rpc *rpc, int code, const char *reason, void *user) {
  (void)rpc;
  wscgoOnClose(handle_of(user), code, (char *)reason);
}

static void done_cb(wsc_rpc *rpc, const wsc_rpc_result *r, void *call_user) {
  (void)rpc;
  wscgoRpcDone(handle_of(call_user), r->status, (void *)r->data, r->len, r->error_code,
               (char *)r->message);
}

static void handler_cb(wsc_rpc *rpc, const char *method, const unsigned char *params, size_t len,
                       wsc_rpc_reply *reply, void *user) {
  (void)rpc;
  wscgoRpcHandle(handle_of(user), (char *)method, (void *)params, len, reply);
}

wscgo_result wscgo_rpc_connect(const char *url, const wsc_options *o, const wsc_rpc_config *cfg,
                               uintptr_t conn_state, wsc_rpc **out) {
  wsc_rpc_callbacks cbs;
  memset(&cbs, 0, sizeof cbs);
  cbs.struct_size = sizeof cbs;
  cbs.on_open = on_open_cb;
  cbs.on_error = on_error_cb;
  cbs.on_close = on_close_cb;
  return wscgo_status(wsc_rpc_connect(NULL, url, o, cfg, &cbs, (void *)conn_state, out), WSC_OK);
}

wscgo_result wscgo_rpc_call(wsc_rpc *rpc, const char *method, const void *params, size_t len,
                            int timeout_ms, uintptr_t call) {
  return wscgo_status(wsc_rpc_call(rpc, method, params, len, timeout_ms, done_cb, (void *)call),
                      WSC_EAGAIN);
}

wscgo_result wscgo_rpc_notify(wsc_rpc *rpc, const char *method, const void *params, size_t len) {
  return wscgo_status(wsc_rpc_notify(rpc, method, params, len), WSC_OK);
}

wscgo_result wscgo_rpc_on(wsc_rpc *rpc, const char *method, int set, uintptr_t state) {
  return wscgo_status(wsc_rpc_on(rpc, method, set ? handler_cb : NULL, (void *)state), WSC_OK);
}
