// SIGINT/SIGTERM handling without signal handlers: main() blocks both signals before any
// thread exists (so every thread, including the library's service threads, inherits the
// mask), and a watcher thread takes them with sigwait(). Callbacks therefore run in a normal
// thread and may lock mutexes, print, or call Client::close.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace wsc::cli {

// Call first thing in main(), before any thread is started.
void block_termination_signals();

// Waits in the calling thread for SIGINT or SIGTERM; returns the signal number.
int wait_for_termination_signal();

class SignalWatcher {
 public:
  // on_signal(signo, n): n counts signals received so far (1 = first).
  explicit SignalWatcher(std::function<void(int signo, int n)> on_signal);
  ~SignalWatcher();  // stops and joins the watcher thread
  SignalWatcher(const SignalWatcher &) = delete;
  SignalWatcher &operator=(const SignalWatcher &) = delete;

 private:
  std::function<void(int, int)> on_signal_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace wsc::cli
