/* many_connections: N connections on one loop, one service thread
 * (docs/guides/many-connections.md).
 *
 *   wsc serve --port 9001 &
 *   ./many_connections ws://127.0.0.1:9001/ [N]
 *
 * Raises the descriptor limit first (lws sizes its table from it when a loop
 * is created), opens N connections (default 200) at once on one wsc_loop;
 * each sends "hello" from on_open and counts its echo in on_message (push
 * mode: the callbacks of every connection run on the loop's one thread, so
 * they only count). Then closes them all and waits for the clean closes.
 * Build: cc many_connections.c $(pkg-config --cflags --libs wsc) -lpthread
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <wsc/wsc.h>

typedef struct counts {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int echoed, ended;
} counts;

static void bump(counts *k, int *field) {
  pthread_mutex_lock(&k->mu);
  (*field)++;
  pthread_cond_broadcast(&k->cv);
  pthread_mutex_unlock(&k->mu);
}

static void on_open(wsc_conn *c, void *user) {
  (void)user;
  wsc_send(c, WSC_TEXT, "hello", 5); /* allowed in a callback: it only queues */
}

static void on_message(wsc_conn *c, int type, const void *data, size_t len, void *user) {
  counts *k = user;
  (void)c, (void)type, (void)data, (void)len;
  bump(k, &k->echoed);
}

static void on_close(wsc_conn *c, int code, const char *reason, void *user) {
  counts *k = user;
  (void)c, (void)code, (void)reason;
  bump(k, &k->ended);
}

/* Waits until *field reaches n; 0 when it did within 10 s. */
static int await(counts *k, const int *field, int n) {
  struct timespec deadline;
  int rc = 0;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 10;
  pthread_mutex_lock(&k->mu);
  while (*field < n && rc == 0) rc = pthread_cond_timedwait(&k->cv, &k->mu, &deadline);
  rc = *field < n;
  pthread_mutex_unlock(&k->mu);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ws://HOST:PORT/ [N]\n", argv[0]);
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 200;
  if (n < 1) return 2;
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < (rlim_t)n + 64) {
    lim.rlim_cur = lim.rlim_max < (rlim_t)n + 64 ? lim.rlim_max : (rlim_t)n + 64;
    setrlimit(RLIMIT_NOFILE, &lim); /* before wsc_loop_new */
  }

  counts k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
  wsc_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.struct_size = sizeof cb;
  cb.on_open = on_open;
  cb.on_message = on_message;
  cb.on_close = on_close;

  wsc_loop *loop = wsc_loop_new();
  wsc_conn **conns = calloc((size_t)n, sizeof *conns);
  if (!loop || !conns) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  int opened = 0, failed = 0;
  for (; opened < n; opened++) {
    int rc = wsc_connect(loop, argv[1], NULL, &cb, &k, &conns[opened]);
    if (rc != WSC_OK) {
      fprintf(stderr, "connect: %s: %s\n", wsc_strerror(rc), wsc_last_error_detail());
      failed = 1;
      break;
    }
  }
  if (!failed && await(&k, &k.echoed, n) != 0) {
    fprintf(stderr, "only %d of %d echoes within 10 s\n", k.echoed, n);
    failed = 1;
  }
  printf("%d connections on one loop, %d echoes\n", opened, k.echoed);

  int clean = 0;
  for (int i = 0; i < opened; i++) wsc_close(conns[i], 1000, "bye");
  for (int i = 0; i < opened; i++) {
    if (wsc_wait(conns[i], WSC_CLOSED, 10000) == WSC_OK) clean++;
  }
  printf("%d closed cleanly\n", clean);
  for (int i = 0; i < opened; i++) wsc_conn_free(conns[i]);
  free(conns);
  wsc_loop_free(loop);
  return failed || clean != n ? 1 : 0;
}
