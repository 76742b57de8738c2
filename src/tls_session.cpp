#include "tls_session.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include "tls_context.hpp"

namespace wsc::detail {

namespace {

bool is_ip_address(const std::string &name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// Kept capacity of the unread-ciphertext copy beyond which it is freed once
// empty: it normally holds nothing between reads (OpenSSL takes partial
// records into its own buffer), a whole lws read only while reading pauses.
constexpr size_t kKeepInCapacity = 4 * 1024;

struct BioMethodFree {
  void operator()(BIO_METHOD *method) const { BIO_meth_free(method); }
};

}  // namespace

// One method for both BIOs of every session: reads take from the session's
// input, writes append to its output.
BIO_METHOD *TlsSession::bio_method() {
  static const std::unique_ptr<BIO_METHOD, BioMethodFree> method = [] {
    std::unique_ptr<BIO_METHOD, BioMethodFree> m(
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wsc TLS session"));
    if (m && (BIO_meth_set_read(m.get(), &TlsSession::bio_read) != 1 ||
              BIO_meth_set_write(m.get(), &TlsSession::bio_write) != 1 ||
              BIO_meth_set_ctrl(m.get(), &TlsSession::bio_ctrl) != 1)) {
      m.reset();
    }
    return m;
  }();
  return method.get();
}

int TlsSession::bio_read(BIO *bio, char *out, int len) {
  auto *self = static_cast<TlsSession *>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  size_t want = len > 0 ? static_cast<size_t>(len) : 0, got = 0;
  const size_t kept = std::min(want, self->kept_in_.size() - self->kept_pos_);
  if (kept) {
    std::memcpy(out, self->kept_in_.data() + self->kept_pos_, kept);
    self->kept_pos_ += kept;
    got = kept;
  }
  const size_t borrowed = std::min(want - got, self->borrowed_len_);
  if (borrowed) {
    std::memcpy(out + got, self->borrowed_, borrowed);
    self->borrowed_ += borrowed;
    self->borrowed_len_ -= borrowed;
    got += borrowed;
  }
  if (got == 0) {
    BIO_set_retry_read(bio);  // WANT_READ: more comes with the next read
    return -1;
  }
  return static_cast<int>(got);
}

int TlsSession::bio_write(BIO *bio, const char *in, int len) {
  auto *self = static_cast<TlsSession *>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  try {
    self->out_.append(in, static_cast<size_t>(len));
  } catch (const std::bad_alloc &) {
    return -1;  // no exception into OpenSSL: SSL_write fails instead
  }
  return len;
}

long TlsSession::bio_ctrl(BIO *bio, int cmd, long, void *) {
  auto *self = static_cast<TlsSession *>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // the output goes out when the connection flushes it
    case BIO_CTRL_PENDING:
      return static_cast<long>(self->unread());
    case BIO_CTRL_WPENDING:
      return static_cast<long>(self->out_.size());
    default:
      return 0;
  }
}

TlsSession::TlsSession(SSL_CTX *ctx, const std::string &peer_name, bool verify) {
  ERR_clear_error();
  ssl_.reset(SSL_new(ctx));
  BIO_METHOD *method = bio_method();
  BIO *in = method ? BIO_new(method) : nullptr;
  BIO *out = method ? BIO_new(method) : nullptr;
  if (!ssl_ || !in || !out) {
    BIO_free(in);
    BIO_free(out);
    error_ = "SSL: cannot create a TLS session: " + openssl_error_text();
    return;
  }
  for (BIO *bio : {in, out}) {
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
  }
  SSL_set_bio(ssl_.get(), in, out);  // ssl_ owns both
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
  if (borrowed_len_) keep_unread_ciphertext();  // a loan not given back: copy it now
  borrowed_ = in;
  borrowed_len_ = len;
}

void TlsSession::keep_unread_ciphertext() {
  if (kept_pos_ == kept_in_.size()) {
    kept_in_.clear();
    kept_pos_ = 0;
    if (kept_in_.capacity() > kKeepInCapacity) std::string().swap(kept_in_);
  }
  if (borrowed_len_) kept_in_.append(reinterpret_cast<const char *>(borrowed_), borrowed_len_);
  borrowed_ = nullptr;
  borrowed_len_ = 0;
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

}  // namespace wsc::detail
