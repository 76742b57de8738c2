/* Shared by the C and C++ benchmark clients: the command line, the payload
 * format, clocks, /proc readings and the RESULT line. Header-only, C99 and C++.
 *
 * Protocol (identical in every client, including bench/peers/):
 *   payload  = S bytes (S >= 8): bytes 0..7 the sequence number (uint64, little
 *              endian), bytes 8.. the fixed pattern (i * 7 + 13) & 0xff.
 *   verified = every echo has length S, the expected (in-order) sequence number
 *              and the exact pattern.
 *   throughput / latency: one connection; N messages with at most W in flight
 *              (latency forces W = 1); clock from the first send to the last echo.
 *   connect:   N sequential open + clean close handshakes.
 *   scale:     C connections opened concurrently on one loop, then idle for
 *              --idle-ms with heartbeats every --ping-ms.
 */
#ifndef WSC_BENCH_COMMON_H
#define WSC_BENCH_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum bench_mode { BENCH_THROUGHPUT, BENCH_LATENCY, BENCH_CONNECT, BENCH_SCALE };

typedef struct bench_args {
  const char *url;
  int mode;
  const char *mode_name;
  size_t size;
  int window;
  long count;
  int conns;
  int ping_ms;
  int idle_ms;
  const char *payload; /* pattern (default) | text (compressible) | random (incompressible) */
  const char *ca;      /* wss: PEM file to trust (the bench certificate) */
  int deflate;         /* 1: offer permessage-deflate */
  int resume;          /* connect over wss: 1 = resume TLS sessions, 0 = full handshakes */
  int loops;           /* scale, clients that have loops: spread connections over this many */
  int private_fds;     /* scale, wsc: 1 = each loop thread gets its own descriptor table */
} bench_args;

static void bench_usage(const char *prog) {
  fprintf(stderr,
          "usage: %s --url ws://127.0.0.1:PORT/ --mode throughput|latency|connect|scale\n"
          "          [--size S] [--window W] [--count N] [--conns C] [--ping-ms P] "
          "[--idle-ms I]\n"
          "          [--payload pattern|text|random] [--ca PEM] [--deflate 0|1] [--resume 0|1]\n"
          "          [--loops L] [--private-fds 0|1]\n",
          prog);
  exit(2);
}

static int bench_parse(int argc, char **argv, bench_args *a) {
  int i;
  a->url = "ws://127.0.0.1:9001/";
  a->mode = BENCH_THROUGHPUT;
  a->mode_name = "throughput";
  a->size = 64;
  a->window = 1;
  a->count = 1000;
  a->conns = 1000;
  a->ping_ms = 10000;
  a->idle_ms = 12000;
  a->payload = "pattern";
  a->ca = NULL;
  a->deflate = 0;
  a->resume = 1;
  a->loops = 1;
  a->private_fds = 0;
  for (i = 1; i < argc; i++) {
    const char *k = argv[i];
    const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
    if (!v) bench_usage(argv[0]);
    if (!strcmp(k, "--url"))
      a->url = v;
    else if (!strcmp(k, "--mode")) {
      a->mode_name = v;
      if (!strcmp(v, "throughput"))
        a->mode = BENCH_THROUGHPUT;
      else if (!strcmp(v, "latency"))
        a->mode = BENCH_LATENCY;
      else if (!strcmp(v, "connect"))
        a->mode = BENCH_CONNECT;
      else if (!strcmp(v, "scale"))
        a->mode = BENCH_SCALE;
      else
        bench_usage(argv[0]);
    } else if (!strcmp(k, "--size"))
      a->size = (size_t)strtoull(v, NULL, 10);
    else if (!strcmp(k, "--window"))
      a->window = atoi(v);
    else if (!strcmp(k, "--count"))
      a->count = atol(v);
    else if (!strcmp(k, "--conns"))
      a->conns = atoi(v);
    else if (!strcmp(k, "--ping-ms"))
      a->ping_ms = atoi(v);
    else if (!strcmp(k, "--idle-ms"))
      a->idle_ms = atoi(v);
    else if (!strcmp(k, "--payload"))
      a->payload = v;
    else if (!strcmp(k, "--ca"))
      a->ca = v;
    else if (!strcmp(k, "--deflate"))
      a->deflate = atoi(v);
    else if (!strcmp(k, "--resume"))
      a->resume = atoi(v);
    else if (!strcmp(k, "--loops"))
      a->loops = atoi(v);
    else if (!strcmp(k, "--private-fds"))
      a->private_fds = atoi(v);
    else
      bench_usage(argv[0]);
    i++;
  }
  if (a->mode == BENCH_LATENCY) a->window = 1;
  if (a->size < 8 || a->window < 1 || a->count < 1 || a->conns < 1 || a->loops < 1)
    bench_usage(argv[0]);
  if (strcmp(a->payload, "pattern") && strcmp(a->payload, "text") && strcmp(a->payload, "random"))
    bench_usage(argv[0]);
  return 0;
}

static uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline long bench_rss_kb(void) {
  char line[256];
  long kb = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) {
      kb = atol(line + 6);
      break;
    }
  fclose(f);
  return kb;
}

static inline double bench_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* A payload with the pattern and sequence number 0. */
static unsigned char *bench_pattern(size_t size) {
  size_t i;
  unsigned char *p = (unsigned char *)malloc(size);
  if (!p) abort();
  memset(p, 0, 8);
  for (i = 8; i < size; i++) p[i] = (unsigned char)((i * 7 + 13) & 0xff);
  return p;
}

