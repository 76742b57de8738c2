/* Compile check: <wsc/wsc.h> must build as strict C99 with -Wall -Wextra
 * -pedantic -Werror, the way a C user includes the installed header. The
 * declarations are used (and main runs) so nothing is optimized away. */
#include <stdio.h>
#include <string.h>
#include <wsc/wsc.h>
#include <wsc/wsc_rpc.h>

/* Defined in header_cpp.cpp: the same checks compiled as C++. */
int wsc_header_cpp_check(void);

static void on_message(wsc_conn *c, int type, const void *data, size_t len, void *user) {
  (void)c;
  (void)type;
  (void)data;
  (void)len;
  (void)user;
}

int main(void) {
  const char *version = wsc_version();
  wsc_callbacks cbs;
  wsc_stats stats;
  wsc_message msg;
  enum wsc_status status = WSC_EINVAL;
  enum wsc_state state = WSC_OPEN;
  enum wsc_msg_type type = WSC_TEXT;
  enum wsc_option opt = WSC_OPT_PROXY;
  int failures = 0;

  memset(&cbs, 0, sizeof cbs);
  cbs.struct_size = sizeof cbs;
  cbs.on_message = on_message;
  memset(&stats, 0, sizeof stats);
  stats.struct_size = sizeof stats;
  msg.type = type;
  msg.len = 0;
  msg.data = NULL;

  if (version == NULL || version[0] == '\0') {
    fprintf(stderr, "wsc_version() is empty\n");
    ++failures;
  }
  if (strcmp(wsc_strerror(WSC_OK), "success") != 0 || wsc_strerror(status)[0] == '\0') {
    fprintf(stderr, "wsc_strerror() gave unexpected text\n");
    ++failures;
  }
  if (wsc_status_is_fatal(WSC_EINVAL) != 1 || (int)state != 1 || (int)opt != 109 ||
      cbs.on_message == NULL || msg.type != WSC_TEXT || stats.struct_size != sizeof(wsc_stats)) {
    fprintf(stderr, "declarations do not match the documented values\n");
    ++failures;
  }
  if (wsc_header_cpp_check() != 0) {
    fprintf(stderr, "the C++ header check failed\n");
    ++failures;
  }
  if (failures == 0) printf("wsc %s: header compiles as C99 and C++, version non-empty\n", version);
  return failures == 0 ? 0 : 1;
}
