/* bench-tcp-floor: the floor under every WebSocket client. The same messages, windows and
 * checks as bench_common.h, over a plain TCP connection to an echo of the byte stream
 * (wsc-bench-echo-beast --raw): no framing, no masking, no TLS. One write() per message
 * (more if the kernel takes part of it), reads of up to 64 KiB, one thread, poll().
 * connect: N sequential TCP connects, each closed with shutdown + wait for the peer's EOF.
 * scale: C idle connections with a heartbeat's bytes every --ping-ms (the floor under a
 *   WebSocket heartbeat: one send, one epoll wake-up shared by every due socket, one recv).
 * Url: tcp://127.0.0.1:PORT/ (ws:// is accepted too; only host and port are used); scale
 * takes a comma-separated list and spreads the connections over it. */
#define _GNU_SOURCE /* before any system header: clock_gettime in bench_common.h */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"

static int tcp_connect(const char *url) {
  const char *hp = strstr(url, "://");
  char host[64];
  int port, fd, one = 1;
  struct sockaddr_in sa;
  hp = hp ? hp + 3 : url;
  if (sscanf(hp, "%63[^:]:%d", host, &port) != 2) {
    fprintf(stderr, "bad url %s\n", url);
    exit(2);
  }
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "bad address %s\n", host);
    exit(2);
  }
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    perror("connect");
    exit(1);
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static int run_messages(const bench_args *a) {
  int fd = tcp_connect(a->url);
  unsigned char *pattern = bench_payload(a);
  unsigned char *out = bench_payload(a);
  unsigned char *in = (unsigned char *)malloc(a->size);
  uint64_t *t_send = (uint64_t *)calloc((size_t)a->count, sizeof(uint64_t));
  uint64_t *rtt = (uint64_t *)calloc((size_t)a->count, sizeof(uint64_t));
  uint64_t sent = 0, received = 0, t0, t_end = 0;
  size_t out_off = 0, in_off = 0; /* progress in the message being written / read */
  const uint64_t count = (uint64_t)a->count, window = (uint64_t)a->window;
  if (!in || !t_send || !rtt) abort();
  t0 = bench_now_ns();
  while (received < count) {
    struct pollfd p;
    int writable = sent < count && (out_off > 0 || sent - received < window);
    p.fd = fd;
    p.events = (short)(POLLIN | (writable ? POLLOUT : 0));
    if (poll(&p, 1, 10000) <= 0) {
      fprintf(stderr, "poll: timeout or error\n");
      return 1;
    }
    if (p.revents & POLLOUT) {
      while (sent < count && (out_off > 0 || sent - received < window)) {
        ssize_t n;
        if (out_off == 0) {
          bench_set_seq(out, sent);
          t_send[sent] = bench_now_ns();
        }
        n = send(fd, out + out_off, a->size - out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN) break;
          perror("send");
          return 1;
        }
        out_off += (size_t)n;
        if (out_off < a->size) break;
        out_off = 0;
        sent++;
      }
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      for (;;) {
        size_t want = a->size - in_off;
        ssize_t n = recv(fd, in + in_off, want < 65536 ? want : 65536, MSG_DONTWAIT);
        if (n < 0 && errno == EAGAIN) break;
        if (n <= 0) {
          fprintf(stderr, "recv: connection ended after %llu echoes\n",
                  (unsigned long long)received);
          return 1;
        }
        in_off += (size_t)n;
        if (in_off < a->size) continue;
        in_off = 0;
        if (!bench_verify(in, a->size, a->size, received, pattern)) return 1;
        rtt[received] = bench_now_ns() - t_send[received];
        if (++received == count) {
          t_end = bench_now_ns();
          break;
        }
      }
    }
  }
  close(fd);
  bench_result_msgs("tcp_floor", a, (double)(t_end - t0) / 1e9, rtt, (size_t)a->count,
                    (long)received);
  free(pattern);
  free(out);
  free(in);
  free(t_send);
  free(rtt);
  return 0;
}

static int run_connect(const bench_args *a) {
  uint64_t *lat = (uint64_t *)calloc((size_t)a->count, sizeof(uint64_t));
  uint64_t t0 = bench_now_ns();
  long i;
  char c;
  if (!lat) abort();
  for (i = 0; i < a->count; i++) {
    uint64_t s = bench_now_ns();
    int fd = tcp_connect(a->url);
    shutdown(fd, SHUT_WR);
    if (recv(fd, &c, 1, 0) != 0) {
      fprintf(stderr, "connect %ld: no clean EOF\n", i);
      return 1;
    }
    close(fd);
    lat[i] = bench_now_ns() - s;
  }
  bench_result_msgs("tcp_floor", a, (double)(bench_now_ns() - t0) / 1e9, lat, (size_t)a->count,
                    a->count);
  free(lat);
  return 0;
}

