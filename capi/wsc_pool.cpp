// The C ABI's connection pool: wsc_pool_* over wsc::Pool. Each pooled
// connection is a pull-mode wsc_conn the pool owns; an acquired one is kept
// here under its lease until wsc_pool_release.
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <wsc/client.hpp>
#include <wsc/pool.hpp>

#include "capi_internal.hpp"
#include "wsc.h"

namespace {

using wsc::capi::fail;
using wsc::capi::guarded;
using wsc::capi::ok;
using wsc::capi::readable_notifier;

int from(wsc::Status s) { return static_cast<int>(s); }

// What a pool makes per connection: a pull-mode wsc_conn owning its Client.
wsc::PoolMemberFactory pooled_conn_factory(wsc_pool *pool) {
  return [pool](wsc::Loop &loop, std::string_view url, const wsc::Options &options,
                wsc::Callbacks callbacks) {
    std::shared_ptr<wsc_conn> c(new wsc_conn(), [](wsc_conn *p) { delete p; });
    c->callbacks.struct_size = sizeof(wsc_callbacks);
    c->pull = true;
    c->pool = pool;
    callbacks.on_readable = readable_notifier(c.get());
    c->client = std::make_unique<wsc::Client>(loop, url, options, std::move(callbacks));
    return wsc::PoolMember{c->client.get(), c};
  };
}

// Stores an acquired lease under its wsc_conn and hands that out.
int hand_out(wsc_pool *pool, wsc::Status s, wsc::Pool::Lease lease, wsc_conn **out) {
  if (s == wsc::Status::WSC_EWAIT) return fail(from(s), "no connection free within timeout_ms");
  if (s != wsc::Status::WSC_OK) return fail(from(s), wsc_strerror(from(s)));
  auto *c = static_cast<wsc_conn *>(lease.owner());
  {
    std::lock_guard<std::mutex> lock(pool->mutex);
    pool->leases.emplace(c, std::move(lease));
  }
  *out = c;
  return ok();
}

}  // namespace

