// wsc-bench-echo-beast: the echo peer for the wss, permessage-deflate and plain-TCP floor cells
// of bench/run. One thread, one io_context (like wsc-bench-echo), so bench/run can pin it.
//
//   --tls CERT KEY   WebSocket over TLS (asio ssl_stream; session tickets and the server
//                    session cache stay on, so clients can resume)
//   --deflate        accept permessage-deflate (Beast's own; lws 4.1.6's server-side deflate
//                    is not used because wsc-bench-echo is a plain lws echo without it)
//   --raw            no WebSocket: echo the TCP byte stream as it arrives (the floor)
//   --tls12          with --tls: at most TLS 1.2, where a resumed handshake skips the key
//                    exchange (TLS 1.3 resumption still runs ECDHE: psk_dhe_ke)
//   --jsonrpc        text messages are JSON-RPC 2.0 requests, answered with their params as
//                    the result (simdjson: each request parsed and validated whole, id and
//                    params written back minified; the RPC cells of bench/rpc_run); binary
//                    messages are still echoed, so raw echo and RPC meet the same server
//
// Prints "LISTENING port=N" and echoes until killed. Every WebSocket message is echoed with
// its type; Beast reassembles fragmented messages first.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#if WSC_BENCH_JSONRPC
#include <simdjson.h>
#endif
#include <optional>
#include <string>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

bool g_deflate = false;
bool g_jsonrpc = false;

// The answer to a JSON-RPC request: {"id":id,"jsonrpc":"2.0","result":params} (keys in
// the order nlohmann::json, which this server used before, wrote them). Empty for a
// notification or what is not a request (nothing is sent back). simdjson rather than
// nlohmann::json: at 4 KiB params nlohmann's byte-at-a-time lexer and escaper made this
// server the bound of every client (57 us per call, docs/BENCHMARKS.md).
std::string jsonrpc_echo(std::string_view request) {
#if WSC_BENCH_JSONRPC
  static simdjson::dom::parser parser;  // one thread; reuses its buffers
  simdjson::dom::object call;
  if (parser.parse(request.data(), request.size()).get(call) != simdjson::SUCCESS) return {};
  simdjson::dom::element id, params;
  if (call["id"].get(id) != simdjson::SUCCESS) return {};
  std::string answer = R"({"id":)" + simdjson::minify(id) + R"(,"jsonrpc":"2.0","result":)";
  answer += call["params"].get(params) == simdjson::SUCCESS ? simdjson::minify(params) : "null";
  answer += '}';
  return answer;
#else
  (void)request;
  return {};
#endif
}

template <class Stream>
class WsSession : public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  explicit WsSession(websocket::stream<Stream> ws) : ws_(std::move(ws)) {}

  void start() {
    if (g_deflate) {
      websocket::permessage_deflate pmd;
      pmd.server_enable = true;
      // Level 1: the echo compresses every message again; at Beast's default (8) the server,
      // not the client under test, bounds the 1 MiB cells on this 2-CPU machine.
      pmd.compLevel = 1;
      ws_.set_option(pmd);
    }
    ws_.read_message_max(64u << 20);
    ws_.auto_fragment(false);
    ws_.write_buffer_bytes(65536);
    ws_.async_accept([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(buf_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;  // closed or failed: the session ends with its last handler
      self->ws_.binary(self->ws_.got_binary());
      if (g_jsonrpc && !self->ws_.got_binary()) return self->answer();
      self->ws_.async_write(self->buf_.data(), [self](beast::error_code ec2, size_t) {
        if (ec2) return;
        self->buf_.consume(self->buf_.size());
        self->read();
      });
    });
  }

  void answer() {
    const auto in = buf_.cdata();
    out_ = jsonrpc_echo({static_cast<const char *>(in.data()), in.size()});
    buf_.consume(buf_.size());
    if (out_.empty()) return read();
    ws_.async_write(net::buffer(out_),
                    [self = this->shared_from_this()](beast::error_code ec, size_t) {
                      if (!ec) self->read();
                    });
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buf_;
  std::string out_;  // a JSON-RPC answer being written
};

// TLS handshake first, then the WebSocket session on the same stream.
void start_tls(tcp::socket sock, ssl::context &ctx) {
  auto ws =
      std::make_shared<websocket::stream<beast::ssl_stream<tcp::socket>>>(std::move(sock), ctx);
  ws->next_layer().async_handshake(ssl::stream_base::server, [ws](beast::error_code ec) {
    if (ec) return;
    std::make_shared<WsSession<beast::ssl_stream<tcp::socket>>>(std::move(*ws))->start();
  });
}

class RawEcho : public std::enable_shared_from_this<RawEcho> {
 public:
  explicit RawEcho(tcp::socket s) : sock_(std::move(s)) {}
  void read() {
    sock_.async_read_some(net::buffer(buf_),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            if (ec) return;
                            net::async_write(self->sock_, net::buffer(self->buf_, n),
                                             [self](beast::error_code ec2, size_t) {
                                               if (!ec2) self->read();
                                             });
                          });
  }

 private:
  tcp::socket sock_;
  char buf_[65536];
};

struct Server {
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::optional<ssl::context> tls;
  bool raw = false;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket sock) {
      if (!ec) {
        sock.set_option(tcp::no_delay(true));
        if (raw)
          std::make_shared<RawEcho>(std::move(sock))->read();
        else if (tls)
          start_tls(std::move(sock), *tls);
        else
          std::make_shared<WsSession<tcp::socket>>(websocket::stream<tcp::socket>(std::move(sock)))
              ->start();
      }
      accept();
    });
  }
};

int usage(const char *prog) {
  std::fprintf(stderr,
               "usage: %s [--port N] [--tls CERT KEY [--tls12]] [--deflate] [--raw] [--jsonrpc]\n",
               prog);
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  Server s;
  int port = 0;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--port") && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--tls") && i + 2 < argc) {
      s.tls.emplace(ssl::context::tls_server);
      s.tls->use_certificate_chain_file(argv[i + 1]);
      s.tls->use_private_key_file(argv[i + 2], ssl::context::pem);
      // An id context lets the server-side session cache serve TLS 1.2 session-id resumption.
      static const unsigned char sid[] = "wsc-bench";
      SSL_CTX_set_session_id_context(s.tls->native_handle(), sid, sizeof sid - 1);
      i += 2;
    } else if (!std::strcmp(argv[i], "--tls12") && s.tls) {
      SSL_CTX_set_max_proto_version(s.tls->native_handle(), TLS1_2_VERSION);
    } else if (!std::strcmp(argv[i], "--deflate")) {
      g_deflate = true;
    } else if (!std::strcmp(argv[i], "--raw")) {
      s.raw = true;
    } else if (!std::strcmp(argv[i], "--jsonrpc") && WSC_BENCH_JSONRPC) {
      g_jsonrpc = true;
    } else {
      return usage(argv[0]);
    }
  }
  try {
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    s.acceptor.open(ep.protocol());
    s.acceptor.set_option(net::socket_base::reuse_address(true));
    s.acceptor.bind(ep);
    s.acceptor.listen();
    std::printf("LISTENING port=%d\n", s.acceptor.local_endpoint().port());
    std::fflush(stdout);
    s.accept();
    s.io.run();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "wsc-bench-echo-beast: %s\n", e.what());
    return 1;
  }
  return 0;
}
