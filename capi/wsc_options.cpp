// The C ABI's options: wsc_options_* map option ids onto wsc::Options,
// checking each value's range and type at the door.
#include <cstdint>
#include <new>
#include <string>
#include <wsc/client.hpp>

#include "capi_internal.hpp"
#include "wsc.h"

namespace {

using wsc::capi::fail;
using wsc::capi::guarded;
using wsc::capi::ok;

bool is_bool(int64_t v) { return v == 0 || v == 1; }

bool is_int_option(int opt) {
  return opt >= WSC_OPT_CONNECT_TIMEOUT_MS && opt <= WSC_OPT_RECONNECT_SEED;
}
bool is_str_option(int opt) { return opt >= WSC_OPT_SUBPROTOCOLS && opt <= WSC_OPT_PROXY; }

int unknown_option(int opt) { return fail(WSC_EINVAL, "unknown option " + std::to_string(opt)); }

}  // namespace

extern "C" {

wsc_options *wsc_options_new(void) {
  auto *o = new (std::nothrow) wsc_options();
  if (!o) fail(WSC_ENOMEM, "out of memory");
  return o;
}

void wsc_options_free(wsc_options *o) { delete o; }

int wsc_options_set_int(wsc_options *o, int opt, int64_t value) {
  if (!o) return fail(WSC_EINVAL, "options is NULL");
  wsc::Options &x = o->options;
  auto millis = [&](wsc::Millis &field, const char *name) {
    if (value < 0 || value > 24LL * 3600 * 1000) {
      return fail(WSC_EINVAL, std::string(name) + " must be 0..86400000 ms");
    }
    field = wsc::Millis(value);
    return ok();
  };
  auto flag = [&](bool &field, const char *name) {
    if (!is_bool(value)) return fail(WSC_EINVAL, std::string(name) + " must be 0 or 1");
    field = value == 1;
    return ok();
  };
  auto bytes = [&](size_t &field, const char *name) {
    if (value < 1 || static_cast<uint64_t>(value) > (uint64_t{1} << 40)) {
      return fail(WSC_EINVAL, std::string(name) + " must be 1..2^40 bytes");
    }
    field = static_cast<size_t>(value);
    return ok();
  };
  auto count = [&](uint32_t &field, const char *name) {
    if (value < 0 || value > UINT32_MAX)
      return fail(WSC_EINVAL, std::string(name) + " out of range");
    field = static_cast<uint32_t>(value);
    return ok();
  };
  switch (opt) {
    case WSC_OPT_CONNECT_TIMEOUT_MS:
      if (value == 0) return fail(WSC_EINVAL, "CONNECT_TIMEOUT_MS must be at least 1");
      return millis(x.connect_timeout, "CONNECT_TIMEOUT_MS");
    case WSC_OPT_PING_INTERVAL_MS:
      return millis(x.ping_interval, "PING_INTERVAL_MS");
    case WSC_OPT_PONG_TIMEOUT_MS:
      if (value == 0) return fail(WSC_EINVAL, "PONG_TIMEOUT_MS must be at least 1");
      return millis(x.pong_timeout, "PONG_TIMEOUT_MS");
    case WSC_OPT_IDLE_TIMEOUT_MS:
      return millis(x.idle_timeout, "IDLE_TIMEOUT_MS");
    case WSC_OPT_WRITE_TIMEOUT_MS:
      return millis(x.write_timeout, "WRITE_TIMEOUT_MS");
    case WSC_OPT_RECONNECT:
      return flag(x.reconnect, "RECONNECT");
    case WSC_OPT_RECONNECT_MIN_MS:
      if (value == 0) return fail(WSC_EINVAL, "RECONNECT_MIN_MS must be at least 1");
      return millis(x.reconnect_min, "RECONNECT_MIN_MS");
    case WSC_OPT_RECONNECT_MAX_MS:
      if (value == 0) return fail(WSC_EINVAL, "RECONNECT_MAX_MS must be at least 1");
      return millis(x.reconnect_max, "RECONNECT_MAX_MS");
    case WSC_OPT_RECONNECT_MAX_ATTEMPTS:
      return count(x.reconnect_max_attempts, "RECONNECT_MAX_ATTEMPTS");
    case WSC_OPT_RECONNECT_ON_NORMAL_CLOSE:
      return flag(x.reconnect_on_normal_close, "RECONNECT_ON_NORMAL_CLOSE");
    case WSC_OPT_MAX_MESSAGE_BYTES:
      return bytes(x.max_message_bytes, "MAX_MESSAGE_BYTES");
    case WSC_OPT_SEND_QUEUE_BYTES:
      return bytes(x.send_queue_bytes, "SEND_QUEUE_BYTES");
    case WSC_OPT_RECV_QUEUE_BYTES:
      return bytes(x.recv_queue_bytes, "RECV_QUEUE_BYTES");
    case WSC_OPT_SEND_RATE_PER_S:
      return count(x.send_rate_per_s, "SEND_RATE_PER_S");
    case WSC_OPT_SEND_BURST:
      return count(x.send_burst, "SEND_BURST");
    case WSC_OPT_COMPRESSION:
      return flag(x.compression, "COMPRESSION");
    case WSC_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS:
    case WSC_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS: {
      const bool client = opt == WSC_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS;
      if ((value < 9 || value > 15) && (client || value != 0)) {
        return fail(WSC_EINVAL, client ? "DEFLATE_CLIENT_MAX_WINDOW_BITS must be 9..15"
                                       : "DEFLATE_SERVER_MAX_WINDOW_BITS must be 0 or 9..15");
      }
      (client ? x.deflate_client_max_window_bits : x.deflate_server_max_window_bits) =
          static_cast<int>(value);
      return ok();
    }
    case WSC_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER:
      return flag(x.deflate_client_no_context_takeover, "DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER");
    case WSC_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER:
      return flag(x.deflate_server_no_context_takeover, "DEFLATE_SERVER_NO_CONTEXT_TAKEOVER");
    case WSC_OPT_DEFLATE_MIN_BYTES:
      if (value < 0 || static_cast<uint64_t>(value) > (uint64_t{1} << 40)) {
        return fail(WSC_EINVAL, "DEFLATE_MIN_BYTES must be 0..2^40 bytes");
      }
      x.deflate_min_bytes = static_cast<size_t>(value);
      return ok();
    case WSC_OPT_TLS_VERIFY:
      return flag(x.tls.verify, "TLS_VERIFY");
    case WSC_OPT_TLS_SESSION_RESUMPTION:
      return flag(x.tls.session_resumption, "TLS_SESSION_RESUMPTION");
    case WSC_OPT_TLS_MIN_VERSION:
      if (value != 12 && value != 13) return fail(WSC_EINVAL, "TLS_MIN_VERSION must be 12 or 13");
      x.tls.min_version = static_cast<int>(value);
      return ok();
    case WSC_OPT_PROXY_FROM_ENV:
      return flag(x.proxy_from_env, "PROXY_FROM_ENV");
    case WSC_OPT_RECONNECT_SEED:
      if (value < 0) return fail(WSC_EINVAL, "RECONNECT_SEED must be >= 0");
      x.reconnect_seed = static_cast<uint64_t>(value);
      return ok();
    default:
      if (is_str_option(opt))
        return fail(WSC_EINVAL, "option " + std::to_string(opt) + " takes a string");
      return unknown_option(opt);
  }
}

int wsc_options_set_str(wsc_options *o, int opt, const char *value) {
  if (!o) return fail(WSC_EINVAL, "options is NULL");
  if (!value) return fail(WSC_EINVAL, "value is NULL");
  return guarded([&] {
    wsc::Options &x = o->options;
    std::string v(value);
    switch (opt) {
      case WSC_OPT_SUBPROTOCOLS: {
        x.subprotocols.clear();
        size_t start = 0;
        while (start <= v.size()) {
          size_t comma = v.find(',', start);
          if (comma == std::string::npos) comma = v.size();
          std::string item = v.substr(start, comma - start);
          const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
          item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
          if (!item.empty()) x.subprotocols.push_back(item);
          start = comma + 1;
        }
        break;
      }
      case WSC_OPT_ORIGIN:
        x.origin = v;
        break;
      case WSC_OPT_TLS_CA_FILE:
        x.tls.ca_file = v;
        break;
      case WSC_OPT_TLS_CERT_FILE:
        x.tls.cert_file = v;
        break;
      case WSC_OPT_TLS_KEY_FILE:
        x.tls.key_file = v;
        break;
      case WSC_OPT_TLS_CIPHERS:
        x.tls.ciphers = v;
        break;
      case WSC_OPT_TLS13_CIPHERSUITES:
        x.tls.tls13_ciphersuites = v;
        break;
      case WSC_OPT_TLS_GROUPS:
        x.tls.groups = v;
        break;
      case WSC_OPT_TLS_SERVER_NAME:
        x.tls.server_name = v;
        break;
      case WSC_OPT_PROXY:
        x.proxy = v;
        break;
      default:
        if (is_int_option(opt))
          return fail(WSC_EINVAL, "option " + std::to_string(opt) + " takes an integer");
        return unknown_option(opt);
    }
    return ok();
  });
}

int wsc_options_add_header(wsc_options *o, const char *name, const char *value) {
  if (!o || !name || !value) return fail(WSC_EINVAL, "options, name and value must not be NULL");
  return guarded([&] {
    wsc::validate_header(name, value);
    o->options.headers.emplace_back(name, value);
    return ok();
  });
}

int wsc_options_set_on_control(wsc_options *o, wsc_control_cb cb, void *user) {
  if (!o) return fail(WSC_EINVAL, "options is NULL");
  o->on_control = cb;
  o->on_control_user = cb ? user : nullptr;
  return ok();
}

}  // extern "C"
