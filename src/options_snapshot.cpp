#include "options_snapshot.hpp"

#include <tuple>

namespace wsc::detail {

namespace {

auto fields(const Options &o) {
  return std::tie(o.connect_timeout, o.ping_interval, o.pong_timeout, o.idle_timeout,
                  o.write_timeout, o.reconnect, o.reconnect_min, o.reconnect_max,
                  o.reconnect_max_attempts, o.reconnect_on_normal_close, o.reconnect_seed,
                  o.max_message_bytes, o.send_queue_bytes, o.recv_queue_bytes, o.send_rate_per_s,
                  o.send_burst, o.compression, o.deflate_client_max_window_bits,
                  o.deflate_server_max_window_bits, o.deflate_client_no_context_takeover,
                  o.deflate_server_no_context_takeover, o.deflate_min_bytes, o.subprotocols,
                  o.origin, o.headers, o.proxy, o.proxy_from_env);
}

auto tls_fields(const Options::Tls &t) {
  return std::tie(t.verify, t.min_version, t.session_resumption, t.ca_file, t.cert_file, t.key_file,
                  t.ciphers, t.tls13_ciphersuites, t.groups, t.server_name);
}

#if defined(__x86_64__) && defined(__GLIBCXX__)
// A member added to Options must be added to fields() or tls_fields() too,
// else connections with different values of it would share one snapshot.
static_assert(sizeof(Options) == 496 && sizeof(Options::Tls) == 240,
              "Options changed: update fields() / tls_fields() in options_snapshot.cpp");
#endif

}  // namespace

bool same_options(const Options &a, const Options &b) {
  return fields(a) == fields(b) && tls_fields(a.tls) == tls_fields(b.tls);
}

std::shared_ptr<const Options> share_options(Options options) {
  thread_local std::weak_ptr<const Options> last;
  if (auto shared = last.lock(); shared && same_options(*shared, options)) return shared;
  auto snapshot = std::make_shared<const Options>(std::move(options));
  last = snapshot;
  return snapshot;
}

}  // namespace wsc::detail
