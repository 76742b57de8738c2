// Peer client on Boost.Beast (Debian libboost-dev): one single-threaded io_context, async
// reads and writes, at most one write outstanding (Beast's rule). Protocol: bench_common.h.
// wss:// runs over asio's ssl_stream (OpenSSL, the certificate from --ca verified with the host
// name); --deflate 1 offers Beast's permessage_deflate; connect --resume 1 hands each TLS
// connection the previous one's session (SSL_get1_session / SSL_set_session).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_common.h"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
namespace ssl = net::ssl;
using Ws = websocket::stream<tcp::socket>;
using Wss = websocket::stream<beast::ssl_stream<tcp::socket>>;

namespace {

bench_args A;
std::string g_host, g_port, g_path;
bool g_tls = false;

void parse_url() {
  std::string u = A.url;
  auto p = u.find("://");
  if (p == std::string::npos || (u.compare(0, p, "ws") != 0 && u.compare(0, p, "wss") != 0)) {
    fprintf(stderr, "only ws:// and wss:// urls\n");
    exit(2);
  }
  g_tls = u.compare(0, p, "wss") == 0;
  u = u.substr(p + 3);
  auto slash = u.find('/');
  g_path = slash == std::string::npos ? "/" : u.substr(slash);
  std::string hp = u.substr(0, slash);
  auto colon = hp.rfind(':');
  g_host = hp.substr(0, colon);
  g_port = colon == std::string::npos ? (g_tls ? "443" : "80") : hp.substr(colon + 1);
}

ssl::context make_tls_context() {
  ssl::context ctx(ssl::context::tls_client);
  if (A.ca)
    ctx.load_verify_file(A.ca);
  else
    ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_session_cache_mode(ctx.native_handle(), SSL_SESS_CACHE_CLIENT);
  return ctx;
}

// TCP connect + TLS handshake (for wss) on ws's lowest layer; session resumes if not null.
void connect_layers(Ws &ws, const tcp::resolver::results_type &eps, SSL_SESSION *) {
  net::connect(ws.next_layer(), eps);
  ws.next_layer().set_option(tcp::no_delay(true));
}

void connect_layers(Wss &ws, const tcp::resolver::results_type &eps, SSL_SESSION *session) {
  net::connect(beast::get_lowest_layer(ws), eps);
  beast::get_lowest_layer(ws).set_option(tcp::no_delay(true));
  ws.next_layer().set_verify_callback(ssl::rfc2818_verification(g_host));
  if (session) SSL_set_session(ws.next_layer().native_handle(), session);
  ws.next_layer().handshake(ssl::stream_base::client);
}

template <class Stream>
void tune(Stream &ws) {
  if (A.deflate) {
    websocket::permessage_deflate pmd;
    pmd.client_enable = true;
    ws.set_option(pmd);
  }
  ws.binary(true);
  ws.auto_fragment(false);
  ws.write_buffer_bytes(65536);
  ws.read_message_max(A.size + 1024);
}

template <class Stream>
struct Messages {
  net::io_context &io;
  Stream ws;
  unsigned char *pattern;
  std::vector<unsigned char> out;
  std::vector<uint64_t> t_send, rtt;
  beast::flat_buffer rbuf;
  uint64_t sent = 0, received = 0, t_end = 0;
  bool writing = false, failed = false;

  explicit Messages(net::io_context &io_) : io(io_), ws(io_) {}
  Messages(net::io_context &io_, ssl::context &ctx) : io(io_), ws(io_, ctx) {}

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

template <class Stream, class... Ctx>
int run_messages(Ctx &...ctx) {
  net::io_context io(1);
  tcp::resolver res(io);
  Messages<Stream> m(io, ctx...);
  connect_layers(m.ws, res.resolve(g_host, g_port), nullptr);
  tune(m.ws);
  m.ws.handshake(g_host + ":" + g_port, g_path);
  m.pattern = bench_payload(&A);
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

template <class Stream, class... Ctx>
int run_connect(Ctx &...ctx) {
  net::io_context io(1);
  tcp::resolver res(io);
  auto eps = res.resolve(g_host, g_port);
  std::vector<uint64_t> lat(A.count);
  SSL_SESSION *session = nullptr;  // the previous connection's, with --resume 1
  long resumed = 0;
  const uint64_t t0 = bench_now_ns();
  for (long i = 0; i < A.count; i++) {
    const uint64_t s = bench_now_ns();
    Stream ws(io, ctx...);
    connect_layers(ws, eps, session);
    if constexpr (std::is_same_v<Stream, Wss>)
      resumed += SSL_session_reused(ws.next_layer().native_handle());
    tune(ws);
    ws.handshake(g_host + ":" + g_port, g_path);
    ws.close(websocket::close_code::normal);  // waits for the server's Close
    if constexpr (std::is_same_v<Stream, Wss>) {
      if (A.resume) {
        // After the close: TLS 1.3 tickets arrive after the handshake, read with the Close.
        if (session) SSL_SESSION_free(session);
        session = SSL_get1_session(ws.next_layer().native_handle());
      }
    }
    lat[i] = bench_now_ns() - s;
  }
  if (session) SSL_SESSION_free(session);
  if (A.resume && g_tls && resumed < A.count - 1) {
    fprintf(stderr, "only %ld of %ld handshakes resumed\n", resumed, A.count);
    return 1;
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
  bench_result_scale("beast", &A, (t_all - t0) / 1e9, rss0, rss1, cpu, wall, opened, -1);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  bench_parse(argc, argv, &A);
  parse_url();
  try {
    switch (A.mode) {
      case BENCH_CONNECT:
        if (g_tls) {
          ssl::context ctx = make_tls_context();
          return run_connect<Wss>(ctx);
        }
        return run_connect<Ws>();
      case BENCH_SCALE:
        if (g_tls) {
          fprintf(stderr, "scale: ws:// only\n");
          return 2;
        }
        return run_scale();
      default:
        if (g_tls) {
          ssl::context ctx = make_tls_context();
          return run_messages<Wss>(ctx);
        }
        return run_messages<Ws>();
    }
  } catch (const std::exception &e) {
    fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
