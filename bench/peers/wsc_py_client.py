#!/usr/bin/python3
"""Bench client on the wsc Python binding (bindings/python), sync or asyncio API.

    WSC_LIBRARY=build/libwsc.so.0 PYTHONPATH=bindings/python \\
        bench/peers/wsc_py_client.py --api sync|async --url ws://127.0.0.1:PORT/ --mode ...

Same CLI, protocol and RESULT line as the C/C++ clients (bench/bench_common.h): binary
messages of S bytes, bytes 0..7 the sequence number (uint64 little endian, as in
bench_common.h and the other peers), then the pattern (i * 7 + 13) & 0xff; every echo is
checked for length, in-order sequence number and bytes. The client name in the RESULT
line is wsc_py_sync or wsc_py_async.

- sync throughput/latency: one thread keeps up to W messages ahead (send() is
  non-blocking with a bounded queue; on QueueFull it waits with send(wait=...)), then
  recv()s one echo.
- async throughput/latency: a sender task and a receiver task with a semaphore of W.
- connect: N sequential open + close handshakes; the close must end with code 1000.
- scale: C connections with the library's heartbeat (ping_interval_ms = --ping-ms).
  sync opens them from a pool of threads (connect() blocks until open); async opens
  them all at once with asyncio.gather. After --idle-ms every one must still be open.
"""
import argparse
import asyncio
import concurrent.futures
import sys
import time

import wsc
from bench_common import check, cpu_s, fail, pattern_tail, result_msgs, result_scale, rss_kb

SEND_WAIT_S = 30.0   # the longest a sync send waits for room in the send queue
RECV_TIMEOUT_S = 30.0
OPEN_TIMEOUT_S = 60.0


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", default="sync", choices=["sync", "async"])
    ap.add_argument("--url", default="ws://127.0.0.1:9001/")
    ap.add_argument("--mode", default="throughput",
                    choices=["throughput", "latency", "connect", "scale"])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--window", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--ping-ms", type=int, default=10000)
    ap.add_argument("--idle-ms", type=int, default=12000)
    ap.add_argument("--scale-threads", type=int, default=32,
                    help="sync scale: threads opening connections concurrently")
    a = ap.parse_args()
    if a.mode == "latency":
        a.window = 1
    if a.size < 8 or a.window < 1 or a.count < 1 or a.conns < 1:
        ap.error("need --size >= 8, --window >= 1, --count >= 1, --conns >= 1")
    a.client = "wsc_py_" + a.api
    return a


def clean_close_code(exc):
    """1000 if exc says the connection ended with a clean 1000 close, else a description."""
    if isinstance(exc, wsc.ConnectionClosedOK) and exc.code == 1000:
        return 1000
    return "%s: %s" % (type(exc).__name__, exc)


# --- sync API -------------------------------------------------------------------------------

def sync_messages(a):
    tail = pattern_tail(a.size)
    t_send = [0] * a.count
    rtt = [0] * a.count
    ws = wsc.connect(a.url, open_timeout=OPEN_TIMEOUT_S)
    try:
        sent = received = 0
        now = t0 = time.perf_counter_ns()
        while received < a.count:
            while sent < a.count and sent - received < a.window:
                msg = sent.to_bytes(8, "little") + tail
                t_send[sent] = time.perf_counter_ns()
                try:
                    ws.send(msg)
                except wsc.QueueFull:
                    ws.send(msg, wait=SEND_WAIT_S)
                sent += 1
            m = ws.recv(timeout=RECV_TIMEOUT_S)
            now = time.perf_counter_ns()
            why = check(m, received, a.size, tail)
            if why:
                return fail(why)
            rtt[received] = now - t_send[received]
            received += 1
        seconds = (now - t0) / 1e9
    finally:
        ws.close()
    result_msgs(a, seconds, rtt, received)
    return 0


def sync_connect(a):
    lat = []
    t0 = time.perf_counter_ns()
    for _ in range(a.count):
        s = time.perf_counter_ns()
        ws = wsc.connect(a.url, open_timeout=OPEN_TIMEOUT_S)
        ws.close(1000, "", timeout=10.0)
        try:
            ws.recv(timeout=0)
            return fail("connect: recv after close returned a message")
        except wsc.WscError as e:
            code = clean_close_code(e)
        if code != 1000:
            return fail("close not clean: %s" % code)
        lat.append(time.perf_counter_ns() - s)
    result_msgs(a, (time.perf_counter_ns() - t0) / 1e9, lat, a.count)
    return 0


