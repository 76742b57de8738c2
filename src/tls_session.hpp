// TLS for the connections on which wsc speaks WebSocket itself.
//
// lws 4.1.6 cannot run TLS on a raw client connection: with method "RAW"
// it starts the TLS handshake before the socket exists (core-net/connect.c,
// "tls start fail", errno EBADF). So lws carries the ciphertext and OpenSSL
// runs over two BIOs of wsc's own here, with the SSL_CTX wsc builds for the
// profile (tls_context.hpp): the same CAs, client certificate, ciphers,
// groups and minimum version as before.
//
// Not OpenSSL's memory BIOs: each BIO_write into one clears the space and
// then copies into it, and BIO_read copies out again (a third of the copies
// of a 1 MiB wss message, docs/PERFORMANCE.md). The input BIO reads records
// straight from lws's read buffer (keeping only what is left unread when the
// read ends); the output BIO appends sealed records to one string that goes
// to lws as it is.
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

  // Ciphertext that arrived from the network, borrowed, not copied: until
  // keep_unread_ciphertext() (which every caller must reach before `in`
  // goes away; CiphertextLoan does it) OpenSSL reads from `in` itself.
  void put_ciphertext(const uint8_t *in, size_t len);
  // Copies what OpenSSL has not read of the borrowed bytes (while reading
  // is paused, or a handshake step ended mid-read).
  void keep_unread_ciphertext();

  enum class Progress { Done, Again, Failed };
  Progress handshake();

  // Plaintext decrypted from what arrived: > 0 bytes, 0 when more ciphertext
  // is needed, -1 when the peer ended TLS or it failed (error() then says
  // why; empty for a close_notify).
  long read(uint8_t *out, size_t cap);
  // Encrypts all of it into the outgoing ciphertext; false on failure.
  bool write(const uint8_t *data, size_t len);

  // Outgoing ciphertext, to be handed to lws and then cleared. The string
  // may be swapped for one with capacity to spare before a large write, and
  // its capacity taken back after it (the loop's BufferPool keeps it).
  std::string &ciphertext() { return out_; }

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
  static BIO_METHOD *bio_method();  // null if OpenSSL could not make it
  static int bio_read(BIO *bio, char *out, int len);
  static int bio_write(BIO *bio, const char *in, int len);
  static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr);
  size_t unread() const { return (kept_in_.size() - kept_pos_) + borrowed_len_; }

  // Declared before ssl_, so the BIOs (freed with it) never outlive them.
  std::string kept_in_;  // ciphertext copied from earlier reads, from kept_pos_
  size_t kept_pos_ = 0;
  const uint8_t *borrowed_ = nullptr;  // the current read's bytes (put_ciphertext)
  size_t borrowed_len_ = 0;
  std::string out_;  // sealed records on their way to lws
  std::unique_ptr<SSL, SslFree> ssl_;
  std::string error_;
  std::function<void(SSL_SESSION *)> session_sink_;
};

// Lends one read's ciphertext to a TlsSession for a scope: whatever OpenSSL
// did not read of it is copied when the scope ends, on every path.
class CiphertextLoan {
 public:
  CiphertextLoan(TlsSession &tls, const uint8_t *in, size_t len) : tls_(tls) {
    tls_.put_ciphertext(in, len);
  }
  ~CiphertextLoan() { tls_.keep_unread_ciphertext(); }
  CiphertextLoan(const CiphertextLoan &) = delete;
  CiphertextLoan &operator=(const CiphertextLoan &) = delete;

 private:
  TlsSession &tls_;
};

}  // namespace wsc::detail
