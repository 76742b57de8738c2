// What the C ABI's files share: the handles wrapping the C++ API, and the
// thread-local detail behind wsc_last_error_detail(). Not installed.
#pragma once

#include <string>
#include <wsc/client.hpp>

struct wsc_loop {
  wsc::Loop loop;
};

struct wsc_options {
  wsc::Options options;
};

namespace wsc::capi {

// Sets wsc_last_error_detail() for this thread and returns status.
int fail(int status, std::string detail);

}  // namespace wsc::capi
