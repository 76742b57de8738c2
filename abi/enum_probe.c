/* The C ABI's enums in the ABI baseline. Their numbers are a promise
 * ("Numbers never change") but no exported function takes or returns them
 * (statuses, options and states travel as int), so abidw would not see them
 * in libwsc itself, and libabigail 2.2's --load-all-types aborts on it. This
 * probe, built from the public headers only, names every enum in one
 * signature; its corpus is abi/enum_probe.abi, checked like the library's:
 * a renumbered or removed enumerator fails, an appended one passes. */
#include <wsc/wsc.h>
#include <wsc/wsc_rpc.h>

__attribute__((visibility("default"))) int wsc_abi_enum_probe(
    enum wsc_status status, enum wsc_msg_type type, enum wsc_state state, enum wsc_option option,
    enum wsc_breaker_state breaker, enum wsc_rpc_protocol protocol, enum wsc_control control) {
  return (int)status + (int)type + (int)state + (int)option + (int)breaker + (int)protocol +
         (int)control;
}
