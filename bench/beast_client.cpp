// Peer client on Boost.Beast (Debian libboost-dev): one single-threaded io_context, async
// reads and writes, at most one write outstanding (Beast's rule). Protocol: bench_common.h.
#include "bench_common.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Ws = websocket::stream<tcp::socket>;

namespace {

bench_args A;
std::string g_host, g_port, g_path;

void parse_url() {
  std::string u = A.url;
  auto p = u.find("://");
  if (p == std::string::npos || u.compare(0, p, "ws") != 0) {
    fprintf(stderr, "only ws:// urls\n");
    exit(2);
  }
  u = u.substr(p + 3);
  auto slash = u.find('/');
  g_path = slash == std::string::npos ? "/" : u.substr(slash);
  std::string hp = u.substr(0, slash);
  auto colon = hp.rfind(':');
  g_host = hp.substr(0, colon);
  g_port = colon == std::string::npos ? "80" : hp.substr(colon + 1);
}

void tune(Ws &ws) {
  ws.binary(true);
  ws.auto_fragment(false);
  ws.write_buffer_bytes(65536);
  ws.read_message_max(A.size + 1024);
}

struct Messages {
  net::io_context &io;
  Ws ws;
  unsigned char *pattern;
  std::vector<unsigned char> out;
  std::vector<uint64_t> t_send, rtt;
  beast::flat_buffer rbuf;
  uint64_t sent = 0, received = 0, t_end = 0;
  bool writing = false, failed = false;

  explicit Messages(net::io_context &io_) : io(io_), ws(io_) {}

  void maybe_write() {
    if (writing || failed || sent >= (uint64_t)A.count || sent - received >= (uint64_t)A.window)
      return;
    bench_set_seq(out.data(), sent);
    t_send[sent] = bench_now_ns();
    sent++;
    writing = true;
    ws.async_write(net::buffer(out), [this](beast::error_code ec, size_t) {
      writing = false;
      if (ec) {
        fprintf(stderr, "write: %s\n", ec.message().c_str());
        failed = true;
        return;
      }
      maybe_write();
    });
  }

  void read() {
    ws.async_read(rbuf, [this](beast::error_code ec, size_t) {
      if (ec) {
        fprintf(stderr, "read: %s\n", ec.message().c_str());
        failed = true;
        return;
      }
      const uint64_t now = bench_now_ns();
      auto d = rbuf.data();
      if (!bench_verify(d.data(), d.size(), A.size, received, pattern)) {
        failed = true;
        return;
      }
      rbuf.consume(rbuf.size());
      rtt[received] = now - t_send[received];
      received++;
      if (received == (uint64_t)A.count) {
        t_end = now;
        return;  // the run ends when no work is left
      }
      maybe_write();
      read();
    });
  }
};

int run_messages() {
  net::io_context io(1);
  tcp::resolver res(io);
  Messages m(io);
  net::connect(m.ws.next_layer(), res.resolve(g_host, g_port));
  m.ws.next_layer().set_option(tcp::no_delay(true));
  tune(m.ws);
  m.ws.handshake(g_host + ":" + g_port, g_path);
  m.pattern = bench_pattern(A.size);
  m.out.assign(m.pattern, m.pattern + A.size);
  m.t_send.assign(A.count, 0);
  m.rtt.assign(A.count, 0);
  const uint64_t t0 = bench_now_ns();
  m.read();
  m.maybe_write();
  io.run();
  if (m.failed || m.received != (uint64_t)A.count) return 1;
  m.ws.close(websocket::close_code::normal);
  bench_result_msgs("beast", &A, (m.t_end - t0) / 1e9, m.rtt.data(), m.rtt.size(),
                    (long)m.received);
  return 0;
}

int run_connect() {
  net::io_context io(1);
  tcp::resolver res(io);
  auto eps = res.resolve(g_host, g_port);
  std::vector<uint64_t> lat(A.count);
  const uint64_t t0 = bench_now_ns();
  for (long i = 0; i < A.count; i++) {
    const uint64_t s = bench_now_ns();
    Ws ws(io);
    net::connect(ws.next_layer(), eps);
    ws.handshake(g_host + ":" + g_port, g_path);
    ws.close(websocket::close_code::normal);  // waits for the server's Close
    lat[i] = bench_now_ns() - s;
  }
  bench_result_msgs("beast", &A, (bench_now_ns() - t0) / 1e9, lat.data(), lat.size(), A.count);
  return 0;
}

struct Idle {
  Ws ws;
  beast::flat_buffer buf;
  explicit Idle(net::io_context &io) : ws(io) {}
};

int run_scale() {
  net::io_context io(1);
  tcp::resolver res(io);
  tcp::endpoint ep = *res.resolve(g_host, g_port).begin();
  const long rss0 = bench_rss_kb();
  std::vector<std::unique_ptr<Idle>> conns;
  conns.reserve(A.conns);
  long opened = 0, dropped = 0;
  uint64_t t_all = 0;
  const std::string hosthdr = g_host + ":" + g_port;
  const uint64_t t0 = bench_now_ns();
  for (int i = 0; i < A.conns; i++) {
    conns.push_back(std::make_unique<Idle>(io));
    Idle *c = conns.back().get();
    websocket::stream_base::timeout to{};
    to.handshake_timeout = std::chrono::seconds(30);
    // Beast pings after half the idle timeout without traffic.
    to.idle_timeout = std::chrono::milliseconds(2 * A.ping_ms);
    to.keep_alive_pings = true;
    c->ws.set_option(to);
    c->ws.next_layer().async_connect(ep, [&, c](beast::error_code ec) {
      if (ec) {
        fprintf(stderr, "connect: %s\n", ec.message().c_str());
        dropped++;
        io.stop();
        return;
      }
      c->ws.async_handshake(hosthdr, g_path, [&, c](beast::error_code ec2) {
        if (ec2) {
          fprintf(stderr, "handshake: %s\n", ec2.message().c_str());
          dropped++;
          io.stop();
          return;
        }
        if (++opened == A.conns) {
          t_all = bench_now_ns();
          io.stop();
        }
        // A pending read lets Beast answer and time pings.
        c->ws.async_read(c->buf, [&](beast::error_code ec3, size_t) {
          if (ec3 != net::error::operation_aborted) dropped++;
        });
      });
    });
  }
  io.run_for(std::chrono::seconds(60));
  if (opened != A.conns || dropped) {
    fprintf(stderr, "scale: %ld of %d opened, %ld failed\n", opened, A.conns, dropped);
    return 1;
  }
  const long rss1 = bench_rss_kb();
  io.restart();
  const double c0 = bench_cpu_s();
  const uint64_t w0 = bench_now_ns();
  io.run_for(std::chrono::milliseconds(A.idle_ms));
  const double cpu = bench_cpu_s() - c0;
  const double wall = (bench_now_ns() - w0) / 1e9;
  if (dropped) {
    fprintf(stderr, "scale: %ld connections dropped while idle\n", dropped);
    return 1;
  }
  bench_result_scale("beast", &A, (t_all - t0) / 1e9, rss0, rss1, cpu, wall, opened);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  bench_parse(argc, argv, &A);
  parse_url();
  try {
    switch (A.mode) {
      case BENCH_CONNECT:
        return run_connect();
      case BENCH_SCALE:
        return run_scale();
      default:
        return run_messages();
    }
  } catch (const std::exception &e) {
    fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
