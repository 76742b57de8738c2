// Public interface of the wsc test/demo WebSocket echo server (static library wsc_server).
//
// Used by `wsc serve`, `wsc demo` and the integration tests. It owns one lws_context and one
// service thread; nothing lws-specific leaks into this header so users need not include lws.
// With `scripted = true` some request paths run fault scenarios (see scenario.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace wsc::server {

struct EchoServerOptions {
  std::string bind_address = "127.0.0.1";  // loopback only by default; "" = all interfaces
  int port = 0;                            // 0 = ephemeral, read back with port()
  bool scripted = false;  // enable the fault scenario paths; otherwise every path echoes
};

class EchoServer {
 public:
  // Creates the lws_context, binds, and starts the service thread. Throws std::runtime_error
  // with a readable message on failure (e.g. port in use, bad bind address).
  explicit EchoServer(EchoServerOptions options = {});
  // Stops the service thread promptly and joins it; connected clients are dropped.
  ~EchoServer();

  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  int port() const;  // the bound TCP port (useful when options.port == 0)
  const std::string& bind_address() const;
  bool scripted() const;
  std::string url() const;  // "ws://<bind address>:<port>" (no trailing slash)

  // Thread-safe counters, readable from any thread while the server runs.
  uint64_t connections_accepted() const;  // WebSocket upgrades completed
  uint64_t connections_open() const;      // currently open WebSocket connections
  uint64_t messages_echoed() const;       // client messages fully handed back to lws

  class Impl;  // defined in echo_server.cpp; public so the lws callback can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsc::server
