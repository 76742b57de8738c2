// Connections made from equal Options share one snapshot: equality covers
// every field (a difference anywhere means a snapshot of its own), and the
// cache keeps nothing alive.
#include "options_snapshot.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

namespace wsc::detail {
namespace {

TEST(OptionsSnapshot, EqualOptionsShareOneSnapshot) {
  Options o;
  o.ping_interval = Millis{1000};
  o.headers = {{"X-A", "1"}};
  o.tls.ca_file = "/ca.pem";
  const auto first = share_options(o);
  const auto second = share_options(o);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(first->ping_interval, Millis{1000});
  EXPECT_EQ(first->tls.ca_file, "/ca.pem");
}

TEST(OptionsSnapshot, AnyDifferenceGetsItsOwnSnapshot) {
  const std::vector<std::function<void(Options &)>> changes = {
      [](Options &o) { o.connect_timeout = Millis{1}; },
      [](Options &o) { o.write_timeout = Millis{1}; },
      [](Options &o) { o.reconnect = true; },
      [](Options &o) { o.reconnect_seed = 9; },
      [](Options &o) { o.recv_queue_bytes = 1; },
      [](Options &o) { o.send_burst = 3; },
      [](Options &o) { o.deflate_server_no_context_takeover = true; },
      [](Options &o) { o.deflate_min_bytes = 1; },
      [](Options &o) { o.subprotocols = {"chat"}; },
      [](Options &o) { o.origin = "https://a"; },
      [](Options &o) {
        o.headers = {{"X-A", "2"}};
      },
      [](Options &o) { o.tls.verify = false; },
      [](Options &o) { o.tls.session_resumption = false; },
      [](Options &o) { o.tls.server_name = "b"; },
      [](Options &o) { o.tls.groups = "X25519"; },
      [](Options &o) { o.proxy = "http://p:1"; },
      [](Options &o) { o.proxy_from_env = true; },
  };
  const Options base;
  const auto shared = share_options(base);
  for (size_t i = 0; i < changes.size(); i++) {
    Options changed = base;
    changes[i](changed);
    EXPECT_FALSE(same_options(base, changed)) << "change " << i;
    const auto own = share_options(changed);
    EXPECT_NE(own.get(), shared.get()) << "change " << i;
    EXPECT_TRUE(same_options(*own, changed)) << "change " << i;
  }
}

TEST(OptionsSnapshot, NothingIsKeptAlive) {
  Options o;
  o.origin = "https://kept";
  std::weak_ptr<const Options> weak = share_options(o);
  EXPECT_TRUE(weak.expired());
  // With the old one gone the next call makes a new, equal snapshot.
  const auto again = share_options(o);
  EXPECT_EQ(again->origin, "https://kept");
}

}  // namespace
}  // namespace wsc::detail
