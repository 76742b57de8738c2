// The C ABI: maps opaque handles onto the C++ API, checks every argument and
// turns every exception into a status code. Nothing here touches lws. This
// file: version, loops, logging, connections and their messages; options in
// wsc_options.cpp, the pool in wsc_pool.cpp, RPC in wsc_rpc*.cpp.
#include "wsc.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>
#include <wsc/client.hpp>
#include <wsc/log.hpp>

#include "capi_internal.hpp"

namespace {

thread_local std::string last_detail;

int fail(int status, std::string detail) {
  last_detail = std::move(detail);
  return status;
}

int ok() {
  last_detail.clear();
  return WSC_OK;
}

int from(wsc::Status s) { return static_cast<int>(s); }

using wsc::capi::guarded;
using wsc::capi::readable_notifier;

// A status `s` a blocking call got because the connection has ended: its
// detail says why it ended (the connection's last error), so the caller
// can print wsc_last_error_detail() without a second call.
int ended(const wsc::Client &client, int s) {
  std::string why;
  const int last = from(client.last_error(why));
  if (last == WSC_OK || why.empty()) return fail(s, wsc_strerror(s));
  if (last == s) return fail(s, why);
  return fail(s, std::string(wsc_strerror(last)) + ": " + why);
}

// wsc_recv's core: one message, or a status (detail set).
int recv_one(wsc_conn *c, int timeout_ms, wsc::Message &m) {
  const int s = from(c->client->try_recv(wsc::Millis(timeout_ms), m));
  if (s == WSC_ESTATE)
    return fail(s, "wsc_recv and wsc_recv_many are for pull mode (no on_message callback)");
  if (s == WSC_EWAIT) return fail(s, "no message within timeout_ms");
  if (s == WSC_ECLOSED) return ended(*c->client, s);
  if (s != WSC_OK) return fail(s, wsc_strerror(s));
  return WSC_OK;
}

}  // namespace

std::function<void()> wsc::capi::readable_notifier(wsc_conn *c) {
  return [c] {
    auto notify = [c] {
      const int fd = c->notify_fd.load(std::memory_order_acquire);
      if (fd < 0) return;
      const uint64_t one = 1;
      ssize_t n;
      do n = ::write(fd, &one, sizeof one);
      while (n < 0 && errno == EINTR);
    };
    if (c->pool) {
      std::lock_guard<std::mutex> lock(c->notify_mutex);
      notify();
    } else {
      notify();
    }
    if (c->callbacks.on_readable) c->callbacks.on_readable(c, c->user);
  };
}

int wsc::capi::fail(int status, std::string detail) { return ::fail(status, std::move(detail)); }

int wsc::capi::ok() { return ::ok(); }

int wsc::capi::wait_for_state(wsc::Client &client, int state, int timeout_ms) {
  if (state < WSC_CONNECTING || state > WSC_RECONNECTING) return fail(WSC_EINVAL, "unknown state");
  if (timeout_ms < -1) return fail(WSC_EINVAL, "timeout_ms must be -1 (forever) or >= 0");
  const int s = from(client.wait(static_cast<wsc::State>(state), wsc::Millis(timeout_ms)));
  if (s == WSC_OK) return ok();
  if (s == WSC_EWAIT) return fail(s, "state not reached within timeout_ms");
  return ended(client, s);
}

