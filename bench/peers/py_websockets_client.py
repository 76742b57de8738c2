#!/usr/bin/python3
"""Peer client on Python websockets (Debian python3-websockets 10.4, asyncio).
Same CLI, protocol and RESULT line as the C/C++ clients (bench/bench_common.h)."""
import argparse
import asyncio
import ssl
import sys
import time

import websockets

from bench_common import add_wire_args, cpu_s, payload, result_msgs, result_scale, rss_kb


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="ws://127.0.0.1:9001/")
    ap.add_argument("--mode", default="throughput", choices=["throughput", "latency", "connect", "scale"])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--window", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--ping-ms", type=int, default=10000)
    ap.add_argument("--idle-ms", type=int, default=12000)
    add_wire_args(ap)
    a = ap.parse_args()
    a.client = "py_websockets"
    if a.mode == "latency":
        a.window = 1
    return a


def wire(a):
    """connect() keywords for --ca (wss; full handshakes: websockets has no session reuse)
    and --deflate."""
    kw = {"compression": "deflate" if a.deflate else None}
    if a.url.startswith("wss:"):
        kw["ssl"] = ssl.create_default_context(cafile=a.ca)
    return kw


async def messages(a):
    pat = payload(a.size, a.payload)
    tail = pat[8:]
    t_send = [0] * a.count
    rtt = [0] * a.count
    sem = asyncio.Semaphore(a.window)
    async with websockets.connect(a.url, **wire(a), max_size=None, ping_interval=None,
                                  max_queue=None) as ws:
        async def sender():
            for seq in range(a.count):
                await sem.acquire()
                t_send[seq] = time.perf_counter_ns()
                await ws.send(seq.to_bytes(8, "little") + tail)

        async def receiver():
            for seq in range(a.count):
                m = await ws.recv()
                now = time.perf_counter_ns()
                if (len(m) != a.size or int.from_bytes(m[:8], "little") != seq
                        or m[8:] != tail):
                    print("verify: message %d differs" % seq, file=sys.stderr)
                    return -1, 0
                rtt[seq] = now - t_send[seq]
                sem.release()
            return seq + 1, now

        t0 = time.perf_counter_ns()
        _, (verified, t_end) = await asyncio.gather(sender(), receiver())
        if verified != a.count:
            return 1
    result_msgs(a, (t_end - t0) / 1e9, rtt, verified)
    return 0


async def connect(a):
    lat = []
    t0 = time.perf_counter_ns()
    for _ in range(a.count):
        s = time.perf_counter_ns()
        ws = await websockets.connect(a.url, **wire(a), ping_interval=None)
        await ws.close()
        if ws.close_code != 1000:
            print("close not clean: %s" % ws.close_code, file=sys.stderr)
            return 1
        lat.append(time.perf_counter_ns() - s)
    result_msgs(a, (time.perf_counter_ns() - t0) / 1e9, lat, a.count)
    return 0


async def scale(a):
    rss0 = rss_kb()
    t0 = time.perf_counter_ns()
    conns = await asyncio.gather(*[
        websockets.connect(a.url, compression=None, ping_interval=a.ping_ms / 1000.0,
                           ping_timeout=30, open_timeout=60) for _ in range(a.conns)])
    open_s = (time.perf_counter_ns() - t0) / 1e9
    rss1 = rss_kb()
    c0, w0 = cpu_s(), time.perf_counter_ns()
    await asyncio.sleep(a.idle_ms / 1000.0)
    cpu, wall = cpu_s() - c0, (time.perf_counter_ns() - w0) / 1e9
    dropped = sum(1 for c in conns if c.closed)
    if dropped:
        print("scale: %d connections dropped while idle" % dropped, file=sys.stderr)
        return 1
    result_scale(a, open_s, rss0, rss1, cpu, wall, len(conns))
    await asyncio.gather(*[c.close() for c in conns])
    return 0


def main():
    a = args()
    fn = {"connect": connect, "scale": scale}.get(a.mode, messages)
    return asyncio.run(fn(a))


if __name__ == "__main__":
    sys.exit(main())
