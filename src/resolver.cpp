#include "resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace wsc::detail {

struct Resolver::Shared {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  bool stop = false;
  bool worker_running = false;
};

ResolveResult resolve_now(const std::string &host, int port) {
  ResolveResult result;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo *list = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    result.error = "cannot resolve host '" + host + "': " + gai_strerror(rc);
    return result;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(list, &freeaddrinfo);
  for (addrinfo *ai = list; ai; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void *where =
        ai->ai_family == AF_INET6
            ? static_cast<const void *>(&reinterpret_cast<sockaddr_in6 *>(ai->ai_addr)->sin6_addr)
            : static_cast<const void *>(&reinterpret_cast<sockaddr_in *>(ai->ai_addr)->sin_addr);
    if (!inet_ntop(ai->ai_family, where, text, sizeof text)) continue;
    std::string address(text);
    bool seen = false;
    for (const auto &a : result.addresses) seen = seen || a == address;
    if (!seen) result.addresses.push_back(address);
  }
  if (result.addresses.empty()) result.error = "no address found for host '" + host + "'";
  return result;
}

Resolver::Resolver() : shared_(std::make_shared<Shared>()) {}

Resolver::~Resolver() {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  shared_->stop = true;
  shared_->jobs.clear();
  shared_->wake.notify_all();
}

void Resolver::resolve(std::string host, int port, Done done) {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  shared_->jobs.push_back(
      [host = std::move(host), port, done = std::move(done)] { done(resolve_now(host, port)); });
  shared_->wake.notify_one();
  if (shared_->worker_running) return;
  shared_->worker_running = true;
  // Detached on purpose: a getaddrinfo call cannot be interrupted, and
  // closing a loop must not wait for a slow DNS server. The worker owns a
  // reference to the shared state, so it outlives the Resolver safely.
  std::thread([shared = shared_] {
    std::unique_lock<std::mutex> lock(shared->mutex);
    for (;;) {
      shared->wake.wait(lock, [&] { return shared->stop || !shared->jobs.empty(); });
      if (shared->stop) break;
      auto job = std::move(shared->jobs.front());
      shared->jobs.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
    shared->worker_running = false;
  }).detach();
}

}  // namespace wsc::detail
