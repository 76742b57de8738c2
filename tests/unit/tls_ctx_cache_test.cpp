// The loop's TLS profile cache: one SSL_CTX per distinct profile, shared by
// every connection with the same settings.
#include <gtest/gtest.h>

#include "loop_core.hpp"

namespace wsc::detail {
namespace {

TEST(TlsContextCache, SameProfileSharesDifferentProfileDoesNot) {
  auto core = LoopCore::create();
  Options::Tls a;
  Options::Tls same = a;
  Options::Tls tls13 = a;
  tls13.min_version = 13;
  Options::Tls named = a;
  named.server_name = "example.test";  // SNI is per session, not per context

  EXPECT_EQ(core->ssl_ctx_for(a), core->ssl_ctx_for(same));
  EXPECT_NE(core->ssl_ctx_for(a), core->ssl_ctx_for(tls13));
  EXPECT_EQ(core->ssl_ctx_for(a), core->ssl_ctx_for(named));
  core->shutdown();
}

}  // namespace
}  // namespace wsc::detail
