/* The floor: a raw libwebsockets 4.1.6 client with the settings LWS-NOTES
 * recommends (rx_buffer_size = pt_serv_buf_size = 65536, one lws_write per
 * message, write until choked). Protocol: bench_common.h. */
#define _GNU_SOURCE /* before any system header: clock_gettime in bench_common.h */
#include <libwebsockets.h>

#include "bench_common.h"

typedef struct conn_state {
  int established, closing, closed;
} conn_state;

static bench_args A;
static struct lws_context *ctx;
static unsigned char *pattern, *txbuf, *rxbuf;
static size_t rxlen;
static uint64_t sent, received, t_end, *t_send, *rtt;
static int failed, done, stop;
static long n_established, n_closed;
static uint64_t t_all;
static char host[128], path[256];
static int port;
static lws_sorted_usec_list_t sul_stop;
static lws_retry_bo_t retry; /* heartbeats for scale mode */

static void want_write(struct lws *wsi) {
  if (sent < (uint64_t)A.count && sent - received < (uint64_t)A.window)
    lws_callback_on_writable(wsi);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  conn_state *cs = (conn_state *)user;
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      cs->established = 1;
      n_established++;
      if (A.mode == BENCH_SCALE) {
        if (n_established == A.conns) {
          t_all = bench_now_ns();
          lws_cancel_service(ctx);
        }
      } else if (A.mode == BENCH_CONNECT) {
        cs->closing = 1;
        lws_callback_on_writable(wsi);
      } else {
        rxlen = 0;
        lws_callback_on_writable(wsi);
      }
      break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (cs->closing || done) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
      }
      if (A.mode != BENCH_THROUGHPUT && A.mode != BENCH_LATENCY) break;
      while (sent < (uint64_t)A.count && sent - received < (uint64_t)A.window) {
        /* lws masks the buffer in place: rebuild it for every message. */
        memcpy(txbuf + LWS_PRE, pattern, A.size);
        bench_set_seq(txbuf + LWS_PRE, sent);
        t_send[sent] = bench_now_ns();
        if (lws_write(wsi, txbuf + LWS_PRE, A.size, LWS_WRITE_BINARY) < 0) {
          fprintf(stderr, "lws_write failed\n");
          failed = 1;
          return -1;
        }
        sent++;
        if (lws_send_pipe_choked(wsi)) {
          want_write(wsi);
          break;
        }
      }
      break;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
      uint64_t now;
      if (rxlen + len > A.size) {
        fprintf(stderr, "verify: message longer than %zu\n", A.size);
        failed = 1;
        return -1;
      }
      memcpy(rxbuf + rxlen, in, len);
      rxlen += len;
      if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) break;
      now = bench_now_ns();
      if (!bench_verify(rxbuf, rxlen, A.size, received, pattern)) {
        failed = 1;
        return -1;
      }
      rxlen = 0;
      rtt[received] = now - t_send[received];
      received++;
      if (received == (uint64_t)A.count) {
        t_end = now;
        done = 1;
        lws_callback_on_writable(wsi); /* close */
      } else {
        want_write(wsi);
      }
      break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      fprintf(stderr, "connection error: %s\n", in ? (const char *)in : "?");
      failed = 1;
      cs->closed = 1;
      n_closed++;
      lws_cancel_service(ctx);
      break;
    case LWS_CALLBACK_CLIENT_CLOSED:
      cs->closed = 1;
      n_closed++;
      lws_cancel_service(ctx);
      break;
    default:
      break;
  }
  (void)in;
  return 0;
}

