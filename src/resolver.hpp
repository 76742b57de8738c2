// Host name resolution off the loop thread: lws 4.1.6 as built by Debian
// resolves with a blocking getaddrinfo on its service thread (and gives no
// callback when it fails), so wsc resolves names itself and hands lws a
// numeric address.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace wsc::detail {

struct ResolveResult {
  std::vector<std::string> addresses;  // numeric, in getaddrinfo order
  std::string error;                   // set when addresses is empty
};

class Resolver {
 public:
  using Done = std::function<void(ResolveResult)>;
  Resolver();
  // Returns at once; a lookup in progress finishes on its detached worker.
  ~Resolver();
  Resolver(const Resolver &) = delete;
  Resolver &operator=(const Resolver &) = delete;

  // `done` runs on the resolver's worker thread.
  void resolve(std::string host, int port, Done done);

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

ResolveResult resolve_now(const std::string &host, int port);

}  // namespace wsc::detail
