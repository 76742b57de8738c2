/* Benchmark client on the wsc C ABI (capi/wsc.h). Protocol: bench_common.h. */
/* clang-format off: bench_common.h defines _GNU_SOURCE and must come first */
#include "bench_common.h"
/* clang-format on */

#include <pthread.h>
#include <unistd.h>
#include <wsc.h> /* capi/ is on the include path */

/* Payloads of 64 KiB and more go out with wsc_send_nocopy, as a user sending large
 * messages would: written from the bench's own buffers, not copied. Each message carries its
 * sequence number, so a buffer is reused only once the library released it: back on a free
 * list, and the one released last (the warmest) goes out next. */
#define SHARED_MIN_BYTES (64 * 1024)

typedef struct payload {
  struct payloads *pool;
  struct payload *next;     /* on the free list */
  struct payload *next_all; /* every payload, freed at the end */
  unsigned char *bytes;
} payload;

typedef struct payloads {
  pthread_mutex_t mu; /* the library releases on its loop thread */
  payload *free_list, *all;
} payloads;

static void payload_release(void *user) {
  payload *p = (payload *)user;
  pthread_mutex_lock(&p->pool->mu);
  p->next = p->pool->free_list;
  p->pool->free_list = p;
  pthread_mutex_unlock(&p->pool->mu);
}

static payload *payload_take(payloads *pool, const bench_args *a) {
  payload *p;
  pthread_mutex_lock(&pool->mu);
  p = pool->free_list;
  if (p) pool->free_list = p->next;
  pthread_mutex_unlock(&pool->mu);
  if (p) return p;
  p = (payload *)calloc(1, sizeof *p);
  if (!p) abort();
  p->pool = pool;
  p->bytes = bench_payload(a);
  pthread_mutex_lock(&pool->mu);
  p->next_all = pool->all;
  pool->all = p;
  pthread_mutex_unlock(&pool->mu);
  return p;
}

static void payloads_free(payloads *pool) {
  while (pool->all) {
    payload *p = pool->all;
    pool->all = p->next_all;
    free(p->bytes);
    free(p);
  }
}

typedef struct run {
  const bench_args *a;
  payloads *shared; /* set for payloads of SHARED_MIN_BYTES and more */
  unsigned char *pattern, *out;
  uint64_t *t_send, *rtt;
  wsc_conn *conn;
  pthread_mutex_t mu; /* serialises "assign a sequence number + send" */
  pthread_cond_t cv;
  uint64_t sent, received, t_end;
  int done, failed;
  /* scale */
  long opened, closed;
  uint64_t t_all;
} run;

static void finish(run *r, int failed) {
  r->failed |= failed;
  r->done = 1;
  pthread_cond_broadcast(&r->cv);
}

/* mu held */
static void send_more(run *r) {
  while (r->sent < (uint64_t)r->a->count && r->sent - r->received < (uint64_t)r->a->window) {
    int rc;
    r->t_send[r->sent] = bench_now_ns();
    if (r->shared) {
      payload *p = payload_take(r->shared, r->a);
      bench_set_seq(p->bytes, r->sent);
      rc = wsc_send_nocopy(r->conn, WSC_BINARY, p->bytes, r->a->size, payload_release, p);
    } else {
      bench_set_seq(r->out, r->sent);
      rc = wsc_send(r->conn, WSC_BINARY, r->out, r->a->size);
    }
    if (rc != WSC_OK) {
      fprintf(stderr, "wsc_send: %s\n", wsc_strerror(rc));
      finish(r, 1);
      return;
    }
    r->sent++;
  }
}

static void on_message(wsc_conn *c, int type, const void *data, size_t len, void *user) {
  run *r = (run *)user;
  uint64_t now = bench_now_ns();
  (void)c;
  (void)type;
  pthread_mutex_lock(&r->mu);
  if (!r->done) {
    if (!bench_verify(data, len, r->a->size, r->received, r->pattern)) {
      finish(r, 1);
    } else {
      r->rtt[r->received] = now - r->t_send[r->received];
      r->received++;
      if (r->received == (uint64_t)r->a->count) {
        r->t_end = now;
        finish(r, 0);
      } else {
        send_more(r);
      }
    }
  }
  pthread_mutex_unlock(&r->mu);
}

static void on_close_msgs(wsc_conn *c, int code, const char *reason, void *user) {
  run *r = (run *)user;
  (void)c;
  (void)reason;
  pthread_mutex_lock(&r->mu);
  if (!r->done) {
    fprintf(stderr, "closed early (code %d)\n", code);
    finish(r, 1);
  }
  pthread_mutex_unlock(&r->mu);
}

/* The options every mode starts from: the bench certificate for wss, compression, resumption.
 * The caller frees them. */
static wsc_options *base_options(const bench_args *a) {
  wsc_options *o = wsc_options_new();
  if (!o) abort();
  if (a->ca && wsc_options_set_str(o, WSC_OPT_TLS_CA_FILE, a->ca) != WSC_OK) abort();
  if (wsc_options_set_int(o, WSC_OPT_COMPRESSION, a->deflate != 0) != WSC_OK ||
      wsc_options_set_int(o, WSC_OPT_TLS_SESSION_RESUMPTION, a->resume != 0) != WSC_OK)
    abort();
  return o;
}

