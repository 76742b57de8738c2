#include "tls_session.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls_context.hpp"

namespace wsc::detail {

namespace {

bool is_ip_address(const std::string &name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

TlsSession::TlsSession(SSL_CTX *ctx, const std::string &peer_name, bool verify) {
  ERR_clear_error();
  ssl_.reset(SSL_new(ctx));
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !in_ || !out_) {
    BIO_free(in_);
    BIO_free(out_);
    in_ = out_ = nullptr;
    error_ = "SSL: cannot create a TLS session: " + openssl_error_text();
    return;
  }
  SSL_set_bio(ssl_.get(), in_, out_);
  SSL_set_connect_state(ssl_.get());
  SSL_set_app_data(ssl_.get(), this);
  const bool ip = is_ip_address(peer_name);
  // RFC 6066 §3: SNI carries host names only.
  if (!ip && SSL_set_tlsext_host_name(ssl_.get(), peer_name.c_str()) != 1) {
    error_ = "SSL: cannot set the server name: " + openssl_error_text();
    return;
  }
  if (!verify) {
    SSL_set_verify(ssl_.get(), SSL_VERIFY_NONE, nullptr);
    return;
  }
  SSL_set_verify(ssl_.get(), SSL_VERIFY_PEER, nullptr);
  X509_VERIFY_PARAM *param = SSL_get0_param(ssl_.get());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, peer_name.c_str())
                     : X509_VERIFY_PARAM_set1_host(param, peer_name.c_str(), peer_name.size());
  if (set != 1) error_ = "SSL: cannot set the name to verify: " + openssl_error_text();
}

bool TlsSession::failed(int ret, const char *what) {
  const int code = SSL_get_error(ssl_.get(), ret);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return false;
  if (code == SSL_ERROR_ZERO_RETURN) {
    error_.clear();  // close_notify: an orderly end, not a failure
    return true;
  }
  const std::string why = openssl_error_text();
  error_ = std::string("SSL ") + what + " failed" + (why.empty() ? "" : ": " + why);
  return true;
}

void TlsSession::put_ciphertext(const uint8_t *in, size_t len) {
  // A memory BIO takes everything (it grows); lws hands at most its read
  // buffer at a time.
  if (len) BIO_write(in_, in, static_cast<int>(len));
}

TlsSession::Progress TlsSession::handshake() {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) return Progress::Done;
  return failed(ret, "handshake") ? Progress::Failed : Progress::Again;
}

long TlsSession::read(uint8_t *out, size_t cap) {
  ERR_clear_error();
  const int ret = SSL_read(ssl_.get(), out, static_cast<int>(cap));
  if (ret > 0) return ret;
  return failed(ret, "read") ? -1 : 0;
}

bool TlsSession::write(const uint8_t *data, size_t len) {
  ERR_clear_error();
  while (len) {
    const int ret = SSL_write(ssl_.get(), data, static_cast<int>(len));
    if (ret <= 0) {
      failed(ret, "write");
      if (error_.empty()) error_ = "SSL write failed: the TLS session has ended";
      return false;
    }
    data += ret;
    len -= static_cast<size_t>(ret);
  }
  return true;
}

void TlsSession::resume_from(SSL_SESSION *session) {
  // A session the server no longer accepts just means a full handshake.
  if (session) SSL_set_session(ssl_.get(), session);
}

int TlsSession::take_new_session(SSL *ssl, SSL_SESSION *session) {
  auto *self = static_cast<TlsSession *>(SSL_get_app_data(ssl));
  if (!self || !self->session_sink_) return 0;  // OpenSSL frees it
  self->session_sink_(session);
  return 1;  // the sink owns it
}

void TlsSession::shutdown() {
  ERR_clear_error();
  // Only our half: the connection is being dropped, no answer is awaited.
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

size_t TlsSession::pending_ciphertext() const { return BIO_ctrl_pending(out_); }

size_t TlsSession::take_ciphertext(uint8_t *out, size_t cap) {
  const int n = BIO_read(out_, out, static_cast<int>(cap));
  return n > 0 ? static_cast<size_t>(n) : 0;
}

}  // namespace wsc::detail
