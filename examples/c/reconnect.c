/* reconnect: one logical connection across server restarts
 * (docs/guides/reconnect.md).
 *
 *   wsc serve --port 9001 &
 *   ./reconnect ws://127.0.0.1:9001/ [SECONDS]
 *   # stop and restart the server meanwhile: it reconnects and goes on
 *
 * Sends "tick N" every 100 ms for SECONDS (default 5) with auto-reconnect
 * on (backoff 100 ms .. 1 s) and heartbeats; prints every state change,
 * every failed attempt's reason and every echo. Messages sent while it is
 * reconnecting wait in the send queue and go out once it is open again.
 * on_open is where a real client would log in or resubscribe again.
 * Exit 0 when the last tick's echo came back and the close was clean.
 * Build: cc reconnect.c $(pkg-config --cflags --libs wsc) -lpthread
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wsc/wsc.h>

static const char *state_name(int s) {
  static const char *names[] = {"CONNECTING", "OPEN", "CLOSING", "CLOSED", "RECONNECTING"};
  return s >= 0 && s <= 4 ? names[s] : "?";
}

static void on_open(wsc_conn *c, void *user) {
  wsc_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  (void)user;
  if (wsc_conn_stats(c, &st) == WSC_OK)
    printf("open (reconnects so far: %llu)\n", (unsigned long long)st.reconnects);
  fflush(stdout);
}

static void on_state(wsc_conn *c, int from, int to, void *user) {
  (void)c, (void)user;
  printf("state %s -> %s\n", state_name(from), state_name(to));
  fflush(stdout);
}

static void on_error(wsc_conn *c, int status, const char *detail, void *user) {
  (void)c, (void)user;
  printf("error: %s: %s\n", wsc_strerror(status), detail);
  fflush(stdout);
}

/* The number of the last tick echoed: written on the loop thread, read by main. */
typedef struct echoes {
  pthread_mutex_t mu;
  int last;
} echoes;

static void on_message(wsc_conn *c, int type, const void *data, size_t len, void *user) {
  echoes *e = user;
  int tick = 0;
  (void)c, (void)type;
  if (len > 5 && len < 16 && memcmp(data, "tick ", 5) == 0) {
    char digits[16];
    memcpy(digits, (const char *)data + 5, len - 5);
    digits[len - 5] = '\0';
    tick = atoi(digits);
  }
  pthread_mutex_lock(&e->mu);
  e->last = tick;
  pthread_mutex_unlock(&e->mu);
  printf("echo: %.*s\n", (int)len, (const char *)data);
  fflush(stdout);
}

static int last_echo(echoes *e) {
  pthread_mutex_lock(&e->mu);
  int last = e->last;
  pthread_mutex_unlock(&e->mu);
  return last;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ws://HOST:PORT/ [SECONDS]\n", argv[0]);
    return 2;
  }
  int ticks = (argc > 2 ? atoi(argv[2]) : 5) * 10;
  echoes echoed = {PTHREAD_MUTEX_INITIALIZER, 0};
  wsc_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.struct_size = sizeof cb;
  cb.on_open = on_open;
  cb.on_state = on_state;
  cb.on_error = on_error;
  cb.on_message = on_message;

  wsc_options *o = wsc_options_new();
  if (!o) return 1;
  int rc = wsc_options_set_int(o, WSC_OPT_RECONNECT, 1);
  if (rc == WSC_OK) rc = wsc_options_set_int(o, WSC_OPT_RECONNECT_MIN_MS, 100);
  if (rc == WSC_OK) rc = wsc_options_set_int(o, WSC_OPT_RECONNECT_MAX_MS, 1000);
  if (rc == WSC_OK) rc = wsc_options_set_int(o, WSC_OPT_PING_INTERVAL_MS, 1000);
  if (rc == WSC_OK) rc = wsc_options_set_int(o, WSC_OPT_PONG_TIMEOUT_MS, 1000);
  wsc_conn *c = NULL;
  if (rc == WSC_OK) rc = wsc_connect(NULL, argv[1], o, &cb, &echoed, &c);
  wsc_options_free(o);
  if (rc != WSC_OK) {
    fprintf(stderr, "connect: %s: %s\n", wsc_strerror(rc), wsc_last_error_detail());
    return 1;
  }

  char text[32];
  int i = 1;
  for (; i <= ticks; i++) {
    int n = snprintf(text, sizeof text, "tick %d", i);
    rc = wsc_send(c, WSC_TEXT, text, (size_t)n); /* queued while reconnecting */
    if (rc != WSC_OK) {                          /* WSC_ECLOSED once it has ended for good */
      fprintf(stderr, "send: %s: %s\n", wsc_strerror(rc), wsc_last_error_detail());
      break;
    }
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  /* The last echo may still be on its way: wait for it, at most 5 s. */
  const int want = i - 1;
  for (int wait = 0; wait < 50 && last_echo(&echoed) != want; wait++) {
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  wsc_close(c, 1000, "done");
  int closed = wsc_wait(c, WSC_CLOSED, 5000);
  wsc_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  wsc_conn_stats(c, &st);
  printf("sent %llu, reconnects %llu, never sent %llu\n", (unsigned long long)st.msgs_sent,
         (unsigned long long)st.reconnects, (unsigned long long)st.send_discarded);
  wsc_conn_free(c);
  return rc == WSC_OK && closed == WSC_OK && last_echo(&echoed) == ticks ? 0 : 1;
}
