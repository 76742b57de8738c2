#include "connect_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace wsc::detail {
namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string connect_failure_text(const std::string &address, int port,
                                 std::chrono::milliseconds budget) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *found = nullptr;
  if (getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return "";
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  FdCloser sock{::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         found->ai_protocol)};
  if (sock.fd < 0) return "";
  if (::connect(sock.fd, found->ai_addr, found->ai_addrlen) == 0) return "";
  if (errno != EINPROGRESS) return std::strerror(errno);
  pollfd p{sock.fd, POLLOUT, 0};
  if (::poll(&p, 1, static_cast<int>(budget.count())) != 1) return "";
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(sock.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0) return "";
  return std::strerror(err);
}

}  // namespace wsc::detail
