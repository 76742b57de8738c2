#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "tls_session.hpp"

namespace wsc::detail {

std::string tls_profile_key(const Options::Tls &tls) {
  std::string key;
  for (const std::string *field : {&tls.ca_file, &tls.cert_file, &tls.key_file, &tls.ciphers,
                                   &tls.tls13_ciphersuites, &tls.groups}) {
    key += std::to_string(field->size()) + ":" + *field + ";";
  }
  key += "min=" + std::to_string(tls.min_version);
  return key;
}

std::string openssl_error_text() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text;
}

static void require_readable(const std::string &path, const char *what) {
  std::ifstream in(path);
  if (!in) {
    throw Error(Status::WSC_EINVAL,
                std::string(what) + " '" + path + "' cannot be read: " + std::strerror(errno));
  }
}

[[noreturn]] static void fail(const std::string &what) {
  std::string why = openssl_error_text();
  throw Error(Status::WSC_EINVAL, what + (why.empty() ? "" : " (" + why + ")"));
}

SslCtxPtr make_client_ssl_ctx(const Options::Tls &tls) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx)
    throw Error(Status::WSC_ENOMEM, "cannot create an OpenSSL context: " + openssl_error_text());

  // Sessions for resumption go to the connection's cache (tls_session_cache
  // .hpp), not OpenSSL's internal store, which clients do not look up.
  SSL_CTX_set_session_cache_mode(ctx.get(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx.get(), &TlsSession::take_new_session);

  // TLS 1.0 and 1.1 are never allowed.
  const int min = tls.min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx.get(), min) != 1)
    fail("cannot set the minimum TLS version");

  if (!tls.ca_file.empty()) {
    require_readable(tls.ca_file, "CA file");
    if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1) {
      fail("CA file '" + tls.ca_file + "' holds no usable PEM certificate");
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    fail("cannot load the system trust store");
  }

  if (tls.cert_file.empty() != tls.key_file.empty()) {
    throw Error(Status::WSC_EINVAL,
                "a client certificate needs both TLS_CERT_FILE and TLS_KEY_FILE");
  }
  if (!tls.cert_file.empty()) {
    require_readable(tls.cert_file, "certificate file");
    require_readable(tls.key_file, "key file");
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1) {
      fail("certificate file '" + tls.cert_file + "' holds no usable PEM certificate");
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        fail("key file '" + tls.key_file + "' does not match certificate '" + tls.cert_file + "'");
      }
      fail("key file '" + tls.key_file + "' holds no usable PEM private key");
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      fail("key file '" + tls.key_file + "' does not match certificate '" + tls.cert_file + "'");
    }
  }
  if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), tls.ciphers.c_str()) != 1) {
    fail("unknown TLS cipher list '" + tls.ciphers + "'");
  }
  if (!tls.tls13_ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx.get(), tls.tls13_ciphersuites.c_str()) != 1) {
    fail("unknown TLS 1.3 cipher suites '" + tls.tls13_ciphersuites + "'");
  }
  if (!tls.groups.empty() && SSL_CTX_set1_groups_list(ctx.get(), tls.groups.c_str()) != 1) {
    fail("unknown TLS groups '" + tls.groups + "'");
  }
  return ctx;
}

}  // namespace wsc::detail
