#include "msgpack_rpc.hpp"

#include <msgpack.hpp>

namespace wsc::detail {

namespace {

constexpr int kRequest = 0, kResponse = 1, kNotification = 2;

std::string packed(const msgpack::object &o) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, o);
  return std::string(buffer.data(), buffer.size());
}

class MsgpackRpc final : public UnbatchedProtocol {
 public:
  explicit MsgpackRpc(size_t max_depth) : max_depth_(max_depth) {}

  MessageType frame_type() const override { return MessageType::Binary; }
  const char *name() const override { return "MessagePack-RPC"; }

  std::string check_payload(std::string_view payload, bool params) const override {
    if (payload.empty()) return {};
    try {
      size_t offset = 0;
      msgpack::object_handle h = unpack(payload, offset);
      if (offset != payload.size()) return "more than one MessagePack value";
      if (params && h.get().type != msgpack::type::ARRAY)
        return "MessagePack-RPC params must be an array";
    } catch (const std::exception &e) {
      return std::string("not valid MessagePack: ") + e.what();
    }
    return {};
  }

  std::string request(uint64_t id, std::string_view method,
                      std::string_view params) const override {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_array(4).pack(kRequest).pack(id).pack(method);
    return with_params(b, params);
  }

  std::string notification(std::string_view method, std::string_view params) const override {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_array(3).pack(kNotification).pack(method);
    return with_params(b, params);
  }

  std::string result(std::string_view reply_id, std::string_view result) const override {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_array(4).pack(kResponse);
    b.write(reply_id.data(), reply_id.size());
    p.pack_nil();
    if (result.empty())
      p.pack_nil();
    else
      b.write(result.data(), result.size());
    return std::string(b.data(), b.size());
  }

  std::string error(std::string_view reply_id, const RpcError &error) const override {
    msgpack::sbuffer b;
    msgpack::packer<msgpack::sbuffer> p(b);
    p.pack_array(4).pack(kResponse);
    b.write(reply_id.data(), reply_id.size());
    // The spec leaves the error object open; wsc sends [code, message(, data)].
    p.pack_array(error.data.empty() ? 2 : 3).pack(error.code).pack(error.message);
    if (!error.data.empty()) b.write(error.data.data(), error.data.size());
    p.pack_nil();
    return std::string(b.data(), b.size());
  }

  void decode(MessageType type, std::string_view frame, RpcDecoded &out) const override {
    if (type != MessageType::Binary) {
      out.problems.push_back("MessagePack-RPC expects binary frames, got a text frame");
      return;
    }
    msgpack::object_handle h;
    try {
      size_t offset = 0;
      h = unpack(frame, offset);
      if (offset != frame.size()) throw std::runtime_error("bytes after the message");
    } catch (const std::exception &e) {
      out.problems.push_back(std::string("not a MessagePack value: ") + e.what());
      return;
    }
    try {
      decode_message(h.get(), out);
    } catch (const msgpack::type_error &) {
      out.problems.push_back("a MessagePack-RPC message with a field of the wrong type");
    }
  }

 private:
  // Element counts cannot exceed the bytes they take, nor nesting max_depth_.
  msgpack::object_handle unpack(std::string_view data, size_t &offset) const {
    const size_t n = data.size();
    return msgpack::unpack(data.data(), n, offset, nullptr, nullptr,
                           msgpack::unpack_limit(n, n / 2, n, n, n, max_depth_));
  }

  static std::string with_params(msgpack::sbuffer &b, std::string_view params) {
    if (params.empty()) {
      msgpack::packer<msgpack::sbuffer>(b).pack_array(0);
    } else {
      b.write(params.data(), params.size());
    }
    return std::string(b.data(), b.size());
  }