static const struct lws_protocols protocols[] = {
    {"bench", callback, sizeof(conn_state), 65536, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

/* --deflate 1: lws's own permessage-deflate client extension. */
static const struct lws_extension deflate_exts[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
     "permessage-deflate; client_max_window_bits"},
    {NULL, NULL, NULL}};
static int use_tls;

static void parse_url(void) {
  char tmp[512];
  const char *prot, *addr, *p;
  snprintf(tmp, sizeof tmp, "%s", A.url);
  if (lws_parse_uri(tmp, &prot, &addr, &port, &p)) {
    fprintf(stderr, "bad url %s\n", A.url);
    exit(2);
  }
  use_tls = !strcmp(prot, "wss") || !strcmp(prot, "https");
  snprintf(host, sizeof host, "%s", addr);
  snprintf(path, sizeof path, "/%s", p);
}

static struct lws *connect_one(void) {
  struct lws_client_connect_info ci;
  memset(&ci, 0, sizeof ci);
  ci.context = ctx;
  ci.address = host;
  ci.port = port;
  ci.path = path;
  ci.host = host;
  ci.origin = host;
  ci.protocol = NULL;
  ci.local_protocol_name = "bench";
  /* lws 4.1.6 keeps no client TLS sessions: every wss handshake is a full one. */
  if (use_tls) ci.ssl_connection = LCCSCF_USE_SSL;
  if (A.mode == BENCH_SCALE) ci.retry_and_idle_policy = &retry;
  return lws_client_connect_via_info(&ci);
}

static void stop_cb(lws_sorted_usec_list_t *sul) {
  (void)sul;
  stop = 1;
  lws_cancel_service(ctx);
}

int main(int argc, char **argv) {
  struct lws_context_creation_info info;
  bench_parse(argc, argv, &A);
  parse_url();
  lws_set_log_level(LLL_ERR, NULL);
  memset(&info, 0, sizeof info);
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.pt_serv_buf_size = 65536;
  info.gid = -1;
  info.uid = -1;
  if (use_tls) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = A.ca;
  }
  if (A.deflate) info.extensions = deflate_exts;
  ctx = lws_create_context(&info);
  if (!ctx) return 1;

  if (A.mode == BENCH_THROUGHPUT || A.mode == BENCH_LATENCY) {
    uint64_t t0;
    pattern = bench_payload(&A);
    txbuf = (unsigned char *)malloc(LWS_PRE + A.size);
    rxbuf = (unsigned char *)malloc(A.size);
    t_send = (uint64_t *)calloc((size_t)A.count, 8);
    rtt = (uint64_t *)calloc((size_t)A.count, 8);
    t0 = 0;
    if (!connect_one()) return 1;
    while (!n_established && !failed && !n_closed) lws_service(ctx, 0);
    t0 = bench_now_ns(); /* the first WRITEABLE comes from this point on */
    while (!n_closed && !failed) lws_service(ctx, 0);
    if (failed || received != (uint64_t)A.count) {
      fprintf(stderr, "failed after %llu of %ld echoes\n", (unsigned long long)received, A.count);
      return 1;
    }
    bench_result_msgs("lws_raw", &A, (double)(t_end - t0) / 1e9, rtt, (size_t)A.count,
                      (long)received);
  } else if (A.mode == BENCH_CONNECT) {
    uint64_t *lat = (uint64_t *)calloc((size_t)A.count, 8), t0 = bench_now_ns();
    long i;
    for (i = 0; i < A.count; i++) {
      uint64_t s = bench_now_ns();
      long before = n_closed;
      if (!connect_one()) return 1;
      while (n_closed == before) lws_service(ctx, 0);
      if (failed) return 1;
      lat[i] = bench_now_ns() - s;
    }
    bench_result_msgs("lws_raw", &A, (double)(bench_now_ns() - t0) / 1e9, lat, (size_t)A.count,
                      A.count);
  } else {
    long rss0, rss1;
    double c0, cpu, wall;
    uint64_t t0, w0;
    int i;
    unsigned s = (unsigned)((A.ping_ms + 999) / 1000);
    retry.secs_since_valid_ping = (uint16_t)(s ? s : 1);
    retry.secs_since_valid_hangup = (uint16_t)(retry.secs_since_valid_ping + 10);
    rss0 = bench_rss_kb();
    t0 = bench_now_ns();
    for (i = 0; i < A.conns; i++)
      if (!connect_one()) {
        fprintf(stderr, "connect %d failed\n", i);
        return 1;
      }
    while (n_established < A.conns && !n_closed) lws_service(ctx, 0);
    if (n_closed) {
      fprintf(stderr, "scale: %ld of %d opened, %ld closed\n", n_established, A.conns, n_closed);
      return 1;
    }
    rss1 = bench_rss_kb();
    c0 = bench_cpu_s();
    w0 = bench_now_ns();
    lws_sul_schedule(ctx, 0, &sul_stop, stop_cb, (lws_usec_t)A.idle_ms * 1000);
    while (!stop) lws_service(ctx, 0);
    cpu = bench_cpu_s() - c0;
    wall = (double)(bench_now_ns() - w0) / 1e9;
    if (n_closed) {
      fprintf(stderr, "scale: %ld connections dropped while idle\n", n_closed);
      return 1;
    }
    bench_result_scale("lws_raw", &A, (double)(t_all - t0) / 1e9, rss0, rss1, cpu, wall,
                       n_established, -1);
  }
  lws_context_destroy(ctx);
  return 0;
}
