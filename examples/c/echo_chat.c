/* echo_chat: a minimal chat with a WebSocket echo server through the C ABI.
 *
 *   wsc serve --port 9001 &
 *   ./echo_chat ws://127.0.0.1:9001/ hello world   # messages from argv
 *   printf 'one\ntwo\n' | ./echo_chat ws://127.0.0.1:9001/   # or from stdin
 *
 * Each message is sent as a text frame and its echo printed as "echo: ...".
 * Pull mode: no on_message callback, so replies are taken with wsc_recv.
 * Build: cc echo_chat.c $(pkg-config --cflags --libs wsc)
 */
#include <stdio.h>
#include <string.h>
#include <wsc/wsc.h>

/* Send one line and print its echo; 0 on success. */
static int chat(wsc_conn *c, const char *text) {
  wsc_message *m = NULL;
  int rc = wsc_send(c, WSC_TEXT, text, strlen(text));
  if (rc == WSC_OK) rc = wsc_recv(c, 5000, &m); /* wait up to 5 s for the echo */
  if (rc != WSC_OK) {
    fprintf(stderr, "echo_chat: %s (%s)\n", wsc_strerror(rc), wsc_last_error_detail());
    return 1;
  }
  printf("echo: %.*s\n", (int)m->len, (const char *)m->data);
  fflush(stdout);
  wsc_message_free(m);
  return 0;
}

int main(int argc, char **argv) {
  wsc_conn *c = NULL;
  char line[4096];
  int rc, failed = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s ws://HOST:PORT/ [MESSAGE...]\n", argv[0]);
    return 2;
  }
  /* NULL loop = the process-wide default loop; NULL options = defaults;
   * NULL callbacks = pull mode. */
  rc = wsc_connect(NULL, argv[1], NULL, NULL, NULL, &c);
  if (rc != WSC_OK) {
    fprintf(stderr, "echo_chat: %s (%s)\n", wsc_strerror(rc), wsc_last_error_detail());
    return 1;
  }
  rc = wsc_wait(c, WSC_OPEN, 5000);
  if (rc != WSC_OK) {
    fprintf(stderr, "echo_chat: cannot open %s: %s\n", argv[1], wsc_strerror(rc));
    wsc_conn_free(c);
    return 1;
  }
  printf("connected to %s (wsc %s)\n", argv[1], wsc_version());

  if (argc > 2) {
    for (int i = 2; i < argc && !failed; i++) failed = chat(c, argv[i]);
  } else {
    while (!failed && fgets(line, sizeof line, stdin)) {
      line[strcspn(line, "\r\n")] = '\0'; /* strip the newline */
      if (line[0] != '\0') failed = chat(c, line);
    }
  }

  /* Graceful close: Close frame 1000, then wait for the server's reply. */
  wsc_close(c, 1000, "bye");
  rc = wsc_wait(c, WSC_CLOSED, 5000);
  printf("closed: %s\n", wsc_strerror(rc));
  wsc_conn_free(c);
  return failed || rc != WSC_OK;
}
