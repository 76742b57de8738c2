/* wsc RPC: calls with answers, notifications and handlers for the peer's
 * requests over one wsc connection, in a real wire protocol (JSON-RPC 2.0).
 * Params, results and error data cross this ABI encoded (JSON text for
 * JSON-RPC), so each language uses its own codec. The conventions of
 * <wsc/wsc.h> hold (statuses, *_free, out-parameters, no variadics).
 *
 * Threads: a wsc_rpc may be used from any thread. Callbacks, completions
 * and handlers run on the loop's thread with no wsc lock held; inside them
 * any non-blocking wsc_rpc_* call is allowed (not wsc_rpc_call_wait or
 * wsc_rpc_wait); pointers they receive stay valid only until they return. */
#ifndef WSC_WSC_RPC_H
#define WSC_WSC_RPC_H

#include "wsc.h" /* installed next to it as <wsc/wsc.h> */

#ifdef __cplusplus
extern "C" {
#endif

enum wsc_rpc_protocol {
  WSC_RPC_JSONRPC = 1,    /* JSON-RPC 2.0 over text frames; params/results JSON text */
  WSC_RPC_MSGPACKRPC = 2, /* MessagePack-RPC over binary frames; msgpack bytes */
  WSC_RPC_PROTOBUF = 3    /* protobuf envelope (proto/wsc_envelope.proto) over binary
                           * frames; payloads protobuf bytes */
};

typedef struct wsc_rpc wsc_rpc;

/* Fill with wsc_rpc_config_init, then change fields. */
typedef struct wsc_rpc_config {
  size_t struct_size;         /* sizeof(wsc_rpc_config) */
  int protocol;               /* enum wsc_rpc_protocol; default WSC_RPC_JSONRPC */
  int64_t default_timeout_ms; /* deadline of calls given timeout_ms -1; 0 = none; 30000 */
  size_t max_outstanding;     /* calls waiting for an answer; more = WSC_EAGAIN; 4096 */
  int wait_for_reconnect;     /* 1: calls made while reconnecting wait (default); 0: fail */
  size_t max_depth;           /* received JSON nesting limit; 128 */
} wsc_rpc_config;

/* How a call ended. status: WSC_OK (data = the encoded result), WSC_EREMOTE
 * (the peer's error: error_code, message, data = its encoded "data", may be
 * empty; MessagePack-RPC: the whole error object), or a local failure with message saying why:
 * WSC_ETIMEDOUT (no answer by the deadline: the call is over; never WSC_EWAIT), WSC_ELOST (the
 * connection dropped after the call was sent; it may or may not have run), WSC_ECLOSED (closed or
 * freed), or the status that ended a connection the call never reached. */
typedef struct wsc_rpc_result {
  int status;
  const unsigned char *data;
  size_t len;
  int64_t error_code;
  const char *message; /* never NULL */
} wsc_rpc_result;

/* Runs once per call made, on the loop thread (on the freeing thread for
 * calls ended by wsc_rpc_free). */
typedef void (*wsc_rpc_done_fn)(wsc_rpc *rpc, const wsc_rpc_result *result, void *call_user);

/* Each entry may be NULL. States and statuses as for wsc_callbacks. */
typedef struct wsc_rpc_callbacks {
  size_t struct_size; /* sizeof(wsc_rpc_callbacks) */
  void (*on_open)(wsc_rpc *rpc, void *user);
  /* Connection errors, and WSC_EDECODE for frames that are not valid
   * messages of the protocol (the connection stays up). */
  void (*on_error)(wsc_rpc *rpc, int status, const char *detail, void *user);
  void (*on_close)(wsc_rpc *rpc, int close_code, const char *reason, void *user);
  void (*on_state)(wsc_rpc *rpc, int old_state, int new_state, void *user);
} wsc_rpc_callbacks;

/* A handler's answer; valid only during the handler. */
typedef struct wsc_rpc_reply wsc_rpc_reply;

/* Handles a request or notification from the peer. For a request, answer
 * with wsc_rpc_reply_result or wsc_rpc_reply_error before returning
 * (neither: a null result), or defer the answer (wsc_rpc_reply_defer);
 * reply is NULL for a notification. */
typedef void (*wsc_rpc_handler_fn)(wsc_rpc *rpc, const char *method, const unsigned char *params,
                                   size_t len, wsc_rpc_reply *reply, void *handler_user);

WSC_API int wsc_rpc_config_init(wsc_rpc_config *cfg);

/* Connects like wsc_connect. cfg NULL = defaults; cbs may be NULL. */
WSC_API int wsc_rpc_connect(wsc_loop *loop, const char *url, const wsc_options *opts,
                            const wsc_rpc_config *cfg, const wsc_rpc_callbacks *cbs, void *user,
                            wsc_rpc **out);
/* Outstanding calls end with WSC_ECLOSED (their done runs here). Any
 * thread, even a callback of rpc; no callback starts after it returns. */
WSC_API void wsc_rpc_free(wsc_rpc *rpc);

/* params: encoded (JSON-RPC: an array or object), NULL/0 for none.
 * timeout_ms: -1 = the configured default, 0 = none. WSC_OK: done will run
 * once. Else the call was not made: WSC_EAGAIN (max_outstanding reached or
 * the send queue full), WSC_EINVAL, WSC_ECLOSED, WSC_ESTATE. */
WSC_API int wsc_rpc_call(wsc_rpc *rpc, const char *method, const void *params, size_t len,
                         int timeout_ms, wsc_rpc_done_fn done, void *call_user);
/* Blocks until the call ends; returns its status, and *out (when the call
 * was made) holds how it ended, for wsc_rpc_result_free. timeout_ms is the
 * call's deadline, as for wsc_rpc_call, so running out of it is
 * WSC_ETIMEDOUT. WSC_ESTATE on the loop thread (it would wait for itself). */
WSC_API int wsc_rpc_call_wait(wsc_rpc *rpc, const char *method, const void *params, size_t len,
                              int timeout_ms, wsc_rpc_result **out);
WSC_API void wsc_rpc_result_free(wsc_rpc_result *result);

/* ---- Completion queue: outcomes taken in batches --------------------------
 * For event loops of other languages (Python asyncio, ...) that should run
 * none of their code on wsc's loop thread and wake once per batch of
 * answers: a call made with wsc_rpc_call_queued puts its outcome, with the
 * caller's tag, into the queue; the queue's descriptor (an eventfd: poll it,
 * never read it) is readable while outcomes wait; wsc_rpc_queue_take moves
 * them out, many per call. One queue may serve several wsc_rpc, from any
 * thread; take from one thread at a time. Calls ended by wsc_rpc_free end
 * into the queue (WSC_ECLOSED); freeing the queue first is allowed: their
 * outcomes are then dropped. */
typedef struct wsc_rpc_queue wsc_rpc_queue;
typedef struct wsc_rpc_queued {
  uint64_t tag;          /* the call's tag, as given to wsc_rpc_call_queued */
  wsc_rpc_result result; /* how it ended, as for wsc_rpc_done_fn */
} wsc_rpc_queued;
WSC_API int wsc_rpc_queue_new(wsc_rpc_queue **out);
WSC_API int wsc_rpc_queue_fd(const wsc_rpc_queue *queue, int *fd);
/* wsc_rpc_call whose outcome goes into queue with tag. */
WSC_API int wsc_rpc_call_queued(wsc_rpc *rpc, const char *method, const void *params, size_t len,
                                int timeout_ms, wsc_rpc_queue *queue, uint64_t tag);
/* Moves up to max outcomes, oldest first, into out[0 .. *n); their data and
 * message stay valid until the next take or wsc_rpc_queue_free. *n < max:
 * the queue is empty now (and its descriptor not readable). Never blocks. */
WSC_API int wsc_rpc_queue_take(wsc_rpc_queue *queue, wsc_rpc_queued *out, size_t max, size_t *n);
WSC_API void wsc_rpc_queue_free(wsc_rpc_queue *queue);
/* count calls in one frame (a JSON-RPC batch): methods[i], params[i] of
 * lens[i] bytes (params may be NULL: none for all); done runs once per call
 * with call_users[i] (call_users may be NULL). All are made, or none. */
WSC_API int wsc_rpc_call_batch(wsc_rpc *rpc, size_t count, const char *const *methods,
                               const void *const *params, const size_t *lens, int timeout_ms,
                               wsc_rpc_done_fn done, void *const *call_users);
WSC_API int wsc_rpc_notify(wsc_rpc *rpc, const char *method, const void *params, size_t len);

/* Handles the peer's requests/notifications named method; fn NULL removes.
 * Requests with no handler get the protocol's method-not-found error. */
WSC_API int wsc_rpc_on(wsc_rpc *rpc, const char *method, wsc_rpc_handler_fn fn, void *handler_user);
/* data: the encoded result (NULL/0 = null). */
WSC_API int wsc_rpc_reply_result(wsc_rpc_reply *reply, const void *data, size_t len);
/* data: the encoded error data, NULL/0 for none. */
WSC_API int wsc_rpc_reply_error(wsc_rpc_reply *reply, int64_t code, const char *message,
                                const void *data, size_t len);

/* A request's answer given after its handler returned (an async handler,
 * work on another thread). Inside the handler, wsc_rpc_reply_defer takes
 * the answer over (the handler then must not call wsc_rpc_reply_*); later,
 * from any thread, wsc_rpc_deferred_result or wsc_rpc_deferred_error
 * answers once, and wsc_rpc_deferred_free frees it (freed unanswered, the
 * peer gets the protocol's internal error). Answers: WSC_OK (sent),
 * WSC_ESTATE (answered already), WSC_EINVAL (data not valid for the
 * protocol: the peer got an internal error instead), WSC_ECLOSED or
 * WSC_EAGAIN (not sent). Deferred answers to a JSON-RPC batch go back one
 * by one. */
typedef struct wsc_rpc_deferred wsc_rpc_deferred;
WSC_API int wsc_rpc_reply_defer(wsc_rpc_reply *reply, wsc_rpc_deferred **out);
WSC_API int wsc_rpc_deferred_result(wsc_rpc_deferred *deferred, const void *data, size_t len);
WSC_API int wsc_rpc_deferred_error(wsc_rpc_deferred *deferred, int64_t code, const char *message,
                                   const void *data, size_t len);
WSC_API void wsc_rpc_deferred_free(wsc_rpc_deferred *deferred);

/* The connection under rpc, as wsc_close, wsc_wait (WSC_EWAIT when
 * timeout_ms runs out) and wsc_conn_state. */
WSC_API int wsc_rpc_close(wsc_rpc *rpc, int code, const char *reason);
WSC_API int wsc_rpc_wait(wsc_rpc *rpc, int state, int timeout_ms);
WSC_API int wsc_rpc_state(const wsc_rpc *rpc);

#ifdef __cplusplus
}
#endif
#endif
