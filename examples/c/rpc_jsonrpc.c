/* JSON-RPC 2.0 through the C ABI: a blocking call, a call with a completion,
 * a notification, and a handler the server calls back. Params and results
 * are JSON text (written by hand here; use any JSON library). Try it against
 * the json-rpc-2.0 test peer:
 *   node tests/peers/node/jsonrpc_peer.js   (prints PORT n)
 *   cc rpc_jsonrpc.c $(pkg-config --cflags --libs wsc) -o rpc_jsonrpc
 *   ./rpc_jsonrpc ws://127.0.0.1:n/ */
#include <stdio.h>
#include <string.h>
#include <wsc/wsc_rpc.h>

/* The server asks client.double [x]: answer 2x. Runs on the loop thread. */
static void on_double(wsc_rpc *rpc, const char *method, const unsigned char *params, size_t len,
                      wsc_rpc_reply *reply, void *user) {
  char text[32], answer[32];
  int x = 0;
  (void)rpc, (void)method, (void)user;
  if (!reply || len >= sizeof text) return;
  memcpy(text, params, len);
  text[len] = '\0';
  if (sscanf(text, "[%d]", &x) != 1) {
    wsc_rpc_reply_error(reply, -32602, "want [x]", NULL, 0);
    return;
  }
  snprintf(answer, sizeof answer, "%d", 2 * x);
  wsc_rpc_reply_result(reply, answer, strlen(answer));
}

/* Makes a blocking call and prints how it ended; returns its status. */
static int call(wsc_rpc *rpc, const char *method, const char *params) {
  wsc_rpc_result *r = NULL;
  const int status = wsc_rpc_call_wait(rpc, method, params, strlen(params), 5000, &r);
  if (status == WSC_OK)
    printf("%s -> %.*s\n", method, (int)r->len, (const char *)r->data);
  else if (status == WSC_EREMOTE)
    printf("%s -> error %lld %s\n", method, (long long)r->error_code, r->message);
  else
    fprintf(stderr, "%s failed: %s: %s\n", method, wsc_strerror(status), wsc_last_error_detail());
  wsc_rpc_result_free(r);
  return status;
}

int main(int argc, char **argv) {
  wsc_rpc *rpc;
  int add, asked, failed;
  if (argc != 2) return fprintf(stderr, "usage: %s ws://host:port/\n", argv[0]), 2;
  /* NULL config: JSON-RPC 2.0, 30 s default deadline. */
  if (wsc_rpc_connect(NULL, argv[1], NULL, NULL, NULL, NULL, &rpc) != WSC_OK)
    return fprintf(stderr, "%s\n", wsc_last_error_detail()), 1;
  wsc_rpc_on(rpc, "client.double", on_double, NULL);

  add = call(rpc, "add", "[2,3]");
  wsc_rpc_notify(rpc, "note", "{\"hello\":\"world\"}", 17);
  asked = call(rpc, "ask_client", "[\"client.double\",[21]]");
  failed = call(rpc, "fail", "[]");

  wsc_rpc_close(rpc, 1000, "bye");
  wsc_rpc_wait(rpc, WSC_CLOSED, 5000);
  wsc_rpc_free(rpc);
  return add == WSC_OK && asked == WSC_OK && failed == WSC_EREMOTE ? 0 : 1;
}
