/* wsc status codes: the one table behind the C enum, wsc_strerror() and the
 * C++ wsc::Error. Plain C, no declarations besides the macro, so both
 * <wsc/wsc.h> and the C++ core include it. Values are never renumbered;
 * new codes are appended with the next free negative number. */
#ifndef WSC_STATUS_H
#define WSC_STATUS_H

/* X(name, value, fatal, text): fatal = a connection that ends with this
 * status is never retried by auto-reconnect.
 *
 * WSC_ETIMEDOUT and WSC_EWAIT never mean the same thing: WSC_ETIMEDOUT is
 * how a connection (or one attempt) ended, by one of its own timers
 * (connect, pong, idle, write, close); WSC_EWAIT only says that a blocking
 * call (wsc_wait, wsc_recv, wsc_recv_many, wsc_pool_acquire) returned
 * because its timeout_ms ran out, and the connection goes on. An RPC call
 * whose deadline passes (wsc_rpc_call, wsc_rpc_call_wait) ends with
 * WSC_ETIMEDOUT: the deadline is the call's own timer and ends the call (a
 * late answer is dropped), even when wsc_rpc_call_wait is the one blocked
 * on it. */
#define WSC_STATUS_MAP(X)                                                              \
  X(WSC_OK, 0, 0, "success")                                                           \
  X(WSC_EINVAL, -1, 1, "invalid argument")                                             \
  X(WSC_ESTATE, -2, 1, "operation not allowed in the current state")                   \
  X(WSC_EAGAIN, -3, 0, "queue full, try again later")                                  \
  X(WSC_ENOMEM, -4, 1, "out of memory")                                                \
  X(WSC_ECLOSED, -5, 1, "connection is closed")                                        \
  X(WSC_ETIMEDOUT, -6, 0, "timed out")                                                 \
  X(WSC_ECONNECT, -7, 0, "could not connect")                                          \
  X(WSC_EHANDSHAKE, -8, 1, "WebSocket handshake rejected")                             \
  X(WSC_ETLS, -9, 1, "TLS failure")                                                    \
  X(WSC_EPROTO, -10, 0, "WebSocket protocol error")                                    \
  X(WSC_ETOOBIG, -11, 0, "message too big")                                            \
  X(WSC_EDECODE, -12, 1, "could not decode message")                                   \
  X(WSC_EINTERNAL, -13, 1, "internal error")                                           \
  X(WSC_ELOST, -14, 0, "connection lost without a close handshake")                    \
  X(WSC_ESERVER, -15, 0, "server unavailable (HTTP 5xx on the WebSocket upgrade)")     \
  X(WSC_EWAIT, -16, 0, "wait expired")                                                 \
  X(WSC_EBREAKER, -17, 0, "circuit breaker open: opens to this endpoint kept failing") \
  X(WSC_EREMOTE, -18, 0, "the peer answered the call with an error")

#endif
