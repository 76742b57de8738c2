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

wscgo_result wscgo_set_int(wsc_options *o, int opt, int64_t value);
wscgo_result wscgo_set_str(wsc_options *o, int opt, const char *value);
wscgo_result wscgo_add_header(wsc_options *o, const char *name, const char *value);
/* Connects on the default loop with on_open/on_error/on_close/on_drain wired to Go
 * and on_message NULL (pull mode). handle is a runtime/cgo.Handle. */
wscgo_result wscgo_connect(const char *url, const wsc_options *o, uintptr_t handle,
                           wsc_conn **out);
/* WSC_EAGAIN is not given a detail (it is retried). */
wscgo_result wscgo_send(wsc_conn *c, int type, const void *data, size_t len);
/* WSC_ETIMEDOUT is not given a detail (it is the normal end of a slice). */
wscgo_result wscgo_recv(wsc_conn *c, int timeout_ms, wsc_message **out);
wscgo_result wscgo_close(wsc_conn *c, int code, const char *reason);
int wscgo_stats(const wsc_conn *c, wsc_stats *out);
int wscgo_tls_info(const wsc_conn *c, wsc_tls_info *out);

#endif
