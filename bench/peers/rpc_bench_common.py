"""Shared by the Python RPC benchmark clients (bench/rpc_run): the command line, the params
and the window of outstanding calls. Every client makes N calls of "echo" with params
[seq, "xx...x"] of S bytes as compact JSON (the server answers with the params as the
result), keeps at most W calls outstanding (W tasks, each making its next call when its last
one ends), checks every result is its own params, and prints the RESULT line of
bench/bench_common.h (mode throughput)."""
import argparse
import asyncio
import time

from bench_common import cpu_s, result_msgs


def args(client):
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="ws://127.0.0.1:9001/")
    ap.add_argument("--mode", default="throughput", choices=["throughput"])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--window", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    a = ap.parse_args()
    a.client = client
    return a


def params_of(seq, size):
    """[seq, "x...x"]: size bytes of compact JSON (longer when size is too small)."""
    fixed = len(str(seq)) + 5  # [seq,""]
    return [seq, "x" * max(0, size - fixed)]


async def run_window(a, call):
    """Runs a.count awaits of call(params) with at most a.window outstanding; prints RESULT."""
    rtt = [0] * a.count
    verified = 0
    next_seq = 0

    async def worker():
        nonlocal next_seq, verified
        while next_seq < a.count:
            seq = next_seq
            next_seq += 1
            params = params_of(seq, a.size)
            t = time.perf_counter_ns()
            result = await call(params)
            rtt[seq] = time.perf_counter_ns() - t
            verified += result == params

    t0, cpu0 = time.perf_counter(), cpu_s()
    await asyncio.gather(*(worker() for _ in range(min(a.window, a.count))))
    seconds, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    result_msgs(a, seconds, rtt, verified, cpu)
