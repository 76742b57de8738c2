// wsc-bench-echo: the benchmark echo server, wsc::server::EchoServer (one lws context,
// one service thread, 64 KiB rx/pt buffers) in a process of its own so bench/run can pin
// it to a CPU with taskset. Prints "LISTENING port=N", then echoes until SIGINT/SIGTERM
// and prints "STATS accepted=... echoed=...".
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <echo_server.hpp>
#include <exception>

int main(int argc, char **argv) {
  wsc::server::EchoServerOptions opts;
  opts.port = 9001;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port"))
      opts.port = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--bind"))
      opts.bind_address = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--port N] [--bind ADDR]\n", argv[0]);
      return 2;
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before the service thread starts
  try {
    wsc::server::EchoServer server(opts);
    std::printf("LISTENING port=%d\n", server.port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    std::printf("STATS accepted=%llu echoed=%llu\n",
                static_cast<unsigned long long>(server.connections_accepted()),
                static_cast<unsigned long long>(server.messages_echoed()));
  } catch (const std::exception &e) {
    std::fprintf(stderr, "wsc-bench-echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
