#include "protobuf_rpc.hpp"

#include <charconv>

#include "wsc_envelope.pb.h"

namespace wsc::detail {

namespace {

using Envelope = wsc::envelope::Envelope;

std::string serialized(const Envelope &e) {
  std::string out;
  if (!e.SerializeToString(&out)) throw Error(Status::WSC_EINTERNAL, "protobuf serialization");
  return out;
}

// reply_id is the request's id in decimal (the engine treats it as opaque).
uint64_t id_of(std::string_view reply_id) {
  uint64_t id = 0;
  std::from_chars(reply_id.data(), reply_id.data() + reply_id.size(), id);
  return id;
}

class ProtobufRpc final : public UnbatchedProtocol {
 public:
  MessageType frame_type() const override { return MessageType::Binary; }
  const char *name() const override { return "protobuf envelope"; }

  // Payloads are the application's protobuf bytes: any bytes are acceptable.
  std::string check_payload(std::string_view, bool) const override { return {}; }

  std::string request(uint64_t id, std::string_view method,
                      std::string_view params) const override {
    return envelope(Envelope::REQUEST, id, method, params);
  }

  std::string notification(std::string_view method, std::string_view params) const override {
    return envelope(Envelope::EVENT, 0, method, params);
  }

  std::string result(std::string_view reply_id, std::string_view result) const override {
    return envelope(Envelope::RESPONSE, id_of(reply_id), {}, result);
  }

  std::string error(std::string_view reply_id, const RpcError &error) const override {
    Envelope e;
    e.set_kind(Envelope::ERROR);
    e.set_id(id_of(reply_id));
    e.set_error_code(error.code);
    e.set_error_message(error.message);
    e.set_payload(error.data);
    return serialized(e);
  }

  void decode(MessageType type, std::string_view frame, RpcDecoded &out) const override {
    if (type != MessageType::Binary) {
      out.problems.push_back("the protobuf envelope expects binary frames, got a text frame");
      return;
    }
    if (frame.size() > static_cast<size_t>(INT32_MAX)) {
      out.problems.push_back("a frame too large for a protobuf message");
      return;
    }
    Envelope e;
    if (!e.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
      out.problems.push_back("not a wsc.envelope.Envelope (protobuf parse failed)");
      return;
    }
    RpcIncoming in;
    switch (e.kind()) {
      case Envelope::REQUEST:
        if (e.id() == 0 || e.type().empty()) {
          out.problems.push_back("a REQUEST needs an id > 0 and a type");
          return;
        }
        in.kind = RpcIncoming::Kind::Request;
        in.reply_id = std::to_string(e.id());
        in.method = e.type();
        in.payload = std::move(*e.mutable_payload());
        break;
      case Envelope::EVENT:
        if (e.type().empty()) {
          out.problems.push_back("an EVENT needs a type");
          return;
        }
        in.kind = RpcIncoming::Kind::Notification;
        in.method = e.type();
        in.payload = std::move(*e.mutable_payload());
        break;
      case Envelope::RESPONSE:
        in.kind = RpcIncoming::Kind::Result;
        in.id = e.id();
        in.payload = std::move(*e.mutable_payload());
        break;
      case Envelope::ERROR:
        in.kind = RpcIncoming::Kind::Error;
        in.id = e.id();
        in.error = {e.error_code(), e.error_message(), std::move(*e.mutable_payload())};
        break;
      default:
        out.problems.push_back("an envelope of unknown kind " + std::to_string(e.kind()));
        return;
    }
    out.messages.push_back(std::move(in));
  }

 private:
  static std::string envelope(Envelope::Kind kind, uint64_t id, std::string_view type,
                              std::string_view payload) {
    Envelope e;
    e.set_kind(kind);
    e.set_id(id);
    e.set_type(std::string(type));
    e.set_payload(std::string(payload));
    return serialized(e);
  }
};

}  // namespace

std::unique_ptr<WireProtocol> make_protobuf_rpc() { return std::make_unique<ProtobufRpc>(); }

}  // namespace wsc::detail
