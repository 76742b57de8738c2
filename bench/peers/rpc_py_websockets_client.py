#!/usr/bin/python3
"""RPC bench client written the usual way on Python websockets + json (Debian
python3-websockets): one connection, a reader task that resolves the future of each answer
by its id, and calls that send a JSON-RPC request and await their future.

Calls, params, window and RESULT line: bench/peers/rpc_bench_common.py."""
import asyncio
import itertools
import json
import sys

import websockets

from rpc_bench_common import args, run_window


class JsonRpcClient:
    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending = {}
        self.reader = asyncio.ensure_future(self.read())

    async def read(self):
        async for message in self.ws:
            answer = json.loads(message)
            future = self.pending.pop(answer.get("id"), None)
            if future is None:
                continue
            if "error" in answer:
                future.set_exception(RuntimeError(answer["error"]))
            else:
                future.set_result(answer.get("result"))

    async def call(self, method, params):
        request_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        await self.ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method,
                                       "params": params}))
        return await future


async def main(a):
    async with websockets.connect(a.url, max_size=None, compression=None) as ws:
        client = JsonRpcClient(ws)
        await run_window(a, lambda params: client.call("echo", params))


if __name__ == "__main__":
    sys.exit(asyncio.run(main(args("rpc_py_websockets"))))
