// Compile check: <wsc/wsc.h> must build as C++ with -Wall -Wextra -pedantic
// -Werror and give C linkage to its declarations. Called from header_c99.c.
#include <wsc/wsc.h>
#include <wsc/wsc_rpc.h>

#include <cstring>
#include <type_traits>

extern "C" int wsc_header_cpp_check(void);

namespace {

void on_close(wsc_conn *, int, const char *, void *) {}

static_assert(
    std::is_same<decltype(&wsc_send), int (*)(wsc_conn *, int, const void *, size_t)>::value,
    "wsc_send signature");
static_assert(WSC_OK == 0 && WSC_EINVAL < 0, "status values");
static_assert(WSC_OPT_SUBPROTOCOLS == 100, "string options start at 100");

}  // namespace

extern "C" int wsc_header_cpp_check(void) {
  wsc_callbacks cbs{};
  cbs.struct_size = sizeof cbs;
  cbs.on_close = on_close;
  wsc_stats stats{};
  stats.struct_size = sizeof stats;
  const char *v = wsc_version();
  if (v == nullptr || std::strlen(v) == 0) return 1;
  if (std::strcmp(wsc_strerror(-123456), "unknown status") != 0) return 1;
  const int status = WSC_ETOOBIG;
  if (wsc_strerror(status)[0] == '\0') return 1;
  return cbs.on_close != nullptr && stats.struct_size == sizeof(wsc_stats) ? 0 : 1;
}
