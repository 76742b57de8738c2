// EchoServer: owns the lws_context and its service thread, registers the protocols and routes
// lws callbacks to per-connection Sessions (session.hpp) and scripted scenarios (scenario.hpp).
#include "echo_server.hpp"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "scenario.hpp"
#include "session.hpp"

namespace wsc::server {
namespace {

// Same numbers as the client (LWS-NOTES §13): 64 KiB pieces instead of 4 KiB ones.
constexpr size_t kRxBufferSize = 65536;
constexpr unsigned kServBufSize = 65536;

// Ceiling for raising RLIMIT_NOFILE: lws sizes its fd lookup table by the limit, so taking a
// huge hard limit (often 1M in containers) would cost tens of MiB per context.
constexpr rlim_t kMaxFdLimit = 65536;

struct ContextDeleter {
  void operator()(lws_context* ctx) const { lws_context_destroy(ctx); }
};
using ContextPtr = std::unique_ptr<lws_context, ContextDeleter>;

int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

// protocols[0] is the default used when the client asks for no subprotocol. chat.v1 and chat.v2
// exist so clients can test subprotocol negotiation; all share one callback. A client asking
// only for unknown subprotocols is refused by lws (the upgrade fails).
const lws_protocols kProtocols[] = {
    {"wsc-echo", Callback, 0, kRxBufferSize, 0, nullptr, 0},
    {"chat.v1", Callback, 0, kRxBufferSize, 0, nullptr, 0},
    {"chat.v2", Callback, 0, kRxBufferSize, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// 1000+ connections in one test process need ~2 fds each (client and server side).
void RaiseFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  const rlim_t want = std::min(rl.rlim_max, kMaxFdLimit);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// lws only says "failed"; bind a probe socket ourselves to tell the user why (usually EADDRINUSE
// or EADDRNOTAVAIL).
std::string DescribeBindFailure(const std::string& address, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(address.empty() ? nullptr : address.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) return std::string("invalid bind address: ") + gai_strerror(rc);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd < 0) return std::strerror(errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // lws sets it too
  std::string why = "lws_create_context failed";
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) why = std::strerror(errno);
  close(fd);
  return why;
}

bool IsIpv4Literal(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

// The request path of a server wsi; valid while the HTTP header table is attached, which in
// lws 4.1.6 includes FILTER_PROTOCOL_CONNECTION and ESTABLISHED.
std::string RequestPath(lws* wsi) {
  char buf[1024];
  int n = lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_GET_URI);
  if (n <= 0) return "/";
  return std::string(buf, static_cast<size_t>(n));
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status < 500 ? "Client Error" : "Server Error";
  }
}

// Refuses a WebSocket upgrade with an HTTP status. lws_return_http_status is no use here: during
// the upgrade lws has not recorded the request's HTTP version yet and answers "HTTP/1.0",
// which strict clients (Python websockets) reject as an invalid response. The caller then
// returns nonzero from FILTER_PROTOCOL_CONNECTION and lws closes the connection.
void RefuseUpgrade(lws* wsi, int status) {
  std::string body = std::to_string(status) + " " + ReasonPhrase(status) + "\n";
  std::string head =
      "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n";
  std::vector<unsigned char> buf(LWS_PRE);
  buf.insert(buf.end(), head.begin(), head.end());
  buf.insert(buf.end(), body.begin(), body.end());
  lws_write(wsi, buf.data() + LWS_PRE, buf.size() - LWS_PRE, LWS_WRITE_HTTP_HEADERS);
}

}  // namespace

class EchoServer::Impl {
 public:
  explicit Impl(EchoServerOptions options);
  ~Impl();

  int Handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len);

  EchoServerOptions options_;
  int port_ = 0;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> echoed_{0};

 private:
  void Run();
  Scenario ScenarioFor(lws* wsi) const;
  void EndSession(lws* wsi);

  std::atomic<bool> stop_{false};
  // Guards context_ against being destroyed (by the service thread) while the destructor calls
  // lws_cancel_service on it; nothing else locks it.
  std::mutex context_mu_;
  ContextPtr context_;
  // Sessions by wsi; touched only on the service thread.
  std::unordered_map<lws*, Session> sessions_;
  std::thread thread_;
};

namespace {
int Callback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
  lws_context* ctx = lws_get_context(wsi);
  auto* impl = ctx ? static_cast<EchoServer::Impl*>(lws_context_user(ctx)) : nullptr;
  if (!impl) return 0;
  return impl->Handle(wsi, reason, in, len);
}
}  // namespace

EchoServer::Impl::Impl(EchoServerOptions options) : options_(std::move(options)) {
  if (options_.port < 0 || options_.port > 65535) {
    throw std::runtime_error("EchoServer: invalid port " + std::to_string(options_.port));
  }
  // The log level is a process-wide global that client code in the same process also sets, so
  // touch it once (fewer racy writes); only the level changes, an installed emitter stays.
  static std::once_flag log_once;
  std::call_once(log_once, [] { lws_set_log_level(LLL_ERR, nullptr); });
  RaiseFdLimit();

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = options_.port;
  info.iface = options_.bind_address.empty() ? nullptr : options_.bind_address.c_str();
  info.protocols = kProtocols;
  info.pt_serv_buf_size = kServBufSize;
  info.count_threads = 1;
  info.user = this;
  // No LWS_SERVER_OPTION_VALIDATE_UTF8 (scenarios relay invalid UTF-8 on purpose) and no
  // extensions (no permessage-deflate).
  info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  if (IsIpv4Literal(options_.bind_address)) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;

  context_.reset(lws_create_context(&info));
  if (!context_) {
    throw std::runtime_error("EchoServer: cannot listen on " + options_.bind_address + ":" +
                             std::to_string(options_.port) + ": " +
                             DescribeBindFailure(options_.bind_address, options_.port));
  }
  lws_vhost* vh = lws_get_vhost_by_name(context_.get(), "default");
  port_ = vh ? lws_get_vhost_listen_port(vh) : -1;
  if (port_ <= 0) {
    throw std::runtime_error("EchoServer: lws did not report a listening port");
  }
  thread_ = std::thread([this] { Run(); });
}

