// TLS sessions kept by a loop so that reconnects and repeated connects to the
// same server resume instead of doing a full handshake (one round trip and
// the certificate checks saved; TLS 1.3 tickets, TLS 1.2 tickets and ids).
//
// Keyed by everything that must match for a session to be reused safely:
// server address, port, the name verified, whether it was verified, and the
// TLS profile (tls_context.hpp). Loop thread only.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <string>

namespace wsc::detail {

class TlsSessionCache {
 public:
  // Borrowed; valid until the next store() for the key. NULL if none.
  SSL_SESSION *find(const std::string &key) const;
  // Takes ownership. The newest session for a key replaces the older one.
  void store(const std::string &key, SSL_SESSION *session);

 private:
  struct SessionFree {
    void operator()(SSL_SESSION *s) const { SSL_SESSION_free(s); }
  };
  // Bounded: a process talking to many servers keeps the latest ones only.
  static constexpr size_t kMaxEntries = 1024;
  std::map<std::string, std::unique_ptr<SSL_SESSION, SessionFree>> sessions_;
};

}  // namespace wsc::detail
