// The protobuf envelope (proto/wsc_envelope.proto) with wsc::RpcClient: the
// library writes and reads the envelope (type name, id, kind); payloads are
// your messages, serialized (here the well-known google.protobuf.ListValue
// and Value). Try it against the test peer:
//   /usr/bin/python3 tests/peers/protobuf_rpc_peer.py   (prints PORT n)
//   c++ -std=c++17 rpc_protobuf.cpp $(pkg-config --cflags --libs wsc protobuf) -o rpc_protobuf
//   ./rpc_protobuf ws://127.0.0.1:n/
#include <google/protobuf/struct.pb.h>

#include <iostream>
#include <wsc/rpc.hpp>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " ws://host:port/\n";
    return 2;
  }
  wsc::Loop loop;
  wsc::RpcOptions options;
  options.protocol = wsc::RpcProtocol::ProtobufEnvelope;
  wsc::RpcClient rpc(loop, argv[1], {}, options);

  // The server sends REQUESTs of type client.double with a ListValue [x].
  rpc.on("client.double", [](std::string_view payload) {
    google::protobuf::ListValue params;
    if (!params.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
        params.values_size() != 1)
      return wsc::RpcReply::failure(-32602, "want [x]");
    google::protobuf::Value doubled;
    doubled.set_number_value(2 * params.values(0).number_value());
    return wsc::RpcReply::success(doubled.SerializeAsString());
  });

  try {
    google::protobuf::ListValue params;
    params.add_values()->set_number_value(2);
    params.add_values()->set_number_value(3);
    google::protobuf::Value sum;
    sum.ParseFromString(rpc.call("add", params.SerializeAsString()).get());
    std::cout << "add -> " << sum.number_value() << "\n";

    google::protobuf::ListValue ask;
    ask.add_values()->set_string_value("client.double");
    ask.add_values()->set_number_value(21);
    google::protobuf::Struct answer;  // the peer's {"result": what we answered}
    answer.ParseFromString(rpc.call("ask_client", ask.SerializeAsString()).get());
    std::cout << "ask_client -> " << answer.fields().at("result").number_value() << "\n";
    rpc.call("fail", "").get();
  } catch (const wsc::RpcCallError &e) {  // an ERROR envelope
    std::cout << "fail -> error " << e.error().code << " " << e.error().message << "\n";
  } catch (const wsc::Error &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  rpc.client().close();
  rpc.client().wait(wsc::State::Closed, std::chrono::seconds(5));
}
