/* MessagePack-RPC through the C ABI: params and results are msgpack bytes
 * (here written by hand; use any msgpack library). Try it against the test
 * peer:
 *   /usr/bin/python3 tests/peers/msgpack_rpc_peer.py   (prints PORT n)
 *   cc rpc_msgpack.c $(pkg-config --cflags --libs wsc) -o rpc_msgpack
 *   ./rpc_msgpack ws://127.0.0.1:n/ */
#include <stdio.h>
#include <wsc/wsc_rpc.h>

int main(int argc, char **argv) {
  wsc_rpc_config cfg;
  wsc_rpc *rpc;
  wsc_rpc_result *result;
  static const unsigned char params[] = {0x92, 0x02, 0x03}; /* [2, 3] */
  int status;
  if (argc != 2) return fprintf(stderr, "usage: %s ws://host:port/\n", argv[0]), 2;
  wsc_rpc_config_init(&cfg);
  cfg.protocol = WSC_RPC_MSGPACKRPC;
  if (wsc_rpc_connect(NULL, argv[1], NULL, &cfg, NULL, NULL, &rpc) != WSC_OK)
    return fprintf(stderr, "%s\n", wsc_last_error_detail()), 1;
  status = wsc_rpc_call_wait(rpc, "add", params, sizeof params, 5000, &result);
  if (status == WSC_OK && result->len == 1) /* a positive fixint */
    printf("add -> %d\n", result->data[0]);
  else
    fprintf(stderr, "add failed: %s: %s\n", wsc_strerror(status), wsc_last_error_detail());
  wsc_rpc_result_free(result);
  wsc_rpc_close(rpc, 1000, "bye");
  wsc_rpc_wait(rpc, WSC_CLOSED, 5000);
  wsc_rpc_free(rpc);
  return status == WSC_OK ? 0 : 1;
}