static int run_messages(const bench_args *a) {
  run r;
  payloads shared;
  wsc_loop *loop = wsc_loop_new();
  wsc_options *o = base_options(a);
  wsc_callbacks cb;
  wsc_conn *conn = NULL;
  uint64_t t0;
  int rc;
  memset(&r, 0, sizeof r);
  memset(&cb, 0, sizeof cb);
  memset(&shared, 0, sizeof shared);
  pthread_mutex_init(&shared.mu, NULL);
  r.a = a;
  if ((size_t)a->size >= SHARED_MIN_BYTES) r.shared = &shared;
  r.pattern = bench_payload(a);
  r.out = bench_payload(a);
  r.t_send = (uint64_t *)calloc((size_t)a->count, sizeof(uint64_t));
  r.rtt = (uint64_t *)calloc((size_t)a->count, sizeof(uint64_t));
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);
  cb.struct_size = sizeof cb;
  cb.on_message = on_message;
  cb.on_close = on_close_msgs;
  if (a->size + 1024 > (16u << 20))
    wsc_options_set_int(o, WSC_OPT_MAX_MESSAGE_BYTES, (int64_t)a->size + 1024);
  rc = wsc_connect(loop, a->url, o, &cb, &r, &conn);
  if (rc != WSC_OK || wsc_wait(conn, WSC_OPEN, 10000) != WSC_OK) {
    fprintf(stderr, "open failed: %s\n", wsc_last_error_detail());
    return 1;
  }
  pthread_mutex_lock(&r.mu);
  r.conn = conn;
  t0 = bench_now_ns();
  send_more(&r);
  while (!r.done) pthread_cond_wait(&r.cv, &r.mu);
  pthread_mutex_unlock(&r.mu);
  if (r.failed) return 1;
  wsc_close(conn, 1000, "");
  wsc_wait(conn, WSC_CLOSED, 5000);
  wsc_conn_free(conn);
  bench_result_msgs("wsc_c", a, (double)(r.t_end - t0) / 1e9, r.rtt, (size_t)a->count,
                    (long)r.received);
  wsc_options_free(o);
  wsc_loop_free(loop);
  payloads_free(&shared); /* after the loop: nothing is held any more */
  return 0;
}

/* Sequential open + clean close, each next connection started from the
 * previous one's on_close, on the loop thread (like the raw lws client). */
typedef struct chain {
  const bench_args *a;
  wsc_loop *loop;
  wsc_conn *current;
  wsc_options *opts;
  uint64_t *lat, started;
  long done, resumed; /* resumed: wss handshakes that resumed a TLS session */
  int finished, failed;
  pthread_mutex_t mu; /* the first connect starts on main; callbacks may run before it returns */
  pthread_cond_t cv;
} chain;

static void chain_finish(chain *ch, int failed) {
  ch->failed = failed;
  ch->finished = 1;
  pthread_cond_broadcast(&ch->cv);
}

static void chain_start(chain *ch);

static void chain_open(wsc_conn *c, void *user) {
  chain *ch = (chain *)user;
  wsc_tls_info ti;
  memset(&ti, 0, sizeof ti);
  ti.struct_size = sizeof ti;
  pthread_mutex_lock(&ch->mu);
  if (wsc_conn_tls_info(c, &ti) == WSC_OK) ch->resumed += ti.resumed;
  wsc_close(c, 1000, "");
  pthread_mutex_unlock(&ch->mu);
}

static void chain_error(wsc_conn *c, int status, const char *detail, void *user) {
  chain *ch = (chain *)user;
  (void)c;
  pthread_mutex_lock(&ch->mu);
  fprintf(stderr, "connect %ld: %s (%s)\n", ch->done, detail, wsc_strerror(status));
  chain_finish(ch, 1);
  pthread_mutex_unlock(&ch->mu);
}

static void chain_close(wsc_conn *c, int code, const char *reason, void *user) {
  chain *ch = (chain *)user;
  (void)reason;
  pthread_mutex_lock(&ch->mu);
  if (!ch->finished) {
    if (code != 1000) {
      fprintf(stderr, "close %ld not clean: %d\n", ch->done, code);
      chain_finish(ch, 1);
    } else {
      ch->lat[ch->done++] = bench_now_ns() - ch->started;
      wsc_conn_free(c); /* allowed inside its own on_close */
      ch->current = NULL;
      if (ch->done == ch->a->count)
        chain_finish(ch, 0);
      else
        chain_start(ch);
    }
  }
  pthread_mutex_unlock(&ch->mu);
}

/* mu held */
static void chain_start(chain *ch) {
  wsc_callbacks cb;
  memset(&cb, 0, sizeof cb);
  cb.struct_size = sizeof cb;
  cb.on_open = chain_open;
  cb.on_error = chain_error;
  cb.on_close = chain_close;
  ch->started = bench_now_ns();
  if (wsc_connect(ch->loop, ch->a->url, ch->opts, &cb, ch, &ch->current) != WSC_OK) {
    fprintf(stderr, "wsc_connect: %s\n", wsc_last_error_detail());
    chain_finish(ch, 1);
  }
}

