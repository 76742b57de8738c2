/* backpressure: send faster than the network takes it, with bounded memory
 * in both directions (docs/guides/backpressure.md).
 *
 *   wsc serve --port 9001 &
 *   ./backpressure ws://127.0.0.1:9001/ [MESSAGES [BYTES]]
 *
 * The main thread sends MESSAGES binary messages of BYTES bytes (default
 * 2000 x 64 KiB) as fast as wsc_send accepts them: on WSC_EAGAIN (the small
 * 256 KiB send queue is full) it waits for on_drain. A second thread takes
 * the echoes in pull mode with wsc_recv_many; the receive queue is bounded
 * too (1 MiB): while it is full wsc stops reading the socket and the server
 * slows down. Prints the counts; exit 0 when every echo came back whole.
 * Build: cc backpressure.c $(pkg-config --cflags --libs wsc) -lpthread
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wsc/wsc.h>

typedef struct shared {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned long drains; /* on_drain calls so far */
  int ended;            /* on_close ran: no more drains will come */
} shared;

static void on_drain(wsc_conn *c, void *user) {
  shared *s = user;
  (void)c;
  pthread_mutex_lock(&s->mu);
  s->drains++;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

static void on_close(wsc_conn *c, int code, const char *reason, void *user) {
  shared *s = user;
  (void)c, (void)code, (void)reason;
  pthread_mutex_lock(&s->mu);
  s->ended = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

typedef struct receiver {
  wsc_conn *c;
  unsigned long want, got;
  size_t bytes;
  int status;
} receiver;

/* Takes every echo, many per call; stops at `want` or when the connection ends. */
static void *receive(void *arg) {
  receiver *r = arg;
  while (r->got < r->want) {
    wsc_batch *b = NULL;
    int rc = wsc_recv_many(r->c, 5000, 256, 4u << 20, &b);
    if (rc != WSC_OK) {
      r->status = rc;
      fprintf(stderr, "receive: %s: %s\n", wsc_strerror(rc), wsc_last_error_detail());
      return NULL;
    }
    r->got += b->count;
    r->bytes += b->bytes;
    wsc_batch_free(b);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ws://HOST:PORT/ [MESSAGES [BYTES]]\n", argv[0]);
    return 2;
  }
  unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
  size_t size = argc > 3 ? strtoul(argv[3], NULL, 10) : 65536;
  shared s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
  wsc_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.struct_size = sizeof cb;
  cb.on_drain = on_drain; /* on_message stays NULL: pull mode */
  cb.on_close = on_close;

  wsc_options *o = wsc_options_new();
  if (!o) return 1;
  int rc = wsc_options_set_int(o, WSC_OPT_SEND_QUEUE_BYTES, 256 * 1024);
  if (rc == WSC_OK) rc = wsc_options_set_int(o, WSC_OPT_RECV_QUEUE_BYTES, 1024 * 1024);
  wsc_conn *c = NULL;
  if (rc == WSC_OK) rc = wsc_connect(NULL, argv[1], o, &cb, &s, &c);
  wsc_options_free(o);
  if (rc == WSC_OK) rc = wsc_wait(c, WSC_OPEN, 5000);
  if (rc != WSC_OK) {
    fprintf(stderr, "connect: %s: %s\n", wsc_strerror(rc), wsc_last_error_detail());
    wsc_conn_free(c);
    return 1;
  }

  receiver r = {c, n, 0, 0, WSC_OK};
  pthread_t reader;
  if (pthread_create(&reader, NULL, receive, &r) != 0) {
    wsc_conn_free(c);
    return 1;
  }
  char *payload = calloc(1, size ? size : 1);
  unsigned long sent = 0, waits = 0;
  while (payload && sent < n) {
    pthread_mutex_lock(&s.mu);
    unsigned long seen = s.drains; /* read before the send: no drain is missed */
    pthread_mutex_unlock(&s.mu);
    rc = wsc_send(c, WSC_BINARY, payload, size);
    if (rc == WSC_OK) {
      sent++;
    } else if (rc == WSC_EAGAIN) { /* full: wait until it fell below half */
      waits++;
      pthread_mutex_lock(&s.mu);
      while (s.drains == seen && !s.ended) pthread_cond_wait(&s.cv, &s.mu);
      pthread_mutex_unlock(&s.mu);
    } else {
      fprintf(stderr, "send: %s: %s\n", wsc_strerror(rc), wsc_last_error_detail());
      break;
    }
  }
  free(payload);
  if (sent < n) r.want = r.got; /* a failed send: stop the reader soon */
  pthread_join(reader, NULL);

  printf("sent %lu messages of %zu bytes, waited for on_drain %lu times\n", sent, size, waits);
  printf("received %lu echoes, %zu bytes\n", r.got, r.bytes);
  wsc_close(c, 1000, "done");
  rc = wsc_wait(c, WSC_CLOSED, 5000);
  wsc_conn_free(c);
  return sent == n && r.got == n && r.bytes == n * size && rc == WSC_OK ? 0 : 1;
}
