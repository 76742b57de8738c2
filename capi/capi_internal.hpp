// What the C ABI's files share: the handles wrapping the C++ API, and the
// thread-local detail behind wsc_last_error_detail(). Not installed.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <wsc/client.hpp>

#include "wsc.h"

struct wsc_loop {
  wsc::Loop loop;
};

struct wsc_options {
  wsc::Options options;
  wsc_control_cb on_control = nullptr;  // wsc_options_set_on_control
  void *on_control_user = nullptr;
};

namespace wsc::capi {

// Sets wsc_last_error_detail() for this thread and returns status.
int fail(int status, std::string detail);

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
