#!/usr/bin/env python3
"""rpc: calls, a notification and a handler over wsc.rpc, in any of the
three protocols, against the project's test peers:

    node tests/peers/node/jsonrpc_peer.js                 # JSON-RPC 2.0, prints PORT n
    python3 rpc.py jsonrpc ws://127.0.0.1:n/
    /usr/bin/python3 tests/peers/msgpack_rpc_peer.py      # MessagePack-RPC
    python3 rpc.py msgpack ws://127.0.0.1:n/
    /usr/bin/python3 tests/peers/protobuf_rpc_peer.py     # the protobuf envelope
    python3 rpc.py protobuf ws://127.0.0.1:n/

Run from a source tree with PYTHONPATH=bindings/python and WSC_LIBRARY set
to the built libwsc.so.0; /usr/bin/python3 has Debian's msgpack and protobuf.
"""
import asyncio
import sys

import wsc
from wsc import rpc


def plain(protocol, url):
    """JSON-RPC and MessagePack-RPC: params and results are Python values."""
    with rpc.connect(url, protocol=protocol, open_timeout=5) as client:
        # The peer may call us: answer client.double with twice the number.
        client.on("client.double", lambda params: params[0] * 2)
        print("add ->", client.call("add", [2, 3], timeout=5))
        client.notify("note", ["hello"])
        print("ask_client ->", client.call("ask_client", ["client.double", [21]], timeout=5))
        try:
            client.call("fail", [])
        except wsc.RemoteError as e:
            print("fail -> error", e.code, e.message)

    async def concurrently():
        async with await rpc.connect_async(url, protocol=protocol) as client:
            # With asyncio a handler may be a coroutine: its result is the answer.
            async def slow_double(params):
                await asyncio.sleep(0.01)
                return params[0] * 2

            client.on("client.slow_double", slow_double)
            print("ask_client (async handler) ->",
                  await client.call("ask_client", ["client.slow_double", [21]]))
            results = await asyncio.gather(*(client.call("add", [i, i]) for i in range(100)))
            print("100 concurrent adds ->", results[:5], "...")

    asyncio.run(concurrently())


def protobuf(url):
    """The protobuf envelope: params and results are protobuf messages (here
    well-known types, so no .proto of our own is needed)."""
    from google.protobuf import struct_pb2

    with rpc.connect(url, protocol=rpc.PROTOBUF, open_timeout=5) as client:
        params = struct_pb2.ListValue()
        params.extend([2, 3])
        print("add ->", struct_pb2.Value.FromString(client.call("add", params)).number_value)
        try:
            client.call("fail", b"")
        except wsc.RemoteError as e:
            print("fail -> error", e.code, e.message)


def main(argv):
    if len(argv) != 3 or argv[1] not in (rpc.JSONRPC, rpc.MSGPACK, rpc.PROTOBUF):
        print("usage: rpc.py jsonrpc|msgpack|protobuf ws://HOST:PORT/", file=sys.stderr)
        return 2
    try:
        if argv[1] == rpc.PROTOBUF:
            protobuf(argv[2])
        else:
            plain(argv[1], argv[2])
    except wsc.WscError as e:
        print("error:", e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
