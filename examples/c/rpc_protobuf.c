/* The protobuf envelope (proto/wsc_envelope.proto) through the C ABI: the
 * library writes and reads the envelope; the payloads are protobuf bytes of
 * your own messages (here google.protobuf.ListValue params and a Value
 * result, encoded by hand; use protobuf-c or nanopb). Try it against the
 * test peer:
 *   /usr/bin/python3 tests/peers/protobuf_rpc_peer.py   (prints PORT n)
 *   cc rpc_protobuf.c $(pkg-config --cflags --libs wsc) -o rpc_protobuf
 *   ./rpc_protobuf ws://127.0.0.1:n/ */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wsc/wsc_rpc.h>

/* A google.protobuf.Value holding number x: field 2 (number_value), a
 * little-endian double (x86 and arm64 store doubles little endian). */
static size_t number_value(double x, unsigned char out[9]) {
  out[0] = 0x11;
  memcpy(out + 1, &x, 8);
  return 9;
}

int main(int argc, char **argv) {
  wsc_rpc_config cfg;
  wsc_rpc *rpc;
  wsc_rpc_result *r = NULL;
  unsigned char params[22], value[9];
  size_t n = 0;
  double sum = 0;
  int status;
  if (argc != 2) return fprintf(stderr, "usage: %s ws://host:port/\n", argv[0]), 2;
  /* ListValue [2, 3]: field 1 (values), each a length-delimited Value. */
  for (int i = 2; i <= 3; i++) {
    params[n++] = 0x0a;
    params[n++] = (unsigned char)number_value(i, value);
    memcpy(params + n, value, sizeof value);
    n += sizeof value;
  }
  wsc_rpc_config_init(&cfg);
  cfg.protocol = WSC_RPC_PROTOBUF;
  if (wsc_rpc_connect(NULL, argv[1], NULL, &cfg, NULL, NULL, &rpc) != WSC_OK)
    return fprintf(stderr, "%s\n", wsc_last_error_detail()), 1;
  /* A REQUEST envelope of type "add"; the RESPONSE payload is a Value. */
  status = wsc_rpc_call_wait(rpc, "add", params, n, 5000, &r);
  if (status == WSC_OK && r->len == 9 && r->data[0] == 0x11) {
    memcpy(&sum, r->data + 1, 8);
    printf("add -> %g\n", sum);
  } else {
    fprintf(stderr, "add failed: %s: %s\n", wsc_strerror(status), wsc_last_error_detail());
  }
  wsc_rpc_result_free(r);
  wsc_rpc_close(rpc, 1000, "bye");
  wsc_rpc_wait(rpc, WSC_CLOSED, 5000);
  wsc_rpc_free(rpc);
  return status == WSC_OK && sum == 5 ? 0 : 1;
}
