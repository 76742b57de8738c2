// MessagePack-RPC with wsc::RpcClient and msgpack-cxx: a call, a
// notification, and a handler that answers later from another thread
// (on_deferrable: the loop thread goes on meanwhile). Try it against the
// test peer:
//   /usr/bin/python3 tests/peers/msgpack_rpc_peer.py   (prints PORT n)
//   c++ -std=c++17 rpc_msgpack.cpp $(pkg-config --cflags --libs wsc) -o rpc_msgpack
//   ./rpc_msgpack ws://127.0.0.1:n/
#include <iostream>
#include <map>
#include <msgpack.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>
#include <wsc/rpc.hpp>

template <class T>
std::string pack(const T &value) {
  msgpack::sbuffer b;
  msgpack::pack(b, value);
  return {b.data(), b.size()};
}

template <class T>
T unpack(std::string_view bytes) {
  return msgpack::unpack(bytes.data(), bytes.size())->as<T>();
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " ws://host:port/\n";
    return 2;
  }
  wsc::Loop loop;
  wsc::RpcOptions options;
  options.protocol = wsc::RpcProtocol::MsgpackRpc;
  wsc::RpcClient rpc(loop, argv[1], {}, options);

  // The server calls client.slow_double [x]; a worker answers 2x later.
  std::vector<std::thread> workers;
  rpc.on_deferrable("client.slow_double", [&](std::string_view params, wsc::RpcResponder &later) {
    const auto [x] = unpack<std::tuple<int>>(params);
    workers.emplace_back([x, responder = std::move(later)]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // some work
      responder.result(pack(2 * x));
    });
    return wsc::RpcReply::deferred();
  });

  try {
    std::cout << "add -> " << unpack<int>(rpc.call("add", pack(std::make_tuple(2, 3))).get())
              << "\n";
    rpc.notify("note", pack(std::make_tuple("hello")));
    // ask_client makes the server call us and answers {"result": what we answered}.
    const auto answer = unpack<std::map<std::string, int>>(
        rpc.call("ask_client", pack(std::make_tuple("client.slow_double", std::make_tuple(21))))
            .get());
    std::cout << "ask_client -> " << answer.at("result") << "\n";
  } catch (const wsc::Error &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  for (auto &w : workers) w.join();
  rpc.client().close();
  rpc.client().wait(wsc::State::Closed, std::chrono::seconds(5));
}
