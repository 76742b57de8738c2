// `wsc serve`: the library's test echo server as a standalone process, handy for trying
// the client by hand and for scripted tests that need a server on a known port.
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>

#include "cli_args.hpp"
#include "commands.hpp"
#include "echo_server.hpp"
#include "signals.hpp"

namespace wsc::cli {

int run_serve(const std::vector<std::string> &args) {
  ServeArgs a = parse_serve_args(args);
  wsc::server::EchoServerOptions opts;
  opts.bind_address = a.bind;
  opts.port = a.port;
  opts.scripted = a.scripted;

  std::unique_ptr<wsc::server::EchoServer> server;
  try {
    server = std::make_unique<wsc::server::EchoServer>(opts);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "wsc: could not start the server: %s\n", e.what());
    return 1;
  }
  // "" means all interfaces; print an address a client can actually use.
  std::string host = a.bind.empty() ? "0.0.0.0" : a.bind;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  // Flushed at once: scripts read the port from this line while we keep running.
  std::printf("listening on ws://%s:%d\n", host.c_str(), server->port());
  std::fflush(stdout);
  if (a.scripted) {
    std::fprintf(stderr, "wsc: scripted fault paths enabled (/close/<code>, /drop, ...)\n");
  }

  int signo = wait_for_termination_signal();
  std::fprintf(stderr, "wsc: %s, stopping (%llu connections, %llu messages echoed)\n",
               signo == SIGINT ? "interrupted" : "terminated",
               static_cast<unsigned long long>(server->connections_accepted()),
               static_cast<unsigned long long>(server->messages_echoed()));
  server.reset();
  return 0;
}

}  // namespace wsc::cli