extern "C" {

int wsc_pool_options_init(wsc_pool_options *o) {
  if (!o) return fail(WSC_EINVAL, "options is NULL");
  const wsc::PoolOptions d;
  *o = wsc_pool_options{};
  o->struct_size = sizeof(wsc_pool_options);
  o->min_idle = d.min_idle;
  o->check_after_idle_ms = d.check_after_idle.count();
  o->ping_timeout_ms = d.ping_timeout.count();
  o->max_idle_time_ms = d.max_idle_time.count();
  o->max_lifetime_ms = d.max_lifetime.count();
  o->breaker_threshold = d.breaker_threshold;
  o->breaker_cooldown_ms = d.breaker_cooldown.count();
  return ok();
}

int wsc_pool_new(wsc_loop *loop, const char *url, const wsc_options *opts, size_t max_conns,
                 const wsc_pool_options *pool_opts, wsc_pool **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (!url) return fail(WSC_EINVAL, "url is NULL");
  if (pool_opts && pool_opts->struct_size != sizeof(wsc_pool_options)) {
    return fail(WSC_EINVAL, "pool_opts->struct_size must be sizeof(wsc_pool_options)");
  }
  return guarded([&] {
    wsc::PoolOptions po;
    po.max_conns = max_conns;
    if (pool_opts) {
      po.min_idle = pool_opts->min_idle;
      po.check_after_idle = wsc::Millis(pool_opts->check_after_idle_ms);
      po.ping_timeout = wsc::Millis(pool_opts->ping_timeout_ms);
      po.max_idle_time = wsc::Millis(pool_opts->max_idle_time_ms);
      po.max_lifetime = wsc::Millis(pool_opts->max_lifetime_ms);
      po.breaker_threshold = pool_opts->breaker_threshold;
      po.breaker_cooldown = wsc::Millis(pool_opts->breaker_cooldown_ms);
    }
    auto handle = std::make_unique<wsc_pool>();
    wsc::Loop &l = loop ? loop->loop : wsc::Loop::default_loop();
    const wsc::Options defaults;
    handle->pool = std::make_unique<wsc::Pool>(l, url, opts ? opts->options : defaults, po,
                                               pooled_conn_factory(handle.get()));
    *out = handle.release();
    return ok();
  });
}

int wsc_pool_acquire(wsc_pool *pool, int timeout_ms, wsc_conn **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (!pool) return fail(WSC_EINVAL, "pool is NULL");
  if (timeout_ms < -1) return fail(WSC_EINVAL, "timeout_ms must be -1 (forever) or >= 0");
  return guarded([&] {
    wsc::Pool::Lease lease;
    const wsc::Status s = pool->pool->acquire(wsc::Millis(timeout_ms), lease);
    return hand_out(pool, s, std::move(lease), out);
  });
}

int wsc_pool_try_acquire(wsc_pool *pool, wsc_conn **out) {
  if (!out) return fail(WSC_EINVAL, "out is NULL");
  *out = nullptr;
  if (!pool) return fail(WSC_EINVAL, "pool is NULL");
  return guarded([&] {
    wsc::Pool::Lease lease;
    const wsc::Status s = pool->pool->try_acquire(lease);
    return hand_out(pool, s, std::move(lease), out);
  });
}

int wsc_pool_release(wsc_pool *pool, wsc_conn *conn) {
  if (!pool || !conn) return fail(WSC_EINVAL, "pool and conn must not be NULL");
  return guarded([&] {
    wsc::Pool::Lease lease;
    {
      std::lock_guard<std::mutex> lock(pool->mutex);
      auto found = pool->leases.find(conn);
      if (found == pool->leases.end()) {
        return fail(WSC_EINVAL, "conn is not acquired from this pool (released twice?)");
      }
      lease = std::move(found->second);
      pool->leases.erase(found);
    }
    {
      // The user may close its notify fd once this returns.
      std::lock_guard<std::mutex> lock(conn->notify_mutex);
      conn->notify_fd.store(-1, std::memory_order_release);
    }
    lease.release();
    return ok();
  });
}

int wsc_pool_stats(const wsc_pool *pool, wsc_pool_snapshot *out) {
  if (!pool || !out) return fail(WSC_EINVAL, "pool and out must not be NULL");
  if (out->struct_size < offsetof(wsc_pool_snapshot, open) ||
      out->struct_size > sizeof(wsc_pool_snapshot)) {
    return fail(WSC_EINVAL, "out->struct_size must be sizeof(wsc_pool_snapshot)");
  }
  return guarded([&] {
    const wsc::PoolStats s = pool->pool->stats();
    wsc_pool_snapshot full{};
    full.struct_size = out->struct_size;
    full.open = s.open;
    full.idle = s.idle;
    full.busy = s.busy;
    full.opening = s.opening;
    full.checking = s.checking;
    full.waiting = s.waiting;
    full.opened = s.opened;
    full.open_failures = s.open_failures;
    full.replaced = s.replaced;
    full.health_checks = s.health_checks;
    full.health_check_failures = s.health_check_failures;
    full.rotated = s.rotated;
    full.idle_closed = s.idle_closed;
    full.discarded_messages = s.discarded_messages;
    full.acquired = s.acquired;
    full.acquire_timeouts = s.acquire_timeouts;
    full.breaker_trips = s.breaker_trips;
    full.breaker_rejections = s.breaker_rejections;
    full.breaker_state = static_cast<int>(s.breaker);
    // Fill only as much as the caller's struct holds.
    std::memcpy(out, &full, out->struct_size);
    return ok();
  });
}

int wsc_pool_close(wsc_pool *pool) {
  if (!pool) return fail(WSC_EINVAL, "pool is NULL");
  return guarded([&] {
    pool->pool->close();
    return ok();
  });
}

void wsc_pool_free(wsc_pool *pool) {
  if (!pool) return;
  try {
    pool->pool->close();
    // Released outside the lock: each release may close its connection.
    std::unordered_map<wsc_conn *, wsc::Pool::Lease> leases;
    {
      std::lock_guard<std::mutex> lock(pool->mutex);
      leases.swap(pool->leases);
    }
    leases.clear();
    delete pool;
  } catch (...) {
  }
}

}  // extern "C"
