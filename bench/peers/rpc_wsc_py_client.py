#!/usr/bin/python3
"""RPC bench client on the wsc Python binding's JSON-RPC clients (wsc.rpc), with the API a
user would pick for the cell:

    WSC_LIBRARY=build/libwsc.so.0 PYTHONPATH=bindings/python \\
        bench/peers/rpc_wsc_py_client.py --url ws://127.0.0.1:PORT/ --size S --window W --count N
        [--api auto|sync|asyncio|map]

  sync     the blocking client, one call after the other (W must be 1): Client.call
  asyncio  the asyncio client, W tasks each awaiting its next call: AsyncClient.call
  map      the blocking client's windowed calls: Client.map(..., window=W)
  auto     (default) sync at W=1, asyncio above

Calls, params, window and RESULT line: bench/peers/rpc_bench_common.py."""
import asyncio
import sys
import time

from wsc import rpc
from rpc_bench_common import args, params_of, run_window
from bench_common import cpu_s, result_msgs

OPTIONS = dict(timeout=60, open_timeout=10)


async def run_asyncio(a):
    async with await rpc.connect_async(a.url, max_message_bytes=a.size + 1024,
                                       **OPTIONS) as client:
        await run_window(a, lambda params: client.call("echo", params))


def run_sync(a):
    """One call at a time: each blocks in the library (GIL released) until its answer."""
    rtt, verified = [0] * a.count, 0
    with rpc.connect(a.url, max_message_bytes=a.size + 1024, **OPTIONS) as client:
        t0, cpu0 = time.perf_counter(), cpu_s()
        for seq in range(a.count):
            params = params_of(seq, a.size)
            t = time.perf_counter_ns()
            result = client.call("echo", params)
            rtt[seq] = time.perf_counter_ns() - t
            verified += result == params
        seconds, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    result_msgs(a, seconds, rtt, verified, cpu)


def run_map(a):
    """Client.map keeps W calls out; a call's latency runs from when map takes its params
    (the call is made right then) to when its result comes out (in order)."""
    rtt, verified, sent = [0] * a.count, 0, [0] * a.count
    params = [params_of(seq, a.size) for seq in range(a.count)]

    def items():
        for seq in range(a.count):
            sent[seq] = time.perf_counter_ns()
            yield params[seq]

    with rpc.connect(a.url, max_message_bytes=a.size + 1024, **OPTIONS) as client:
        t0, cpu0 = time.perf_counter(), cpu_s()
        for seq, result in enumerate(client.map("echo", items(), window=a.window)):
            rtt[seq] = time.perf_counter_ns() - sent[seq]
            verified += result == params[seq]
        seconds, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    result_msgs(a, seconds, rtt, verified, cpu)


def main():
    api = "auto"
    if "--api" in sys.argv:
        i = sys.argv.index("--api")
        api = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    a = args("rpc_wsc_py_map" if api == "map" else "rpc_wsc_py")
    if api == "auto":
        api = "sync" if a.window == 1 else "asyncio"
    if api == "sync" and a.window != 1:
        sys.exit("--api sync makes one call at a time: --window 1")
    if api == "asyncio":
        return asyncio.run(run_asyncio(a))
    return run_sync(a) if api == "sync" else run_map(a)


if __name__ == "__main__":
    sys.exit(main())
