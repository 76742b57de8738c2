// Test helper: runs a peer server (echo server, proxy, ...) as a child process
// for the lifetime of a GoogleTest fixture.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wsc::testing {

// Starts `argv` (looked up on PATH like execvp) and waits until it prints a
// line "PORT <n>" on stdout. The destructor stops it: it closes the child's
// stdin, sends SIGTERM, and after 2 s SIGKILL, then reaps it.
//
// The child cannot outlive the test: it gets PR_SET_PDEATHSIG(SIGTERM) (which
// fires when the *thread* that constructed the PeerProcess exits, so construct
// it on the test's main thread), and its stdin is a pipe whose write end only
// this object holds, so a peer that exits on stdin EOF (py_echo_server.py does)
// also goes away if the test process is SIGKILLed.
//
// The child's stdout after the PORT line is read and discarded, and its stderr
// is copied to this process's stderr (so a peer's traceback shows up in the
// meson test log); neither can fill up and block the peer.
//
// Use from one thread. Not copyable or movable (a reader thread points at it).
class PeerProcess {
 public:
  // Throws std::runtime_error, including the end of the child's stderr, if
  // the child cannot be started, exits, or takes longer than
  // `startup_timeout` to print its port.
  explicit PeerProcess(std::vector<std::string> argv,
                       std::chrono::milliseconds startup_timeout = std::chrono::seconds(10));
  ~PeerProcess();

  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // SIGKILL and reap now, for tests of a server that crashes mid-connection.
  // The port is then closed (connects are refused). Idempotent.
  void kill_now();

  // Last few KiB the child wrote to stderr (for diagnostics in assertions).
  std::string stderr_tail() const;

 private:
  void reader_loop();
  void stop_child();  // SIGTERM, grace period, SIGKILL, reap
  void cleanup();     // stop_child + stop the reader + close fds
  bool reap(bool block);
  void wait_output_eof();

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string exit_status_ = "still running";  // set when reaped
  int port_ = -1;
  int stdin_fd_ = -1;   // write end of the child's stdin
  int stdout_fd_ = -1;  // read ends of the child's stdout and stderr
  int stderr_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // tells the reader thread to stop

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string stdout_line_;  // partial line while waiting for PORT
  std::string stderr_tail_;
  bool stdout_eof_ = false;
  bool stderr_eof_ = false;
  std::thread reader_;
};

// The repository root, from the WSC_SOURCE_DIR environment variable (the
// meson test() definitions set it). Throws std::runtime_error if it is unset,
// so a test run by hand fails with a clear message instead of missing files.
std::string source_dir();

}  // namespace wsc::testing
