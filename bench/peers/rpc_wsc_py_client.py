#!/usr/bin/python3
"""RPC bench client on the wsc Python binding's asyncio JSON-RPC client (wsc.rpc):

    WSC_LIBRARY=build/libwsc.so.0 PYTHONPATH=bindings/python \\
        bench/peers/rpc_wsc_py_client.py --url ws://127.0.0.1:PORT/ --size S --window W --count N

Calls, params, window and RESULT line: bench/peers/rpc_bench_common.py."""
import asyncio
import sys

from wsc import rpc
from rpc_bench_common import args, run_window


async def main(a):
    async with await rpc.connect_async(a.url, timeout=60, open_timeout=10,
                                       max_message_bytes=a.size + 1024) as client:
        await run_window(a, lambda params: client.call("echo", params))


if __name__ == "__main__":
    sys.exit(asyncio.run(main(args("rpc_wsc_py"))))
