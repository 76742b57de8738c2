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
};

namespace wsc::capi {

// Sets wsc_last_error_detail() for this thread and returns status.
int fail(int status, std::string detail);

// Runs fn (returning a status), turning exceptions into statuses: nothing
// throws across the ABI.
template <class F>
int guarded(F &&fn) {
  try {
    return fn();
  } catch (const wsc::Error &e) {
    return fail(static_cast<int>(e.status()), e.what());
  } catch (const std::bad_alloc &) {
    return fail(WSC_ENOMEM, "out of memory");
  } catch (const std::exception &e) {
    return fail(WSC_EINTERNAL, e.what());
  } catch (...) {
    return fail(WSC_EINTERNAL, "unknown exception");
  }
}

}  // namespace wsc::capi