extern "C" {

#define WSC_STR2(x) #x
#define WSC_STR(x) WSC_STR2(x)
const char *wsc_version(void) {
  return WSC_STR(WSC_VERSION_MAJOR) "." WSC_STR(WSC_VERSION_MINOR) "." WSC_STR(WSC_VERSION_PATCH);
}
#undef WSC_STR
#undef WSC_STR2

const char *wsc_strerror(int status) { return wsc::status_text(static_cast<wsc::Status>(status)); }

int wsc_status_is_fatal(int status) {
  return wsc::status_is_fatal(static_cast<wsc::Status>(status)) ? 1 : 0;
}

const char *wsc_last_error_detail(void) { return last_detail.c_str(); }

wsc_loop *wsc_loop_new(void) {
  try {
    auto *loop = new wsc_loop();
    ok();
    return loop;
  } catch (const std::exception &e) {
    fail(WSC_EINTERNAL, e.what());
    return nullptr;
  }
}

void wsc_loop_free(wsc_loop *loop) {
  try {
    delete loop;
  } catch (...) {
  }
}

int wsc_loop_metrics_text(wsc_loop *loop, char *buf, size_t buf_len, size_t *out) {
  if (!out) return fail(WSC_EINVAL, "out must not be NULL");
  if (!buf && buf_len) return fail(WSC_EINVAL, "buf is NULL but buf_len is not 0");
  return guarded([&] {
    const wsc::Loop &l = loop ? loop->loop : wsc::Loop::default_loop();
    const std::string text = l.metrics_text();
    *out = text.size() + 1;
    if (text.size() + 1 > buf_len) {
      return fail(WSC_EINVAL, "buffer too small: the metrics need " +
                                  std::to_string(text.size() + 1) + " bytes with the NUL");
    }
    std::memcpy(buf, text.c_str(), text.size() + 1);
    return ok();
  });
}

int wsc_set_log_handler(int level, wsc_log_fn fn, void *user) {
  if (level < WSC_LOG_OFF || level > WSC_LOG_DEBUG) {
    return fail(WSC_EINVAL,
                "log level must be WSC_LOG_OFF..WSC_LOG_DEBUG, not " + std::to_string(level));
  }
  return guarded([&] {
    wsc::LogHandler handler;
    if (fn && level != WSC_LOG_OFF) {
      handler = [fn, user](wsc::LogLevel lvl, std::string_view origin, std::string_view message) {
        const std::string o(origin), m(message);
        fn(static_cast<int>(lvl), o.c_str(), m.c_str(), user);
      };
    }
    wsc::set_log_handler(static_cast<wsc::LogLevel>(level), std::move(handler));
    return ok();
  });
}

void wsc_message_free(wsc_message *m) {
  if (!m) return;
  delete[] m->data;
  delete m;
}

void wsc_batch_free(wsc_batch *b) { std::free(b); }

int wsc_connect(wsc_loop *loop, const char *url, const wsc_options *opts, const wsc_callbacks *cbs,
                void *user, wsc_conn **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (!url) return fail(WSC_EINVAL, "url is NULL");
  if (cbs && cbs->struct_size < sizeof(size_t)) {
    return fail(WSC_EINVAL, "callbacks.struct_size must be sizeof(wsc_callbacks)");
  }
  return guarded([&] {
    auto handle = std::make_unique<wsc_conn>();
    handle->user = user;
    // Older callers may pass a shorter struct: copy what they gave.
    if (cbs)
      std::memcpy(&handle->callbacks, cbs, std::min(cbs->struct_size, sizeof(wsc_callbacks)));
    handle->callbacks.struct_size = sizeof(wsc_callbacks);
    handle->pull = !handle->callbacks.on_message;
    wsc_conn *c = handle.get();
    const wsc_callbacks &cb = c->callbacks;
    wsc::Callbacks callbacks;
    if (cb.on_open) callbacks.on_open = [c] { c->callbacks.on_open(c, c->user); };
    if (cb.on_message) {
      callbacks.on_message = [c](wsc::MessageType t, std::string_view data) {
        c->callbacks.on_message(c, static_cast<int>(t), data.data(), data.size(), c->user);
      };
    }
    if (cb.on_error) {
      callbacks.on_error = [c](wsc::Status s, std::string_view detail) {
        std::string text(detail);
        c->callbacks.on_error(c, static_cast<int>(s), text.c_str(), c->user);
      };
    }
    if (cb.on_close) {
      callbacks.on_close = [c](int code, std::string_view reason) {
        std::string text(reason);
        c->callbacks.on_close(c, code, text.c_str(), c->user);
      };
    }
    if (cb.on_state) {
      callbacks.on_state = [c](wsc::State a, wsc::State b) {
        c->callbacks.on_state(c, static_cast<int>(a), static_cast<int>(b), c->user);
      };
    }
    if (cb.on_drain) callbacks.on_drain = [c] { c->callbacks.on_drain(c, c->user); };
    if (c->pull) callbacks.on_readable = readable_notifier(c);
    if (opts && opts->on_control) {
      callbacks.on_control = [c, cb = opts->on_control, u = opts->on_control_user](
                                 wsc::ControlFrame kind, std::string_view payload) {
        cb(c, static_cast<int>(kind), payload.data(), payload.size(), u);
      };
    }
    wsc::Loop &l = loop ? loop->loop : wsc::Loop::default_loop();
    const wsc::Options defaults;
    handle->client = std::make_unique<wsc::Client>(l, url, opts ? opts->options : defaults,
                                                   std::move(callbacks));
    *out = handle.release();
    return ok();
  });
}

namespace {

// wsc_send's and wsc_send_nocopy's status, with the detail of what failed.
int send_status(wsc::Status status) {
  const int s = from(status);
  if (s == WSC_EINVAL) return fail(s, "text message is not valid UTF-8");
  if (s == WSC_ETOOBIG) return fail(s, "message is larger than SEND_QUEUE_BYTES");
  if (s == WSC_EAGAIN) return fail(s, "send queue is full (SEND_QUEUE_BYTES); wait for on_drain");
  if (s == WSC_ECLOSED) return fail(s, "connection is closed or closing");
  return s == WSC_OK ? ok() : fail(s, wsc_strerror(s));
}

int check_send_args(const wsc_conn *c, int type, const void *data, size_t len) {
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  if (type != WSC_TEXT && type != WSC_BINARY)
    return fail(WSC_EINVAL, "type must be WSC_TEXT or WSC_BINARY");
  if (!data && len) return fail(WSC_EINVAL, "data is NULL but len is not 0");
  return WSC_OK;
}

}  // namespace

int wsc_send(wsc_conn *c, int type, const void *data, size_t len) {
  if (const int s = check_send_args(c, type, data, len); s != WSC_OK) return s;
  const char *bytes = data ? static_cast<const char *>(data) : "";
  return send_status(
      c->client->try_send(static_cast<wsc::MessageType>(type), std::string_view(bytes, len)));
}

int wsc_send_nocopy(wsc_conn *c, int type, const void *data, size_t len, wsc_release_fn release,
                    void *user) {
  // Whatever happens, release runs once: when the last holder of `owner`
  // lets go (the library once written, or this function when it fails).
  std::shared_ptr<const void> owner;
  try {
    owner = std::shared_ptr<const void>(data, [release, user](const void *) {
      if (release) release(user);
    });
  } catch (const std::bad_alloc &) {  // the constructor called the deleter
    return fail(WSC_ENOMEM, "out of memory");
  }
  if (const int s = check_send_args(c, type, data, len); s != WSC_OK) return s;
  const char *bytes = data ? static_cast<const char *>(data) : "";
  return send_status(c->client->try_send_shared(static_cast<wsc::MessageType>(type),
                                                std::string_view(bytes, len), std::move(owner)));
}

int wsc_recv(wsc_conn *c, int timeout_ms, wsc_message **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  if (timeout_ms < -1) return fail(WSC_EINVAL, "timeout_ms must be -1 (forever) or >= 0");
  return guarded([&] {
    wsc::Message m;
    const int s = recv_one(c, timeout_ms, m);
    if (s != WSC_OK) return s;
    auto data = std::make_unique<unsigned char[]>(m.data.size() ? m.data.size() : 1);
    if (!m.data.empty()) std::memcpy(data.get(), m.data.data(), m.data.size());
    auto msg = std::make_unique<wsc_message>();
    msg->type = static_cast<int>(m.type);
    msg->len = m.data.size();
    msg->data = data.release();
    *out = msg.release();
    return ok();
  });
}

int wsc_recv_many(wsc_conn *c, int timeout_ms, size_t max_msgs, size_t max_bytes, wsc_batch **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  if (timeout_ms < -1) return fail(WSC_EINVAL, "timeout_ms must be -1 (forever) or >= 0");
  if (max_msgs < 1) return fail(WSC_EINVAL, "max_msgs must be at least 1");
  return guarded([&] {
    std::vector<wsc::Message> got(1);
    const int s = recv_one(c, timeout_ms, got[0]);
    if (s != WSC_OK) return s;
    size_t bytes = got[0].data.size();
    // Then only what is already queued (a zero timeout never waits).
    while (got.size() < max_msgs && (max_bytes == 0 || bytes < max_bytes)) {
      wsc::Message m;
      if (c->client->try_recv(wsc::Millis(0), m) != wsc::Status::WSC_OK) break;
      bytes += m.data.size();
      got.push_back(std::move(m));
    }
    const size_t count = got.size();
    const size_t head = sizeof(wsc_batch) + count * sizeof(size_t) + count;
    auto *block = static_cast<unsigned char *>(std::malloc(head + (bytes ? bytes : 1)));
    if (!block) return fail(WSC_ENOMEM, "out of memory");
    auto *b = reinterpret_cast<wsc_batch *>(block);
    auto *lens = reinterpret_cast<size_t *>(block + sizeof(wsc_batch));
    auto *types = block + sizeof(wsc_batch) + count * sizeof(size_t);
    unsigned char *data = block + head;
    size_t off = 0;
    for (size_t i = 0; i < count; ++i) {
      lens[i] = got[i].data.size();
      types[i] = static_cast<unsigned char>(got[i].type);
      if (lens[i]) std::memcpy(data + off, got[i].data.data(), lens[i]);
      off += lens[i];
    }
    b->count = count;
    b->bytes = bytes;
    b->data = data;
    b->lens = lens;
    b->types = types;
    *out = b;
    return ok();
  });
}

int wsc_conn_notify_fd(wsc_conn *c, int fd) {
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  if (fd < -1) return fail(WSC_EINVAL, "fd must be -1 (off) or >= 0");
  if (!c->pull) return fail(WSC_ESTATE, "wsc_conn_notify_fd is for pull mode (no on_message)");
  c->notify_fd.store(fd, std::memory_order_release);
  return ok();
}

int wsc_close(wsc_conn *c, int code, const char *reason) {
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  if (code == 0) code = 1000;
  const char *r = reason ? reason : "";
  const int s = from(c->client->try_close(code, r));
  if (s == WSC_EINVAL) {
    return fail(s, "close code " + std::to_string(code) +
                       " cannot be sent (use 1000-1003, 1007-1014 or 3000-4999), or the reason is "
                       "not UTF-8 of at most 123 bytes");
  }
  return s == WSC_OK ? ok() : fail(s, wsc_strerror(s));
}

int wsc_wait(wsc_conn *c, int state, int timeout_ms) {
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  return wsc::capi::wait_for_state(*c->client, state, timeout_ms);
}

int wsc_conn_state(const wsc_conn *c) {
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  return static_cast<int>(c->client->state());
}

int wsc_conn_stats(const wsc_conn *c, wsc_stats *out) {
  if (!c || !out) return fail(WSC_EINVAL, "conn and out must not be NULL");
  if (out->struct_size < offsetof(wsc_stats, msgs_sent) || out->struct_size > sizeof(wsc_stats)) {
    return fail(WSC_EINVAL, "out->struct_size must be sizeof(wsc_stats)");
  }
  const wsc::Stats s = c->client->stats();
  wsc_stats full{};
  full.struct_size = out->struct_size;
  full.msgs_sent = s.msgs_sent;
  full.msgs_received = s.msgs_received;
  full.bytes_sent = s.bytes_sent;
  full.bytes_received = s.bytes_received;
  full.reconnects = s.reconnects;
  full.send_discarded = s.send_discarded;
  full.send_queue_bytes = s.send_queue_bytes;
  full.rtt_us_last = s.rtt_us_last;
  full.rtt_us_smoothed = s.rtt_us_smoothed;
  full.connect_attempts = s.connect_attempts;
  full.last_http_status = s.last_http_status;
  full.http_status_from_proxy = s.http_status_from_proxy ? 1 : 0;
  full.recv_discarded = s.recv_discarded;
  full.wire_bytes_sent = s.wire_bytes_sent;
  full.wire_bytes_received = s.wire_bytes_received;
  // Fill only as much as the caller's struct holds.
  std::memcpy(out, &full, out->struct_size);
  return ok();
}

int wsc_conn_subprotocol(const wsc_conn *c, char *buf, size_t buf_len) {
  if (!c || !buf) return fail(WSC_EINVAL, "conn and buf must not be NULL");
  return guarded([&] {
    const std::string p = c->client->subprotocol();
    if (p.size() + 1 > buf_len) {
      return fail(WSC_EINVAL, "buffer too small: the subprotocol needs " +
                                  std::to_string(p.size() + 1) + " bytes with its NUL");
    }
    std::memcpy(buf, p.c_str(), p.size() + 1);
    return ok();
  });
}

int wsc_conn_response_header(const wsc_conn *c, const char *name, char *buf, size_t buf_len) {
  if (!c || !name || !buf) return fail(WSC_EINVAL, "conn, name and buf must not be NULL");
  return guarded([&] {
    std::string lower(name);
    for (char &ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const auto &[field, value] : c->client->response_headers()) {
      if (field != lower) continue;
      if (value.size() + 1 > buf_len) {
        return fail(WSC_EINVAL, "buffer too small: the header value needs " +
                                    std::to_string(value.size() + 1) + " bytes with its NUL");
      }
      std::memcpy(buf, value.c_str(), value.size() + 1);
      return ok();
    }
    return fail(WSC_ESTATE, "the upgrade response has no header " + std::string(name));
  });
}

int wsc_conn_response_headers(const wsc_conn *c, char *buf, size_t buf_len, size_t *needed) {
  if (!c || (!buf && buf_len > 0)) {
    return fail(WSC_EINVAL, "conn must not be NULL, nor buf when buf_len > 0");
  }
  return guarded([&] {
    if (c->client->remote_address().first.empty())
      return fail(WSC_ESTATE, "no upgrade response yet");
    std::string text;
    for (const auto &[field, value] : c->client->response_headers())
      text.append(field).append(": ").append(value).append("\r\n");
    if (needed) *needed = text.size() + 1;
    if (text.size() + 1 > buf_len) {
      return fail(WSC_EINVAL, "buffer too small: the headers need " +
                                  std::to_string(text.size() + 1) + " bytes with the NUL");
    }
    std::memcpy(buf, text.c_str(), text.size() + 1);
    return ok();
  });
}

int wsc_conn_remote_address(const wsc_conn *c, char *buf, size_t buf_len, int *port) {
  if (!c || !buf || !port) return fail(WSC_EINVAL, "conn, buf and port must not be NULL");
  return guarded([&] {
    const auto [address, number] = c->client->remote_address();
    if (address.empty()) return fail(WSC_ESTATE, "no upgrade response yet");
    if (address.size() + 1 > buf_len) {
      return fail(WSC_EINVAL, "buffer too small: the address needs " +
                                  std::to_string(address.size() + 1) + " bytes with its NUL");
    }
    std::memcpy(buf, address.c_str(), address.size() + 1);
    *port = number;
    return ok();
  });
}

int wsc_conn_last_error(const wsc_conn *c, char *buf, size_t buf_len) {
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  if (!buf && buf_len) return fail(WSC_EINVAL, "buf is NULL but buf_len is not 0");
  try {
    std::string detail;
    const int status = from(c->client->last_error(detail));
    if (buf_len) {
      const size_t n = std::min(buf_len - 1, detail.size());
      std::memcpy(buf, detail.data(), n);
      buf[n] = '\0';
    }
    last_detail.clear();
    return status;
  } catch (...) {
    return fail(WSC_ENOMEM, "out of memory");
  }
}

int wsc_conn_tls_info(const wsc_conn *c, wsc_tls_info *out) {
  if (!c || !out) return fail(WSC_EINVAL, "conn and out must not be NULL");
  // The size before `resumed` was appended is accepted too.
  if (out->struct_size != sizeof(wsc_tls_info) &&
      out->struct_size != offsetof(wsc_tls_info, resumed)) {
    return fail(WSC_EINVAL, "out->struct_size must be sizeof(wsc_tls_info)");
  }
  return guarded([&] {
    const wsc::TlsInfo info = c->client->tls_info();
    if (info.version.empty()) return fail(WSC_ESTATE, "no TLS connection has been opened");
    auto copy = [](char *dst, size_t cap, const std::string &src) {
      const size_t n = std::min(cap - 1, src.size());
      std::memcpy(dst, src.data(), n);
      dst[n] = '\0';
    };
    copy(out->version, sizeof out->version, info.version);
    copy(out->cipher, sizeof out->cipher, info.cipher);
    copy(out->group, sizeof out->group, info.group);
    if (out->struct_size == sizeof(wsc_tls_info)) out->resumed = info.resumed ? 1 : 0;
    return ok();
  });
}

void wsc_conn_free(wsc_conn *c) {
  if (c && c->pool) {
    wsc_pool_release(c->pool, c);  // the pool owns it
    return;
  }
  try {
    delete c;
  } catch (...) {
  }
}

int wsc_ping(wsc_conn *c, int timeout_ms, wsc_ping_cb cb, void *user) {
  return wsc_ping_data(c, nullptr, 0, timeout_ms, cb, user);
}

int wsc_ping_data(wsc_conn *c, const void *data, size_t len, int timeout_ms, wsc_ping_cb cb,
                  void *user) {
  if (!c) return fail(WSC_EINVAL, "conn is NULL");
  if (timeout_ms <= 0) return fail(WSC_EINVAL, "timeout_ms must be > 0");
  if (!data && len) return fail(WSC_EINVAL, "data is NULL but len is not 0");
  if (len > 125) {
    return fail(WSC_EINVAL,
                "a ping payload is at most 125 bytes (RFC 6455 5.5), got " + std::to_string(len));
  }
  const std::string_view payload(data ? static_cast<const char *>(data) : "", len);
  return guarded([&] {
    const int s =
        from(c->client->ping(wsc::Millis(timeout_ms), payload,
                             [c, cb, user](wsc::Status status, std::chrono::microseconds rtt) {
                               if (cb) cb(c, from(status), static_cast<int64_t>(rtt.count()), user);
                             }));
    return s == WSC_OK ? ok()
                       : fail(s, s == WSC_ECLOSED ? "the connection is not open" : wsc_strerror(s));
  });
}

}  // extern "C"
