#include "peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace wsc::testing {
namespace {

constexpr size_t kStderrTailBytes = 4096;
constexpr auto kTermGrace = std::chrono::seconds(2);

void close_fd(int& fd) {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

void make_pipe(int fds[2]) {
  // O_CLOEXEC: no other child (another peer, a forking library) may inherit
  // these ends, or EOF would never arrive.
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("PeerProcess: pipe2: ") + std::strerror(errno));
  }
}

void write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

PeerProcess::PeerProcess(std::vector<std::string> argv, std::chrono::milliseconds startup_timeout)
    : argv_(std::move(argv)) {
  if (argv_.empty()) throw std::invalid_argument("PeerProcess: empty argv");

  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  try {
    make_pipe(in);
    make_pipe(out);
    make_pipe(err);
    make_pipe(wake_fds_);
  } catch (...) {
    for (int* p : {in, out, err, wake_fds_}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
    throw;
  }

  // Everything the child needs is prepared before fork: in a multi-threaded
  // parent the child may only make async-signal-safe calls (no malloc).
  std::vector<char*> cargv;
  for (auto& a : argv_) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);  // parent died before prctl took effect
    // Signal state is inherited across exec: undo anything the test process
    // (or lws) set, so SIGTERM/SIGPIPE behave normally in the peer.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    // Inherited sockets (say, a client connection under test) would stay open
    // in the peer and hide closes from the test.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    }
    ::execvp(cargv[0], cargv.data());
    const char* msg = "PeerProcess: execvp failed: ";
    write_all(2, msg, std::strlen(msg));
    write_all(2, cargv[0], std::strlen(cargv[0]));
    write_all(2, "\n", 1);
    ::_exit(127);
  }

  const int fork_errno = errno;
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  if (pid_ < 0) {
    cleanup();
    throw std::runtime_error(std::string("PeerProcess: fork: ") + std::strerror(fork_errno));
  }

  reader_ = std::thread([this] { reader_loop(); });

  std::string failure;
  {
    std::unique_lock<std::mutex> lock(mu_);
    bool ready = cv_.wait_for(lock, startup_timeout, [&] { return port_ > 0 || stdout_eof_; });
    if (port_ <= 0) failure = ready ? "exited (closed stdout)" : "timed out";
  }
  if (failure.empty()) return;

  if (failure == "timed out") {
    stop_child();
  } else {
    // It is on its way out; give it a moment so the status is the real one.
    for (int i = 0; i < 100 && !reap(false); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop_child();
  }
  wait_output_eof();
  std::string msg = "PeerProcess: '" + argv_[0] + "' " + failure;
  if (failure == "timed out") msg += " after " + std::to_string(startup_timeout.count()) + " ms";
  msg += " before printing PORT (child " + exit_status_ + "); stderr: " + stderr_tail();
  cleanup();
  throw std::runtime_error(msg);
}

PeerProcess::~PeerProcess() { cleanup(); }

void PeerProcess::kill_now() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

std::string PeerProcess::stderr_tail() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stderr_tail_;
}

bool PeerProcess::reap(bool block) {
  if (pid_ <= 0 || reaped_) return true;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (r == pid_) break;
    if (r == 0) return false;
    if (r < 0 && errno == EINTR) continue;
    break;  // ECHILD: someone else reaped it (e.g. SIGCHLD ignored); it is gone
  }
  reaped_ = true;
  exit_status_ = describe_status(status);
  return true;
}

void PeerProcess::stop_child() {
  if (pid_ <= 0 || reaped_) return;
  close_fd(stdin_fd_);  // lets stdin-watching peers shut down cleanly
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kTermGrace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap(false)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  reap(true);
}

void PeerProcess::wait_output_eof() {
  // Once the child is reaped its last output is already in the pipes; read it
  // all (a shutdown traceback is often the useful part) unless a grandchild
  // keeps the pipes open.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stdout_eof_ && stderr_eof_; });
}

void PeerProcess::cleanup() {
  stop_child();
  if (reader_.joinable()) {
    wait_output_eof();
    // The reader may be blocked in poll on pipes a grandchild still holds.
    write_all(wake_fds_[1], "x", 1);
    reader_.join();
  }
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  close_fd(wake_fds_[0]);
  close_fd(wake_fds_[1]);
}

void PeerProcess::reader_loop() {
  char buf[4096];
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    pollfd fds[3] = {{out_open ? stdout_fd_ : -1, POLLIN, 0},
                     {err_open ? stderr_fd_ : -1, POLLIN, 0},
                     {wake_fds_[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0 && i == 1) write_all(2, buf, static_cast<size_t>(n));  // not under the lock
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        (i == 0 ? stdout_eof_ : stderr_eof_) = true;
        cv_.notify_all();
        continue;
      }
      if (i == 1) {
        stderr_tail_.append(buf, static_cast<size_t>(n));
        if (stderr_tail_.size() > kStderrTailBytes) {
          stderr_tail_.erase(0, stderr_tail_.size() - kStderrTailBytes);
        }
        continue;
      }
      if (port_ > 0) continue;  // stdout after the PORT line is not ours to keep
      stdout_line_.append(buf, static_cast<size_t>(n));
      size_t nl;
      while (port_ <= 0 && (nl = stdout_line_.find('\n')) != std::string::npos) {
        std::string line = stdout_line_.substr(0, nl);
        stdout_line_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.compare(0, 5, "PORT ") == 0) {
          char* end = nullptr;
          long p = std::strtol(line.c_str() + 5, &end, 10);
          if (end != line.c_str() + 5 && *end == '\0' && p > 0 && p < 65536) {
            port_ = static_cast<int>(p);
            cv_.notify_all();
          }
        }
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  stdout_eof_ = stderr_eof_ = true;
  cv_.notify_all();
}

std::string source_dir() {
  const char* dir = std::getenv("WSC_SOURCE_DIR");
  if (dir == nullptr || *dir == '\0') {
    throw std::runtime_error(
        "WSC_SOURCE_DIR is not set: meson test sets it; when running a test binary by hand, "
        "export WSC_SOURCE_DIR=<repository root>");
  }
  return dir;
}

}  // namespace wsc::testing