  static void decode_message(const msgpack::object &o, RpcDecoded &out) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 3) {
      out.problems.push_back("a MessagePack-RPC message must be an array of 3 or 4");
      return;
    }
    const msgpack::object *f = o.via.array.ptr;
    const uint32_t size = o.via.array.size;
    if (f[0].type != msgpack::type::POSITIVE_INTEGER) {
      out.problems.push_back("a MessagePack-RPC message type must be 0, 1 or 2");
      return;
    }
    const uint64_t kind = f[0].as<uint64_t>();
    RpcIncoming in;
    if (kind == kRequest && size == 4) {
      if (f[1].type != msgpack::type::POSITIVE_INTEGER) {
        out.problems.push_back("a request's msgid must be an unsigned integer");
        return;
      }
      in.kind = RpcIncoming::Kind::Request;
      in.reply_id = packed(f[1]);
      if (!method_params(f[2], f[3], in, out)) return;
    } else if (kind == kNotification && size == 3) {
      in.kind = RpcIncoming::Kind::Notification;
      if (!method_params(f[1], f[2], in, out)) return;
    } else if (kind == kResponse && size == 4) {
      if (f[1].type != msgpack::type::POSITIVE_INTEGER || f[1].as<uint64_t>() == 0) {
        out.problems.push_back("response msgid " + packed_text(f[1]) + " is not an id wsc sent");
        return;
      }
      in.id = f[1].as<uint64_t>();
      if (f[2].is_nil()) {
        in.kind = RpcIncoming::Kind::Result;
        in.payload = packed(f[3]);
      } else {
        in.kind = RpcIncoming::Kind::Error;
        in.error = error_from(f[2]);
      }
    } else {
      out.problems.push_back("a MessagePack-RPC message of unknown type " + std::to_string(kind) +
                             " or size " + std::to_string(size));
      return;
    }
    out.messages.push_back(std::move(in));
  }

  static bool method_params(const msgpack::object &method, const msgpack::object &params,
                            RpcIncoming &in, RpcDecoded &out) {
    if (method.type != msgpack::type::STR) {
      out.problems.push_back("a MessagePack-RPC method must be a string");
      return false;
    }
    if (params.type != msgpack::type::ARRAY) {
      out.problems.push_back("MessagePack-RPC params must be an array");
      return false;
    }
    in.method = method.as<std::string>();
    in.payload = packed(params);
    return true;
  }

  // Forms seen in the wild: [code, message(, data)], a message string, or
  // a map with "code"/"message". data is always the whole error, encoded.
  static RpcError error_from(const msgpack::object &e) {
    RpcError error;
    error.data = packed(e);
    if (e.type == msgpack::type::STR) {
      error.message = e.as<std::string>();
    } else if (e.type == msgpack::type::ARRAY && e.via.array.size >= 2) {
      const msgpack::object *f = e.via.array.ptr;
      if (f[0].type == msgpack::type::POSITIVE_INTEGER ||
          f[0].type == msgpack::type::NEGATIVE_INTEGER)
        error.code = f[0].as<int64_t>();
      if (f[1].type == msgpack::type::STR) error.message = f[1].as<std::string>();
    } else if (e.type == msgpack::type::MAP) {
      for (uint32_t i = 0; i < e.via.map.size; ++i) {
        const auto &kv = e.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR) continue;
        const std::string key = kv.key.as<std::string>();
        if (key == "code" && (kv.val.type == msgpack::type::POSITIVE_INTEGER ||
                              kv.val.type == msgpack::type::NEGATIVE_INTEGER))
          error.code = kv.val.as<int64_t>();
        if (key == "message" && kv.val.type == msgpack::type::STR)
          error.message = kv.val.as<std::string>();
      }
    }
    return error;
  }

  static std::string packed_text(const msgpack::object &o) {
    std::ostringstream s;
    s << o;
    std::string text = s.str();
    if (text.size() > 64) text = text.substr(0, 64) + "...";
    return text;
  }

  const size_t max_depth_;
};

}  // namespace

std::unique_ptr<WireProtocol> make_msgpack_rpc(size_t max_depth) {
  return std::make_unique<MsgpackRpc>(max_depth);
}

}  // namespace wsc::detail
