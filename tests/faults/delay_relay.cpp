#include "delay_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace wsc::testing {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void close_fd(int &fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

DelayRelay::DelayRelay(int target_port, std::chrono::milliseconds delay,
                       std::chrono::milliseconds jitter, uint32_t seed)
    : target_port_(target_port), delay_(delay), jitter_(jitter), rng_(seed) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr *>(&a), &len) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    close_fd(listener_);
    throw std::runtime_error("DelayRelay: cannot listen: " + why);
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

DelayRelay::~DelayRelay() {
  const char stop = 1;
  (void)::write(wake_[1], &stop, 1);
  thread_.join();
  for (auto &p : pairs_) {
    close_fd(p->client);
    close_fd(p->server);
  }
  close_fd(listener_);
  close_fd(wake_[0]);
  close_fd(wake_[1]);
}

DelayRelay::Clock::time_point DelayRelay::release_time() {
  std::uniform_int_distribution<long> spread(-jitter_.count(), jitter_.count());
  return Clock::now() + delay_ + std::chrono::milliseconds(spread(rng_));
}

void DelayRelay::accept_one() {
  int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(target_port_);
  // A blocking connect on loopback answers at once (accepted or refused).
  if (server < 0 || ::connect(server, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
    close_fd(server);
    close_fd(client);
    return;
  }
  int one = 1;
  for (int fd : {client, server}) {
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_nonblocking(fd);
  }
  auto p = std::make_unique<Pair>();
  p->client = client;
  p->server = server;
  p->up.from = p->down.to = client;
  p->up.to = p->down.from = server;
  pairs_.push_back(std::move(p));
}

void DelayRelay::read_side(Pair &p, Direction &d) {
  char buf[65536];
  const ssize_t n = ::read(d.from, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0) {
    p.dead = true;  // reset: drop both sides at once, as a broken path would
    return;
  }
  // Jitter never reorders: a chunk leaves no earlier than the one before it.
  const Clock::time_point due = std::max(release_time(), d.last_due);
  d.last_due = due;
  d.queue.push_back(Chunk{due, std::string(buf, static_cast<size_t>(n))});
  if (n == 0) d.eof = true;
}

void DelayRelay::write_side(Pair &p, Direction &d, Clock::time_point now) {
  while (!d.queue.empty() && d.queue.front().due <= now) {
    Chunk &c = d.queue.front();
    if (c.bytes.empty()) {
      ::shutdown(d.to, SHUT_WR);
    } else {
      const ssize_t n = ::send(d.to, c.bytes.data() + d.written, c.bytes.size() - d.written,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (n < 0) {
        p.dead = true;
        return;
      }
      d.written += static_cast<size_t>(n);
      if (d.written < c.bytes.size()) return;
    }
    d.written = 0;
    d.queue.pop_front();
  }
}

void DelayRelay::run() {
  for (;;) {
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    const Clock::time_point now = Clock::now();
    Clock::time_point next = now + std::chrono::seconds(1);
    for (auto &p : pairs_) {
      for (Direction *d : {&p->up, &p->down}) {
        short events = d->eof ? 0 : POLLIN;
        fds.push_back({d->from, events, 0});
        if (!d->queue.empty()) {
          if (d->queue.front().due <= now) fds.push_back({d->to, POLLOUT, 0});
          next = std::min(next, d->queue.front().due);
        }
      }
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - now);
    if (::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(0, wait.count()))) < 0 &&
        errno != EINTR) {
      return;
    }
    if (fds[0].revents) return;
    if (fds[1].revents & POLLIN) accept_one();
    for (size_t i = 2; i < fds.size(); ++i) {
      if (!fds[i].revents || !(fds[i].events & POLLIN)) continue;
      for (auto &p : pairs_) {
        for (Direction *d : {&p->up, &p->down}) {
          if (d->from == fds[i].fd && !p->dead) read_side(*p, *d);
        }
      }
    }
    const Clock::time_point after = Clock::now();
    for (auto &p : pairs_) {
      for (Direction *d : {&p->up, &p->down}) {
        if (!p->dead) write_side(*p, *d, after);
      }
    }
    // A pair ends when it broke, or when both FINs have been passed on.
    for (auto &p : pairs_) {
      const bool done = p->up.eof && p->down.eof && p->up.queue.empty() && p->down.queue.empty();
      if (p->dead || done) {
        close_fd(p->client);
        close_fd(p->server);
      }
    }
    pairs_.erase(
        std::remove_if(pairs_.begin(), pairs_.end(), [](const auto &p) { return p->client < 0; }),
        pairs_.end());
  }
}

}  // namespace wsc::testing
