// The loop's TLS profile cache: one SSL_CTX and one lws vhost per distinct
// profile, shared by every connection with the same settings.
#include <gtest/gtest.h>

#include <future>

#include "loop_core.hpp"

namespace wsc::detail {
namespace {

lws_vhost *vhost_on_loop(LoopCore &core, const VhostProfile &profile) {
  std::promise<lws_vhost *> result;
  core.post([&] {
    std::string error;
    result.set_value(core.vhost_for(profile, error));
  });
  return result.get_future().get();
}

TEST(VhostCache, SameProfileSharesDifferentProfileDoesNot) {
  auto core = LoopCore::create();
  VhostProfile a;
  a.secure = true;
  VhostProfile same = a;
  VhostProfile tls13 = a;
  tls13.tls.min_version = 13;
  VhostProfile proxied = a;
  proxied.proxy_address = "127.0.0.1";
  proxied.proxy_port = 3128;
  VhostProfile plain;

  lws_vhost *va = vhost_on_loop(*core, a);
  ASSERT_NE(va, nullptr);
  EXPECT_EQ(vhost_on_loop(*core, same), va);
  EXPECT_NE(vhost_on_loop(*core, tls13), va);
  EXPECT_NE(vhost_on_loop(*core, proxied), va);
  EXPECT_NE(vhost_on_loop(*core, plain), va);

  // The SSL_CTX is shared for equal TLS settings, whatever else differs.
  EXPECT_EQ(core->ssl_ctx_for(a.tls), core->ssl_ctx_for(proxied.tls));
  EXPECT_NE(core->ssl_ctx_for(a.tls), core->ssl_ctx_for(tls13.tls));
  core->shutdown();
}

}  // namespace
}  // namespace wsc::detail