def sync_scale(a):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(a.conns, a.scale_threads)))
    opts = dict(open_timeout=OPEN_TIMEOUT_S, ping_interval_ms=a.ping_ms)
    rss0 = rss_kb()
    t0 = time.perf_counter_ns()
    futs = [pool.submit(wsc.connect, a.url, **opts) for _ in range(a.conns)]
    conns, errs = [], []
    for f in futs:
        try:
            conns.append(f.result())
        except Exception as e:  # noqa: BLE001 - reported below
            errs.append(e)
    open_s = (time.perf_counter_ns() - t0) / 1e9
    pool.shutdown()
    rss1 = rss_kb()
    try:
        if errs:
            return fail("scale: %d of %d connects failed: %r" % (len(errs), a.conns, errs[0]))
        c0, w0 = cpu_s(), time.perf_counter_ns()
        time.sleep(a.idle_ms / 1000.0)
        cpu, wall = cpu_s() - c0, (time.perf_counter_ns() - w0) / 1e9
        dropped = sum(1 for c in conns if c.state != wsc.State.OPEN)
        if dropped:
            return fail("scale: %d connections dropped while idle" % dropped)
        result_scale(a, open_s, rss0, rss1, cpu, wall, len(conns))
        return 0
    finally:
        for c in conns:
            c.close(timeout=5.0)


# --- asyncio API ----------------------------------------------------------------------------

async def async_messages(a):
    tail = pattern_tail(a.size)
    t_send = [0] * a.count
    rtt = [0] * a.count
    sem = asyncio.Semaphore(a.window)
    async with wsc.aio.connect(a.url) as ws:
        async def sender():
            for seq in range(a.count):
                await sem.acquire()
                t_send[seq] = time.perf_counter_ns()
                await ws.send(seq.to_bytes(8, "little") + tail)

        async def receiver():
            now = 0
            for seq in range(a.count):
                m = await ws.recv(timeout=RECV_TIMEOUT_S)
                now = time.perf_counter_ns()
                why = check(m, seq, a.size, tail)
                if why:
                    print(why, file=sys.stderr)
                    return -1, 0
                rtt[seq] = now - t_send[seq]
                sem.release()
            return a.count, now

        t0 = time.perf_counter_ns()
        send_task = asyncio.ensure_future(sender())
        try:
            verified, t_end = await receiver()
        finally:
            if not send_task.done():
                send_task.cancel()
        if verified != a.count:
            return 1
        await send_task
    result_msgs(a, (t_end - t0) / 1e9, rtt, verified)
    return 0


async def async_connect(a):
    lat = []
    t0 = time.perf_counter_ns()
    for _ in range(a.count):
        s = time.perf_counter_ns()
        ws = await asyncio.wait_for(wsc.aio.connect(a.url), OPEN_TIMEOUT_S)
        await ws.close(1000, "", timeout=10.0)
        try:
            await ws.recv(timeout=1.0)  # after a finished close this raises at once
            return fail("connect: recv after close returned a message")
        except wsc.WscError as e:
            code = clean_close_code(e)
        if code != 1000:
            return fail("close not clean: %s" % code)
        lat.append(time.perf_counter_ns() - s)
    result_msgs(a, (time.perf_counter_ns() - t0) / 1e9, lat, a.count)
    return 0


async def async_scale(a):
    rss0 = rss_kb()
    t0 = time.perf_counter_ns()
    res = await asyncio.gather(*[
        asyncio.wait_for(wsc.aio.connect(a.url, ping_interval_ms=a.ping_ms), OPEN_TIMEOUT_S)
        for _ in range(a.conns)], return_exceptions=True)
    open_s = (time.perf_counter_ns() - t0) / 1e9
    rss1 = rss_kb()
    conns = [c for c in res if isinstance(c, wsc.aio.Connection)]
    errs = [e for e in res if not isinstance(e, wsc.aio.Connection)]
    try:
        if errs:
            return fail("scale: %d of %d connects failed: %r" % (len(errs), a.conns, errs[0]))
        c0, w0 = cpu_s(), time.perf_counter_ns()
        await asyncio.sleep(a.idle_ms / 1000.0)
        cpu, wall = cpu_s() - c0, (time.perf_counter_ns() - w0) / 1e9
        dropped = sum(1 for c in conns if c.state != wsc.State.OPEN)
        if dropped:
            return fail("scale: %d connections dropped while idle" % dropped)
        result_scale(a, open_s, rss0, rss1, cpu, wall, len(conns))
        return 0
    finally:
        await asyncio.gather(*[c.close(timeout=5.0) for c in conns], return_exceptions=True)


def main():
    a = args()
    if a.api == "sync":
        fn = {"connect": sync_connect, "scale": sync_scale}.get(a.mode, sync_messages)
        return fn(a)
    fn = {"connect": async_connect, "scale": async_scale}.get(a.mode, async_messages)
    return asyncio.run(fn(a))


if __name__ == "__main__":
    sys.exit(main())
