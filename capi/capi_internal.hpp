// What the C ABI's files share: the handles wrapping the C++ API, and the
// thread-local detail behind wsc_last_error_detail(). Not installed.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <wsc/client.hpp>
#include <wsc/pool.hpp>

#include "wsc.h"

struct wsc_loop {
  wsc::Loop loop;
};

struct wsc_options {
  wsc::Options options;
  wsc_control_cb on_control = nullptr;  // wsc_options_set_on_control
  void *on_control_user = nullptr;
};

struct wsc_conn {
  wsc_callbacks callbacks{};
  void *user = nullptr;
  bool pull = false;
  std::atomic<int> notify_fd{-1};  // wsc_conn_notify_fd
  wsc_pool *pool = nullptr;        // set when a pool owns this connection
  // Pooled only: held around the notify write, so that after a release has
  // turned notify_fd off no write can still reach the user's old fd.
  std::mutex notify_mutex;
  std::unique_ptr<wsc::Client> client;
};

struct wsc_pool {
  std::unique_ptr<wsc::Pool> pool;
  std::mutex mutex;
  std::unordered_map<wsc_conn *, wsc::Pool::Lease> leases;  // under mutex
};

namespace wsc::capi {

// Sets wsc_last_error_detail() for this thread and returns status.
int fail(int status, std::string detail);

// Clears wsc_last_error_detail() for this thread and returns WSC_OK.
int ok();

// Pull mode: the on_readable that writes to c's notify fd, then calls the
// user's on_readable.
std::function<void()> readable_notifier(wsc_conn *c);

// wsc_wait on client (state and timeout_ms checked): WSC_OK, WSC_EWAIT when
// timeout_ms runs out, or how the connection ended with why as the detail.
int wait_for_state(wsc::Client &client, int state, int timeout_ms);

// Runs fn (returning a status), turning exceptions into statuses: nothing
// throws across the ABI.
template <class F>
int guarded(F &&fn) {
  try {
    return fn();
  } catch (const wsc::Error &e) {
    return fail(static_cast<int>(e.status()), e.detail());
  } catch (const std::bad_alloc &) {
    return fail(WSC_ENOMEM, "out of memory");
  } catch (const std::exception &e) {
    return fail(WSC_EINTERNAL, e.what());
  } catch (...) {
    return fail(WSC_EINTERNAL, "unknown exception");
  }
}

}  // namespace wsc::capi
