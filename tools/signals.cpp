#include "signals.hpp"

#include <pthread.h>
#include <signal.h>

namespace wsc::cli {
namespace {

sigset_t termination_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_termination_signals() {
  sigset_t set = termination_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_termination_signal() {
  sigset_t set = termination_set();
  int signo = 0;
  while (sigwait(&set, &signo) != 0) {
  }
  return signo;
}

SignalWatcher::SignalWatcher(std::function<void(int, int)> on_signal)
    : on_signal_(std::move(on_signal)) {
  thread_ = std::thread([this] {
    int n = 0;
    for (;;) {
      int signo = wait_for_termination_signal();
      // The destructor wakes us with a directed SIGTERM; that one is not the user's.
      if (stopping_.load()) return;
      on_signal_(signo, ++n);
    }
  });
}

SignalWatcher::~SignalWatcher() {
  stopping_.store(true);
  // Directed at the watcher thread only, and blocked everywhere, so it cannot end the process.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

}  // namespace wsc::cli
