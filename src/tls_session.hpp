// TLS for the connections on which wsc speaks WebSocket itself.
//
// lws 4.1.6 cannot run TLS on a raw client connection: with method "RAW"
// it starts the TLS handshake before the socket exists (core-net/connect.c,
// "tls start fail", errno EBADF). So lws carries the ciphertext and OpenSSL
// runs over a pair of memory BIOs here, with the SSL_CTX wsc builds for the
// profile (tls_context.hpp): the same CAs, client certificate, ciphers,
// groups and minimum version as before.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace wsc::detail {

class TlsSession {
 public:
  // `peer_name` goes into SNI (unless it is an IP address) and, when
  // `verify` is set, is what the certificate must match (name or address).
  TlsSession(SSL_CTX *ctx, const std::string &peer_name, bool verify);
  // False when OpenSSL could not set the session up; error() says why.
  bool ok() const { return ssl_ != nullptr && error_.empty(); }

  // Ciphertext that arrived from the network.
  void put_ciphertext(const uint8_t *in, size_t len);

  enum class Progress { Done, Again, Failed };
  Progress handshake();

  // Plaintext decrypted from what arrived: > 0 bytes, 0 when more ciphertext
  // is needed, -1 when the peer ended TLS or it failed (error() then says
  // why; empty for a close_notify).
  long read(uint8_t *out, size_t cap);
  // Encrypts all of it into the outgoing ciphertext; false on failure.
  bool write(const uint8_t *data, size_t len);

  // Outgoing ciphertext, to be handed to lws.
  size_t pending_ciphertext() const;
  size_t take_ciphertext(uint8_t *out, size_t cap);

  // Resumption: offer `session` (a borrowed one from an earlier connection)
  // in the handshake; `sink` receives each new session the server issues
  // (TLS 1.3 tickets arrive after the handshake, while reading), owning it.
  void resume_from(SSL_SESSION *session);
  void on_new_session(std::function<void(SSL_SESSION *)> sink) { session_sink_ = std::move(sink); }
  bool resumed() const { return SSL_session_reused(ssl_.get()) == 1; }
  // A close_notify alert into the outgoing ciphertext: a clean end of TLS.
  void shutdown();
  // The SSL_CTX new-session callback (tls_context.cpp installs it).
  static int take_new_session(SSL *ssl, SSL_SESSION *session);

  SSL *ssl() const { return ssl_.get(); }
  long verify_result() const { return SSL_get_verify_result(ssl_.get()); }
  const std::string &error() const { return error_; }

 private:
  struct SslFree {
    void operator()(SSL *ssl) const { SSL_free(ssl); }
  };
  bool failed(int ret, const char *what);

  std::unique_ptr<SSL, SslFree> ssl_;
  BIO *in_ = nullptr;   // owned by ssl_
  BIO *out_ = nullptr;  // owned by ssl_
  std::string error_;
  std::function<void(SSL_SESSION *)> session_sink_;
};

}  // namespace wsc::detail