EchoServer::Impl::~Impl() {
  {
    std::lock_guard<std::mutex> lock(context_mu_);
    stop_.store(true);
    // The only thread-safe lws call: wakes lws_service, which otherwise sleeps until the next
    // event however long that takes.
    if (context_) lws_cancel_service(context_.get());
  }
  if (thread_.joinable()) thread_.join();
}

void EchoServer::Impl::Run() {
  while (!stop_.load()) {
    if (lws_service(context_.get(), 0) < 0) break;
  }
  // Destroy on this thread: lws runs callbacks (CLOSED, WSI_DESTROY) inside
  // lws_context_destroy, and those touch sessions_. Open connections are dropped, not closed
  // gracefully, so this cannot wait on a peer.
  std::lock_guard<std::mutex> lock(context_mu_);
  context_.reset();
  sessions_.clear();
}

Scenario EchoServer::Impl::ScenarioFor(lws* wsi) const {
  if (!options_.scripted) return Scenario{};
  return ParseScenario(RequestPath(wsi)).value_or(Scenario{});
}

void EchoServer::Impl::EndSession(lws* wsi) {
  if (sessions_.erase(wsi) > 0) open_.fetch_sub(1);
}

int EchoServer::Impl::Handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      // A plain HTTP request (no upgrade): answer instead of leaving it hanging until timeout.
      if (lws_return_http_status(wsi, 426, "This is a WebSocket endpoint")) return -1;
      return lws_http_transaction_completed(wsi);

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
      if (!options_.scripted) return 0;
      std::optional<Scenario> sc = ParseScenario(RequestPath(wsi));
      if (!sc) {
        // Malformed scenario arguments: refuse loudly rather than silently echo.
        RefuseUpgrade(wsi, 400);
        return 1;
      }
      if (sc->kind == Scenario::Kind::kReject) {
        RefuseUpgrade(wsi, sc->http_status);
        return 1;
      }
      return 0;
    }

    case LWS_CALLBACK_ESTABLISHED: {
      accepted_.fetch_add(1);
      open_.fetch_add(1);
      Session& s = sessions_.insert_or_assign(wsi, Session(ScenarioFor(wsi))).first->second;
      switch (s.scenario().kind) {
        case Scenario::Kind::kClose:
          lws_callback_on_writable(wsi);  // lws_close_reason must be followed by return -1
          break;
        case Scenario::Kind::kDrop:
          // Closes from lws's timer with "no status": lws sends no Close frame, just FIN.
          lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
          break;
        case Scenario::Kind::kNoPong:
          // lws answers pings itself (ops-ws.c stashes the payload and sends the pong before
          // any user WRITEABLE); there is no API to suppress that. So this scenario stops
          // reading the socket instead: pings are never parsed, hence never answered. Side
          // effect: nothing the client sends is echoed or even read (its Close included).
          lws_rx_flow_control(wsi, 0);
          break;
        default:
          s.QueueOpeningMessages();
          if (s.has_pending_output()) lws_callback_on_writable(wsi);
          break;
      }
      return 0;
    }

    case LWS_CALLBACK_RECEIVE: {
      auto it = sessions_.find(wsi);
      if (it != sessions_.end()) it->second.OnReceive(wsi, in, len);
      return 0;
    }

    case LWS_CALLBACK_SERVER_WRITEABLE: {
      auto it = sessions_.find(wsi);
      if (it == sessions_.end()) return 0;
      Session& s = it->second;
      if (s.scenario().kind == Scenario::Kind::kClose) {
        // WRITEABLE can come again while lws is closing; set the reason only once because lws
        // sends the Close frame from the same buffer.
        if (!s.close_started) {
          s.close_started = true;
          const std::string& r = s.scenario().close_reason;
          lws_close_reason(wsi, static_cast<lws_close_status>(s.scenario().close_code),
                           reinterpret_cast<unsigned char*>(const_cast<char*>(r.data())), r.size());
        }
        return -1;
      }
      uint64_t echoed = 0;
      const bool ok = s.Drain(wsi, &echoed);
      if (echoed) echoed_.fetch_add(echoed);
      return ok ? 0 : -1;
    }

    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
      EndSession(wsi);
      return 0;

    default:
      return 0;
  }
}

EchoServer::EchoServer(EchoServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

EchoServer::~EchoServer() = default;

int EchoServer::port() const { return impl_->port_; }
const std::string& EchoServer::bind_address() const { return impl_->options_.bind_address; }
bool EchoServer::scripted() const { return impl_->options_.scripted; }

std::string EchoServer::url() const {
  std::string host = impl_->options_.bind_address;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "ws://" + host + ":" + std::to_string(impl_->port_);
}

uint64_t EchoServer::connections_accepted() const { return impl_->accepted_.load(); }
uint64_t EchoServer::connections_open() const { return impl_->open_.load(); }
uint64_t EchoServer::messages_echoed() const { return impl_->echoed_.load(); }

}  // namespace wsc::server
