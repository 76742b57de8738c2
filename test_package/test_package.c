#include <stdio.h>
#include <stdlib.h>
#include <wsc/wsc.h>

int main(void) {
  /* No network: create and free a loop and options, check the version and
   * that a bad URL is refused with WSC_EINVAL. */
  wsc_loop *loop = wsc_loop_new();
  wsc_options *opts = wsc_options_new();
  wsc_conn *conn = NULL;
  int rc;

  if (loop == NULL || opts == NULL) return EXIT_FAILURE;
  printf("wsc version: %s\n", wsc_version());
  rc = wsc_connect(loop, "not a url", opts, NULL, NULL, &conn);
  printf("wsc_connect(\"not a url\"): %s\n", wsc_strerror(rc));
  wsc_options_free(opts);
  wsc_loop_free(loop);
  return rc == WSC_EINVAL ? EXIT_SUCCESS : EXIT_FAILURE;
}