static int run_connect(const bench_args *a) {
  chain ch;
  wsc_conn *last;
  uint64_t t0;
  double secs;
  memset(&ch, 0, sizeof ch);
  ch.a = a;
  ch.loop = wsc_loop_new();
  ch.opts = base_options(a);
  ch.lat = (uint64_t *)calloc((size_t)a->count, sizeof(uint64_t));
  pthread_mutex_init(&ch.mu, NULL);
  pthread_cond_init(&ch.cv, NULL);
  t0 = bench_now_ns();
  pthread_mutex_lock(&ch.mu);
  chain_start(&ch);
  while (!ch.finished) pthread_cond_wait(&ch.cv, &ch.mu);
  secs = (double)(bench_now_ns() - t0) / 1e9;
  last = ch.current; /* set only after a failure: callbacks no longer free it */
  pthread_mutex_unlock(&ch.mu);
  /* Freed without mu held: a callback running now may be waiting for mu. */
  if (last) wsc_conn_free(last);
  wsc_loop_free(ch.loop);
  wsc_options_free(ch.opts);
  if (ch.failed) return 1;
  /* Resumption on, wss: every handshake after the first must have resumed. */
  if (a->resume && !strncmp(a->url, "wss:", 4) && ch.resumed < a->count - 1) {
    fprintf(stderr, "only %ld of %ld handshakes resumed\n", ch.resumed, a->count);
    return 1;
  }
  bench_result_msgs("wsc_c", a, secs, ch.lat, (size_t)a->count, a->count);
  free(ch.lat);
  return 0;
}

static void scale_open(wsc_conn *c, void *user) {
  run *r = (run *)user;
  (void)c;
  pthread_mutex_lock(&r->mu);
  if (++r->opened == r->a->conns) {
    r->t_all = bench_now_ns();
    pthread_cond_broadcast(&r->cv);
  }
  pthread_mutex_unlock(&r->mu);
}

static void scale_close(wsc_conn *c, int code, const char *reason, void *user) {
  run *r = (run *)user;
  (void)c;
  (void)code;
  (void)reason;
  pthread_mutex_lock(&r->mu);
  r->closed++;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static int run_scale(const bench_args *a) {
  run r;
  wsc_loop *loop = wsc_loop_new();
  wsc_options *o = base_options(a);
  wsc_callbacks cb;
  wsc_conn **conns = (wsc_conn **)calloc((size_t)a->conns, sizeof(wsc_conn *));
  long rss0, rss1;
  uint64_t t0, w0;
  double c0, cpu, wall;
  struct timespec deadline;
  int i;
  memset(&r, 0, sizeof r);
  memset(&cb, 0, sizeof cb);
  r.a = a;
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);
  cb.struct_size = sizeof cb;
  cb.on_open = scale_open;
  cb.on_close = scale_close;
  wsc_options_set_int(o, WSC_OPT_PING_INTERVAL_MS, a->ping_ms);
  wsc_options_set_int(o, WSC_OPT_CONNECT_TIMEOUT_MS, 30000);
  usleep(100000);
  rss0 = bench_rss_kb();
  t0 = bench_now_ns();
  for (i = 0; i < a->conns; i++) {
    if (wsc_connect(loop, a->url, o, &cb, &r, &conns[i]) != WSC_OK) {
      fprintf(stderr, "connect %d: %s\n", i, wsc_last_error_detail());
      return 1;
    }
  }
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&r.mu);
  while (r.opened < a->conns && r.closed == 0)
    if (pthread_cond_timedwait(&r.cv, &r.mu, &deadline) != 0) break;
  pthread_mutex_unlock(&r.mu);
  if (r.opened < a->conns) {
    fprintf(stderr, "scale: %ld of %d opened, %ld closed\n", r.opened, a->conns, r.closed);
    return 1;
  }
  rss1 = bench_rss_kb();
  c0 = bench_cpu_s();
  w0 = bench_now_ns();
  usleep((useconds_t)a->idle_ms * 1000);
  cpu = bench_cpu_s() - c0;
  wall = (double)(bench_now_ns() - w0) / 1e9;
  if (r.closed > 0) {
    fprintf(stderr, "scale: %ld connections dropped while idle\n", r.closed);
    return 1;
  }
  bench_result_scale("wsc_c", a, (double)(r.t_all - t0) / 1e9, rss0, rss1, cpu, wall, r.opened, -1);
  for (i = 0; i < a->conns; i++) wsc_conn_free(conns[i]);
  wsc_loop_free(loop);
  wsc_options_free(o);
  return 0;
}

int main(int argc, char **argv) {
  bench_args a;
  bench_parse(argc, argv, &a);
  switch (a.mode) {
    case BENCH_CONNECT:
      return run_connect(&a);
    case BENCH_SCALE:
      return run_scale(&a);
    default:
      return run_messages(&a);
  }
}
