"""wsc.Pool against real peers: 16 threads and 16 asyncio tasks each get a
connection no one else holds and their own echoes; try_acquire; the breaker;
closing the pool."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import wsc
from conftest import free_port as refusing_port, start_wsc_serve


def url(peer):
    return "ws://127.0.0.1:%d/" % peer.port


def test_sixteen_threads_hold_connections_alone_and_get_their_own_echoes(wsc_server):
    holders = {}
    lock = threading.Lock()
    errors = []
    rounds = [0] * 16
    stop = time.monotonic() + 2.0

    def worker(t):
        n = 0
        while time.monotonic() < stop:
            with pool.connection(timeout=10) as ws:
                with lock:
                    if ws._h in holders:
                        errors.append("handle %x held by %s and %s" % (ws._h, holders[ws._h], t))
                    holders[ws._h] = t
                text = "%d-%d" % (t, n)
                ws.send(text)
                got = ws.recv(timeout=5)
                if got != text:
                    errors.append("thread %d sent %r, got %r" % (t, text, got))
                with lock:
                    del holders[ws._h]
            n += 1
        rounds[t] = n

    with wsc.Pool(url(wsc_server), max_conns=4) as pool:
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        s = pool.stats()
        assert errors == []
        assert sum(rounds) > 200
        assert s.acquired == sum(rounds)
        assert s.opened <= 4
        assert s.busy == 0 and s.waiting == 0
        assert s.breaker == "closed"


def test_sixteen_asyncio_tasks(wsc_server):
    async def main():
        holders = set()
        pool = wsc.Pool(url(wsc_server), max_conns=4)
        counts = [0] * 16

        async def task(t):
            for n in range(30):
                async with pool.aconnection(timeout=10) as ws:
                    assert ws._h not in holders
                    holders.add(ws._h)
                    text = "task %d message %d" % (t, n)
                    await ws.send(text)
                    assert await ws.recv(timeout=5) == text
                    holders.discard(ws._h)
                counts[t] += 1

        try:
            await asyncio.gather(*(task(t) for t in range(16)))
            s = pool.stats()
            assert sum(counts) == 16 * 30 == s.acquired
            assert s.opened <= 4 and s.busy == 0
        finally:
            pool.close()

    asyncio.run(asyncio.wait_for(main(), 25))


def test_try_acquire_release_and_unread_messages(wsc_server):
    with wsc.Pool(url(wsc_server), max_conns=1, min_idle=1) as pool:
        deadline = time.monotonic() + 5
        while pool.stats().idle < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        a = pool.try_acquire()
        assert a is not None
        assert pool.try_acquire() is None
        with pytest.raises(wsc.Timeout) as waited:
            pool.acquire(timeout=0.05)
        assert waited.value.wsc_status == wsc.errors.WSC_EWAIT  # a wait ran out, nothing ended
        assert pool.stats().acquire_timeouts == 1
        a.send("left unread")
        time.sleep(0.2)
        pool.release(a)
        with pytest.raises(wsc.ConnectionClosedOK):
            a.send("after release")
        with pool.connection(timeout=5) as b:
            with pytest.raises(wsc.Timeout):
                b.recv(timeout=0.1)  # the old echo was discarded
        assert pool.stats().discarded_messages == 1


def test_closed_connection_is_replaced(wsc_server):
    with wsc.Pool(url(wsc_server), max_conns=1) as pool:
        with pool.connection(timeout=5) as ws:
            ws.close()
        with pool.connection(timeout=5) as ws:
            ws.send("x")
            assert ws.recv(timeout=5) == "x"
        s = pool.stats()
        assert s.replaced == 1 and s.opened == 2


def test_breaker_opens_and_closes_when_the_server_returns():
    port = refusing_port()
    with wsc.Pool("ws://127.0.0.1:%d/" % port, max_conns=2, breaker_threshold=2,
                  breaker_cooldown=0.3) as pool:
        with pytest.raises(wsc.CircuitOpen) as e:
            pool.acquire(timeout=5)
        assert e.value.wsc_status == -17
        assert pool.stats().breaker == "open"
        server = start_wsc_serve(port)
        try:
            time.sleep(0.35)
            with pool.connection(timeout=5) as ws:
                ws.send("back")
                assert ws.recv(timeout=5) == "back"
            assert pool.stats().breaker == "closed"
        finally:
            server.stop()


def test_close_wakes_waiters_and_invalidates_leases(wsc_server):
    pool = wsc.Pool(url(wsc_server), max_conns=1)
    held = pool.acquire(timeout=5)
    result = []

    def wait():
        try:
            pool.acquire(timeout=20)
        except wsc.PoolClosed as e:
            result.append(e)

    th = threading.Thread(target=wait)
    th.start()
    deadline = time.monotonic() + 5
    while pool.stats().waiting == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    pool.close()
    th.join(5)
    assert len(result) == 1
    with pytest.raises(wsc.ConnectionClosed):
        held.send("x")
    with pytest.raises(wsc.PoolClosed):
        pool.acquire(timeout=1)
    with pytest.raises(wsc.InvalidArgument):
        wsc.Pool(url(wsc_server), max_conns=0)
