/* C side of the Go RPC client (rpc.go): the trampolines that hand the
 * library's RPC completions, handlers and connection events to Go, and
 * wrappers that return a status with its detail (see helpers.h). Every
 * user pointer is a runtime/cgo.Handle: of a connState for the connection's
 * events, of the RPC's state for its handlers, of a call for a call. */
#ifndef WSCGO_RPC_HELPERS_H
#define WSCGO_RPC_HELPERS_H

#include <stdint.h>
#include <wsc/wsc_rpc.h>

#include "helpers.h"

/* wsc_rpc_connect on the default loop with on_open/on_error/on_close wired
 * to Go (wscgoOnOpen... of callbacks.go, with conn_state). */
wscgo_result wscgo_rpc_connect(const char *url, const wsc_options *o, const wsc_rpc_config *cfg,
                               uintptr_t conn_state, wsc_rpc **out);
/* wsc_rpc_call whose completion goes to wscgoRpcDone(call, ...). WSC_EAGAIN
 * is not given a detail (Call waits and retries). */
wscgo_result wscgo_rpc_call(wsc_rpc *rpc, const char *method, const void *params, size_t len,
                            int timeout_ms, uintptr_t call);
wscgo_result wscgo_rpc_notify(wsc_rpc *rpc, const char *method, const void *params, size_t len);
/* Routes the peer's requests named method to wscgoRpcHandle(state, ...);
 * set 0 removes the handler. */
wscgo_result wscgo_rpc_on(wsc_rpc *rpc, const char *method, int set, uintptr_t state);

#endif
