// JSON-RPC 2.0 with wsc::RpcClient: a call, a notification, a handler the
// server may call, and a batch. Try it against the json-rpc-2.0 test peer:
//   node tests/peers/node/jsonrpc_peer.js   (prints PORT n)
//   c++ -std=c++17 rpc_jsonrpc.cpp $(pkg-config --cflags --libs wsc) -o rpc_jsonrpc
//   ./rpc_jsonrpc ws://127.0.0.1:n/
#include <iostream>
#include <wsc/rpc.hpp>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " ws://host:port/\n";
    return 2;
  }
  wsc::Loop loop;
  wsc::Callbacks callbacks;
  callbacks.on_error = [](wsc::Status, std::string_view why) { std::cerr << why << "\n"; };
  wsc::RpcClient rpc(loop, argv[1], {}, {}, callbacks);

  // The server may call us: answer client.double with twice the number.
  rpc.on("client.double", [](std::string_view params) {
    const int x = std::stoi(std::string(params.substr(1)));  // "[21]" -> 21
    return wsc::RpcReply::success(std::to_string(2 * x));
  });

  try {
    // Params and results are JSON text: use any JSON library to build them.
    std::cout << "add -> " << rpc.call("add", "[2, 3]").get() << "\n";
    rpc.notify("note", R"({"hello": "world"})");
    std::cout << "ask_client -> "
              << rpc.call("ask_client", R"(["client.double", [21]])", std::chrono::seconds(5)).get()
              << "\n";
    rpc.call("fail", "[]").get();
  } catch (const wsc::RpcCallError &e) {
    std::cout << "fail -> error " << e.error().code << " " << e.error().message << "\n";
  } catch (const wsc::Error &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  rpc.client().close();
  rpc.client().wait(wsc::State::Closed, std::chrono::seconds(5));
}