/* The bytes of a heartbeat: a masked ping with an 8-byte payload (what wsc sends), echoed
 * back by the raw echo in place of the 10-byte pong. */
enum { HEARTBEAT_BYTES = 14 };

/* Scale: the due sockets are sent their heartbeat together on a grid of ping_ms/50, as
 * wsc's coarse heartbeat timers fire (connection i first at i/conns of the interval); every
 * echo is read and counted. */
static int run_scale(const bench_args *a) {
  char urls[8][64];
  int nurls = 0, ep, i;
  const char *at = a->url;
  unsigned char beat[HEARTBEAT_BYTES] = {0x89, 0x88};
  int *fds = (int *)calloc((size_t)a->conns, sizeof(int));
  long echoed = 0, sent = 0, rss0, rss1;
  uint64_t t0, t_open, w0, grid_ns = (uint64_t)a->ping_ms * 1000000 / 50;
  double c0, cpu, wall;
  struct epoll_event ev, events[256];
  if (!fds) abort();
  while (sscanf(at, "%63[^,]", urls[nurls]) == 1) {
    nurls++;
    at = strchr(at, ',');
    if (!at++) break;
    if (nurls == 8) {
      fprintf(stderr, "scale: at most 8 urls\n");
      return 2;
    }
  }
  bench_raise_nofile(a->conns);
  ep = epoll_create1(0);
  if (ep < 0) {
    perror("epoll_create1");
    return 1;
  }
  rss0 = bench_rss_kb();
  t0 = bench_now_ns();
  for (i = 0; i < a->conns; i++) {
    fds[i] = tcp_connect(urls[i % nurls]);
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t)i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) {
      perror("epoll_ctl");
      return 1;
    }
  }
  t_open = bench_now_ns();
  rss1 = bench_rss_kb();
  c0 = bench_cpu_s();
  w0 = bench_now_ns();
  for (;;) {
    const uint64_t now = bench_now_ns(), since = now - w0;
    /* Every connection whose slot on the grid has come: slot of conn i in round r is
     * r * ping + i * ping / conns, rounded up to the grid. */
    const uint64_t ping_ns = (uint64_t)a->ping_ms * 1000000;
    uint64_t next_due, wait_ms;
    int n;
    if (since >= (uint64_t)a->idle_ms * 1000000) break;
    for (;;) {
      const uint64_t round = (uint64_t)sent / (uint64_t)a->conns;
      const uint64_t slot = round * ping_ns + (uint64_t)(sent % a->conns) * ping_ns / a->conns;
      const uint64_t due = (slot + grid_ns - 1) / grid_ns * grid_ns;
      if (due > since) {
        next_due = due;
        break;
      }
      if (send(fds[sent % a->conns], beat, sizeof beat, MSG_DONTWAIT | MSG_NOSIGNAL) !=
          (ssize_t)sizeof beat) {
        perror("send");
        return 1;
      }
      sent++;
    }
    wait_ms = (next_due - since + 999999) / 1000000;
    n = epoll_wait(ep, events, 256, (int)wait_ms);
    for (i = 0; i < n; i++) {
      unsigned char in[64];
      const ssize_t got = recv(fds[events[i].data.u32], in, sizeof in, MSG_DONTWAIT);
      if (got <= 0) {
        fprintf(stderr, "scale: connection %u ended\n", events[i].data.u32);
        return 1;
      }
      echoed += got;
    }
  }
  cpu = bench_cpu_s() - c0;
  wall = (bench_now_ns() - w0) / 1e9;
  fprintf(stderr, "scale: %ld heartbeats, %ld of their bytes echoed\n", sent, echoed);
  {
    const uint64_t tc = bench_now_ns();
    for (i = 0; i < a->conns; i++) close(fds[i]);
    close(ep);
    bench_result_scale("tcp_floor", a, (t_open - t0) / 1e9, rss0, rss1, cpu, wall,
                       echoed >= (sent - a->conns) * HEARTBEAT_BYTES ? a->conns : 0,
                       (bench_now_ns() - tc) / 1e9);
  }
  free(fds);
  return 0;
}

int main(int argc, char **argv) {
  bench_args a;
  bench_parse(argc, argv, &a);
  if (a.mode == BENCH_SCALE) return run_scale(&a);
  return a.mode == BENCH_CONNECT ? run_connect(&a) : run_messages(&a);
}
