// One OpenSSL client SSL_CTX per distinct TLS profile. wsc builds it itself
// and hands it to lws as `provided_client_ssl_ctx`: lws shares SSL_CTXs
// between vhosts whose hashed TLS fields match, so settings lws has no field
// for (minimum version, groups) would leak between profiles otherwise.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <wsc/client.hpp>

namespace wsc::detail {

struct SslCtxFree {
  void operator()(SSL_CTX *ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// The fields of Options::Tls that make a profile distinct.
std::string tls_profile_key(const Options::Tls &tls);

// Throws Error(WSC_EINVAL) naming the file or value that is wrong.
SslCtxPtr make_client_ssl_ctx(const Options::Tls &tls);

// Words for the last OpenSSL error on this thread ("" if none); clears it.
std::string openssl_error_text();

}  // namespace wsc::detail
