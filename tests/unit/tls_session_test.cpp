// TlsSession's own BIOs against an in-memory OpenSSL server: ciphertext
// lent in pieces of every size (records split anywhere, many records in one
// piece), reads that stop early and leave borrowed bytes unread (copied when
// the loan ends), and sealed records taken from the output string.
#include "tls_session.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "../support/numbered_bytes.hpp"

namespace wsc::detail {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509 *x) const { X509_free(x); }
};
struct CtxFree {
  void operator()(SSL_CTX *c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL *s) const { SSL_free(s); }
};

// The next piece size: 1, 2, 5 and 13 bytes (records split inside their
// header), around a record (16 KiB + 22), and several records at once.
size_t piece_size(size_t i) {
  static const size_t sizes[] = {1, 2, 5, 13, 100, 16405, 16406, 16407, 40000, 3, 70000, 16384};
  return sizes[i % (sizeof sizes / sizeof sizes[0])];
}

class TlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    ASSERT_TRUE(key);
    std::unique_ptr<X509, X509Free> cert(X509_new());
    ASSERT_TRUE(cert);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME *name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);

    server_ctx_.reset(SSL_CTX_new(TLS_server_method()));
    ASSERT_TRUE(server_ctx_);
    ASSERT_EQ(SSL_CTX_use_certificate(server_ctx_.get(), cert.get()), 1);
    ASSERT_EQ(SSL_CTX_use_PrivateKey(server_ctx_.get(), key.get()), 1);
    server_.reset(SSL_new(server_ctx_.get()));
    ASSERT_TRUE(server_);
    server_in_ = BIO_new(BIO_s_mem());
    server_out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(server_.get(), server_in_, server_out_);
    SSL_set_accept_state(server_.get());

    client_ctx_.reset(SSL_CTX_new(TLS_client_method()));
    ASSERT_TRUE(client_ctx_);
    client_ = std::make_unique<TlsSession>(client_ctx_.get(), "localhost", false);
    ASSERT_TRUE(client_->ok()) << client_->error();
  }

  // Client to server: everything the client sealed.
  void client_to_server() {
    std::string &out = client_->ciphertext();
    if (!out.empty()) BIO_write(server_in_, out.data(), static_cast<int>(out.size()));
    out.clear();
  }

  std::string server_output() {
    std::string out(BIO_ctrl_pending(server_out_), '\0');
    if (!out.empty()) BIO_read(server_out_, out.data(), static_cast<int>(out.size()));
    return out;
  }

  // Until the client is done; what the server sends last (its tickets)
  // stays with the client, unread, for the first read.
  void handshake() {
    for (int round = 0; round < 10; ++round) {
      const auto progress = client_->handshake();
      ASSERT_NE(progress, TlsSession::Progress::Failed) << client_->error();
      client_to_server();
      SSL_do_handshake(server_.get());
      const std::string reply = server_output();
      if (!reply.empty()) {
        CiphertextLoan loan(*client_, reinterpret_cast<const uint8_t *>(reply.data()),
                            reply.size());
      }
      if (progress == TlsSession::Progress::Done) return;
    }
    FAIL() << "the handshake did not finish";
  }

  std::unique_ptr<SSL_CTX, CtxFree> server_ctx_, client_ctx_;
  std::unique_ptr<SSL, SslFree> server_;
  BIO *server_in_ = nullptr;   // owned by server_
  BIO *server_out_ = nullptr;  // owned by server_
  std::unique_ptr<TlsSession> client_;
};

TEST_F(TlsSessionTest, ALargeMessageLentInPiecesOfEverySizeDecryptsIntact) {
  handshake();
  const std::string message = testing::numbered_bytes((1u << 20) + 7);
  ASSERT_EQ(SSL_write(server_.get(), message.data(), static_cast<int>(message.size())),
            static_cast<int>(message.size()));
  const std::string wire = server_output();
  std::string got;
  uint8_t buf[5000];
  size_t at = 0;
  for (size_t i = 0; at < wire.size(); ++i) {
    const size_t n = std::min(piece_size(i), wire.size() - at);
    // The piece only lives for this scope, as lws's read buffer does.
    std::vector<uint8_t> piece(wire.begin() + at, wire.begin() + at + n);
    at += n;
    {
      CiphertextLoan loan(*client_, piece.data(), piece.size());
      // Every third piece is read only in part: the rest stays borrowed and
      // must be copied when the loan ends (reading paused).
      const int reads = i % 3 == 2 ? 1 : 1 << 20;
      for (int r = 0; r < reads; ++r) {
        const long got_now = client_->read(buf, sizeof buf);
        ASSERT_GE(got_now, 0) << client_->error();
        if (got_now == 0) break;
        got.append(reinterpret_cast<const char *>(buf), static_cast<size_t>(got_now));
      }
    }                                             // the loan ends: what was not read is copied
    std::fill(piece.begin(), piece.end(), 0xAA);  // so what was kept must be a copy
  }
  // What was left unread comes from the kept copy, with nothing lent.
  for (long n; (n = client_->read(buf, sizeof buf)) > 0;) {
    got.append(reinterpret_cast<const char *>(buf), static_cast<size_t>(n));
  }
  ASSERT_EQ(got.size(), message.size());
  EXPECT_TRUE(got == message);
}

TEST_F(TlsSessionTest, SealedRecordsGoToTheOutputStringAndDecryptIntact) {
  handshake();
  client_to_server();
  const std::string message = testing::numbered_bytes(300000);
  ASSERT_TRUE(client_->write(reinterpret_cast<const uint8_t *>(message.data()), message.size()));
  // 19 records of at most 16 KiB, each with its 22 bytes of framing.
  EXPECT_GE(client_->ciphertext().size(), message.size() + 19 * 17);
  client_to_server();
  EXPECT_TRUE(client_->ciphertext().empty());
  std::string got(message.size() + 1, '\0');
  size_t have = 0;
  for (int n; have < got.size() && (n = SSL_read(server_.get(), got.data() + have,
                                                 static_cast<int>(got.size() - have))) > 0;) {
    have += static_cast<size_t>(n);
  }
  got.resize(have);
  EXPECT_TRUE(got == message);
}

}  // namespace
}  // namespace wsc::detail