/* The payload --payload asks for, sequence number 0. "text" and "random" come from one
 * xorshift32 stream (seed 2463534242) that bench/peers/ repeat byte for byte: "text" picks
 * words from a small vocabulary (compressible, like chatty JSON), "random" takes the low byte
 * of each step (incompressible). "pattern" is bench_pattern (period 256, compressible). */
static unsigned char *bench_payload(const bench_args *a) {
  static const char *const words[8] = {"the ",      "quick ", "\"brown\": ", "fox, ",
                                       "{\"id\": ", "42, ",   "lazy ",       "dog}\n"};
  uint32_t x = 2463534242u;
  size_t i = 8;
  unsigned char *p;
  if (!strcmp(a->payload, "pattern")) return bench_pattern(a->size);
  p = (unsigned char *)calloc(1, a->size);
  if (!p) abort();
  while (i < a->size) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    if (!strcmp(a->payload, "random")) {
      p[i++] = (unsigned char)(x & 0xff);
    } else {
      const char *w = words[x % 8];
      while (*w && i < a->size) p[i++] = (unsigned char)*w++;
    }
  }
  return p;
}

static void bench_set_seq(unsigned char *p, uint64_t seq) {
  int i;
  for (i = 0; i < 8; i++) p[i] = (unsigned char)(seq >> (8 * i));
}

static uint64_t bench_get_seq(const unsigned char *p) {
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

/* 1 if the echo is exactly message `seq`. */
static int bench_verify(const void *data, size_t len, size_t size, uint64_t seq,
                        const unsigned char *pattern) {
  const unsigned char *d = (const unsigned char *)data;
  if (len != size) {
    fprintf(stderr, "verify: message %llu has %zu bytes, want %zu\n", (unsigned long long)seq, len,
            size);
    return 0;
  }
  if (bench_get_seq(d) != seq) {
    fprintf(stderr, "verify: got sequence %llu, want %llu\n", (unsigned long long)bench_get_seq(d),
            (unsigned long long)seq);
    return 0;
  }
  if (memcmp(d + 8, pattern + 8, size - 8) != 0) {
    fprintf(stderr, "verify: message %llu payload differs\n", (unsigned long long)seq);
    return 0;
  }
  return 1;
}

static int bench_cmp_u64(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* Percentile (0..1) of n samples in ns, returned in µs; sorts the array. */
static double bench_pct_us(uint64_t *v, size_t n, double q, int sorted) {
  size_t idx;
  if (n == 0) return 0;
  if (!sorted) qsort(v, n, sizeof *v, bench_cmp_u64);
  idx = (size_t)(q * (double)n);
  if (idx >= n) idx = n - 1;
  return (double)v[idx] / 1000.0;
}

/* The client's own CPU time (user + system) over its timed section, when it measured it
 * (bench_cpu_s() at the first send and at the last answer): the RESULT line then says
 * cpu_s=, the CPU the work cost without the process's start-up and connect. */
static double bench_timed_cpu_s = -1;

/* One RESULT line for throughput/latency/connect. samples may be NULL. */
static void bench_result_msgs(const char *client, const bench_args *a, double seconds,
                              uint64_t *samples, size_t nsamples, long verified) {
  double p50 = 0, p99 = 0, p999 = 0;
  if (samples && nsamples) {
    p50 = bench_pct_us(samples, nsamples, 0.50, 0);
    p99 = bench_pct_us(samples, nsamples, 0.99, 1);
    p999 = bench_pct_us(samples, nsamples, 0.999, 1);
  }
  printf(
      "RESULT client=%s mode=%s size=%zu window=%d count=%ld seconds=%.6f msgs_per_s=%.1f "
      "mb_per_s=%.3f p50_us=%.1f p99_us=%.1f p999_us=%.1f verified=%ld",
      client, a->mode_name, a->mode == BENCH_CONNECT ? (size_t)0 : a->size,
      a->mode == BENCH_CONNECT ? 0 : a->window, a->count, seconds, a->count / seconds,
      a->mode == BENCH_CONNECT ? 0.0 : (double)a->count * (double)a->size / seconds / 1e6, p50, p99,
      p999, verified);
  if (bench_timed_cpu_s >= 0) printf(" cpu_s=%.6f", bench_timed_cpu_s);
  printf("\n");
  fflush(stdout);
}

/* close_s < 0: the client did not time closing all of them. */
static inline void bench_result_scale(const char *client, const bench_args *a, double open_s,
                                      long rss_before_kb, long rss_after_kb, double idle_cpu_s,
                                      double idle_wall_s, long open_count, double close_s) {
  printf(
      "RESULT client=%s mode=scale conns=%d loops=%d open_s=%.4f rss_kb_per_conn=%.2f "
      "rss_before_kb=%ld rss_after_kb=%ld idle_cpu_pct=%.3f ping_ms=%d idle_ms=%d "
      "verified=%ld",
      client, a->conns, a->loops, open_s, (double)(rss_after_kb - rss_before_kb) / a->conns,
      rss_before_kb, rss_after_kb, 100.0 * idle_cpu_s / idle_wall_s, a->ping_ms, a->idle_ms,
      open_count);
  if (close_s >= 0) printf(" close_s=%.4f", close_s);
  printf("\n");
  fflush(stdout);
}

/* Scale runs need a descriptor per connection. The soft limit is raised to
 * what the run needs, not to the hard limit: lws 4.1.6 sizes its fd table
 * from it when a loop starts, and Debian's build (_DEBUG) scans the whole
 * table on every close (docs/guides/many-connections.md). */
static inline void bench_raise_nofile(long conns) {
  struct rlimit rl;
  rlim_t want = (rlim_t)conns + 1024;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) return;
  rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
}

#endif
