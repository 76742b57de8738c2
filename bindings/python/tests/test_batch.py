"""Batched receive (wsc_recv_many into the connection's buffer), recv_many(),
send_many() and the asyncio notify fd, against `wsc serve`."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

import wsc
import wsc.aio
from wsc.connection import BATCH_BYTES, BATCH_MESSAGES


def url(server):
    return "ws://127.0.0.1:%d/" % server.port


def mixed(n):
    """n messages, text and binary mixed, each naming its index."""
    return ["t%d" % i if i % 3 else b"b%d" % i for i in range(n)]


def wait_received(ws, n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while ws.stats().msgs_received < n:
        assert time.monotonic() < deadline, "only %d of %d arrived" % (ws.stats().msgs_received, n)
        time.sleep(0.002)


def run(coro, timeout=25):
    return asyncio.run(asyncio.wait_for(coro, timeout))


# --- sync -------------------------------------------------------------------------------------

def test_recv_many_returns_what_is_waiting_in_order(wsc_server):
    msgs = mixed(50)
    with wsc.connect(url(wsc_server)) as ws:
        ws.send_many(msgs)
        wait_received(ws, len(msgs))
        first = ws.recv_many(20)
        rest = ws.recv_many()
        assert first + rest == msgs
        assert [type(m) for m in first + rest] == [type(m) for m in msgs]
        t0 = time.monotonic()
        with pytest.raises(wsc.Timeout):
            ws.recv_many(timeout=0.2)  # waits for the first message only
        assert time.monotonic() - t0 >= 0.15
        with pytest.raises(ValueError):
            ws.recv_many(0)


def test_recv_many_waits_for_the_first_message_only(wsc_server):
    with wsc.connect(url(wsc_server)) as ws:
        ws.send(b"one")
        assert ws.recv_many(timeout=5) == [b"one"]


def test_send_many_takes_any_bytes_like(wsc_server):
    with wsc.connect(url(wsc_server)) as ws:
        ws.send_many(["a", b"b", bytearray(b"c"), memoryview(b"d")])
        assert [ws.recv(timeout=5) for _ in range(4)] == ["a", b"b", b"c", b"d"]
        with pytest.raises(TypeError):
            ws.send_many([1])


def test_batches_mix_large_and_small_messages(wsc_server):
    big = os.urandom(BATCH_BYTES + 12345)
    msgs = [b"s1", big, "s2", os.urandom(BATCH_BYTES // 2), b"", "s3"]
    with wsc.connect(url(wsc_server)) as ws:
        for m in msgs:
            ws.send(m)
        wait_received(ws, len(msgs))
        assert [ws.recv(timeout=5) for _ in msgs] == msgs


def test_threads_sharing_a_connection_each_see_increasing_order(wsc_server):
    n = 4000
    with wsc.connect(url(wsc_server)) as ws:
        got = {0: [], 1: []}
        errors = []

        def reader(k):
            try:
                while True:
                    m = ws.recv(timeout=5)
                    if m == b"end":
                        return
                    got[k].append(int(m))
            except Exception as e:  # noqa: BLE001 - reported by the assert below
                errors.append(e)

        threads = [threading.Thread(target=reader, args=(k,)) for k in (0, 1)]
        for t in threads:
            t.start()
        ws.send_many(b"%d" % i for i in range(n))
        ws.send_many([b"end", b"end"])
        for t in threads:
            t.join(20)
        assert not errors
        for k in (0, 1):
            assert got[k] == sorted(got[k]), "a reader saw messages out of order"
        assert sorted(got[0] + got[1]) == list(range(n))


def test_buffered_messages_come_before_the_close(wsc_server):
    with wsc.connect(url(wsc_server)) as ws:
        ws.send_many([b"1", b"2", b"3"])
        wait_received(ws, 3)
        assert ws.recv(timeout=5) == b"1"  # takes all three from libwsc
        ws.close()
        assert ws.recv(timeout=1) == b"2"
        assert ws.recv_many(timeout=1) == [b"3"]
        with pytest.raises(wsc.ConnectionClosedOK):
            ws.recv(timeout=1)


def test_batch_limits_are_sane():
    assert BATCH_MESSAGES >= 1 and BATCH_BYTES >= 1


# --- asyncio ----------------------------------------------------------------------------------

def test_aio_recv_many_send_many(wsc_server):
    msgs = mixed(300)

    async def main():
        async with wsc.aio.connect(url(wsc_server)) as ws:
            await ws.send_many(msgs)
            got = []
            while len(got) < len(msgs):
                batch = await ws.recv_many(100, timeout=5)
                assert 1 <= len(batch) <= 100
                got += batch
            assert got == msgs
            with pytest.raises(wsc.Timeout):
                await ws.recv_many(timeout=0.1)
            with pytest.raises(ValueError):
                await ws.recv_many(0)
    run(main())


def test_aio_recv_timeout_zero_returns_a_queued_message(wsc_server):
    async def main():
        async with wsc.aio.connect(url(wsc_server)) as ws:
            with pytest.raises(wsc.Timeout):
                await ws.recv(timeout=0)
            await ws.send("x")
            for _ in range(500):
                if ws.stats().msgs_received:
                    break
                await asyncio.sleep(0.01)
            assert await ws.recv(timeout=0) == "x"
    run(main())


def test_aio_concurrent_receivers_are_all_woken(wsc_server):
    async def main():
        async with wsc.aio.connect(url(wsc_server)) as ws:
            tasks = [asyncio.ensure_future(ws.recv(timeout=5)) for _ in range(3)]
            await asyncio.sleep(0.05)  # all three wait now
            for i in range(3):
                await ws.send(b"%d" % i)
            assert sorted(await asyncio.gather(*tasks)) == [b"0", b"1", b"2"]
    run(main())


def test_aio_timeout_then_message(wsc_server):
    async def main():
        async with wsc.aio.connect(url(wsc_server)) as ws:
            with pytest.raises(wsc.Timeout):
                await ws.recv(timeout=0.1)
            assert not ws._waiters, "a timed-out recv leaves no waiter behind"
            await ws.send(b"late")
            assert await ws.recv(timeout=5) == b"late"
    run(main())


def test_aio_messages_before_close_are_readable_after_it(wsc_server):
    async def main():
        ws = await wsc.aio.connect(url(wsc_server))
        await ws.send_many([b"1", b"2", b"3"])
        for _ in range(500):
            if ws.stats().msgs_received == 3:
                break
            await asyncio.sleep(0.01)
        await ws.close()
        assert [await ws.recv(timeout=1) for _ in range(3)] == [b"1", b"2", b"3"]
        with pytest.raises(wsc.ConnectionClosedOK):
            await ws.recv(timeout=1)
    run(main())


def test_aio_close_wakes_a_waiting_recv(wsc_server):
    async def main():
        ws = await wsc.aio.connect(url(wsc_server))
        pending = asyncio.ensure_future(ws.recv())
        await asyncio.sleep(0.05)
        await ws.close()
        with pytest.raises(wsc.ConnectionClosedOK):
            await asyncio.wait_for(pending, 5)
    run(main())


def test_aio_notify_fd_is_watched_and_closed(wsc_server):
    def open_fds():
        return len(os.listdir("/proc/self/fd"))

    async def main():
        before = open_fds()
        for _ in range(20):
            async with wsc.aio.connect(url(wsc_server)) as ws:
                assert ws._notify_r == -1, "made only when a recv() has to wait"
                with pytest.raises(wsc.Timeout):
                    await ws.recv(timeout=0.01)
                assert ws._notify_r >= 0, "the selector loop watches the notify fd"
                await ws.send("x")
                assert await ws.recv(timeout=5) == "x"
            assert ws._notify_r == -1
        assert open_fds() <= before + 2  # nothing leaks per connection
    run(main())


def test_aio_without_add_reader_uses_the_readable_callback(wsc_server, monkeypatch):
    def no_add_reader(self, *args):
        raise NotImplementedError

    monkeypatch.setattr(asyncio.SelectorEventLoop, "add_reader", no_add_reader)

    async def main():
        async with wsc.aio.connect(url(wsc_server)) as ws:
            assert ws._notify_r == -1
            for i in range(50):
                await ws.send("m%d" % i)
            assert [await ws.recv(timeout=5) for _ in range(50)] == ["m%d" % i for i in range(50)]
            with pytest.raises(wsc.Timeout):
                await ws.recv(timeout=0.1)
            await ws.send(b"after a wait")
            assert await ws.recv(timeout=5) == b"after a wait"
    run(main())
