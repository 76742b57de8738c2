"""The asyncio API against real peers."""

from __future__ import annotations

import asyncio
import os

import pytest

import wsc
from conftest import start_wsc_serve


def run(coro, timeout=25):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 1 << 20, 4 << 20])
def test_echo_all_sizes(wsc_server, size):
    async def main():
        async with wsc.aio.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
            text = "ü" * (size // 2) + "y" * (size % 2)
            data = os.urandom(size)
            await ws.send(text)
            await ws.send(data)
            assert await ws.recv(timeout=10) == text
            assert await ws.recv(timeout=10) == data
            assert ws.state == wsc.State.OPEN
        assert ws.state == wsc.State.CLOSED
    run(main())


def test_async_for_until_normal_close(py_peer):
    peer = py_peer()

    async def main():
        ws = await wsc.aio.connect("ws://127.0.0.1:%d/" % peer.port)
        for i in range(100):
            await ws.send("n%d" % i)
        got = []
        async for msg in ws:
            got.append(msg)
            if len(got) == 100:
                await ws.close()
        assert got == ["n%d" % i for i in range(100)]
        with pytest.raises(wsc.ConnectionClosedOK):
            await ws.send("late")
    run(main())


def test_server_close_codes(py_peer):
    peer = py_peer()

    async def main():
        async with wsc.aio.connect("ws://127.0.0.1:%d/close/1000/fine" % peer.port) as ws:
            assert [m async for m in ws] == []
            with pytest.raises(wsc.ConnectionClosedOK) as e:
                await ws.recv()
            assert (e.value.code, e.value.reason) == (1000, "fine")
        async with wsc.aio.connect("ws://127.0.0.1:%d/close/4002/bad" % peer.port) as ws:
            with pytest.raises(wsc.ConnectionClosedError) as e:
                async for _ in ws:
                    pass
            assert (e.value.code, e.value.reason) == (4002, "bad")
    run(main())


def test_recv_timeout(wsc_server):
    async def main():
        async with wsc.aio.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
            with pytest.raises(wsc.Timeout):
                await ws.recv(timeout=0.2)
    run(main())


def test_unknown_option_type_error():
    with pytest.raises(TypeError):
        wsc.aio.connect("ws://127.0.0.1:1/", bogus=1)


def test_handshake_error(raw_server):
    srv = raw_server("status", 401)

    async def main():
        with pytest.raises(wsc.HandshakeError) as e:
            async with wsc.aio.connect("ws://127.0.0.1:%d/" % srv.port, connect_timeout=5):
                pass
        assert e.value.status == 401
    run(main())


def test_tls_failure_raises_tls_error(py_peer, certs):
    peer = py_peer("--tls-cert", str(certs / "selfsigned.pem"),
                   "--tls-key", str(certs / "selfsigned.key"))

    async def main():
        with pytest.raises(wsc.TlsError):
            await wsc.aio.connect("wss://localhost:%d/" % peer.port,
                                  cafile=str(certs / "ca.pem"), connect_timeout=5)
    run(main())


def test_tls_echo(py_peer, certs):
    peer = py_peer("--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"))

    async def main():
        async with wsc.aio.connect("wss://localhost:%d/" % peer.port,
                                   cafile=str(certs / "ca.pem")) as ws:
            await ws.send("tls")
            assert await ws.recv(timeout=5) == "tls"
            assert ws.tls_info().version.startswith("TLSv1.")
    run(main())


def test_send_waits_on_backpressure(raw_server):
    srv = raw_server("stall")
    chunk = b"z" * (64 << 10)

    async def main():
        async with wsc.aio.connect("ws://127.0.0.1:%d/" % srv.port,
                                   send_queue_bytes=256 << 10) as ws:
            # Fill the socket buffers and the send queue until a send waits.
            for _ in range(4000):
                try:
                    await asyncio.wait_for(ws.send(chunk), 0.5)
                except asyncio.TimeoutError:
                    break
            else:
                pytest.fail("send never waited")
            # The loop thread may still have moved one queued chunk into the
            # socket after that send gave up (room for one, but no drain event
            # until the queue is half empty): then this one fits, and the next
            # one must wait.
            for _ in range(8):
                pending = asyncio.ensure_future(ws.send(chunk))
                await asyncio.sleep(0.3)
                if not pending.done():
                    break
            assert not pending.done()  # waiting, not failing, not blocking the loop
            srv.go.set()
            await asyncio.wait_for(pending, 10)
            assert ws.stats().msgs_sent > 0
            srv.close()
    run(main())


def test_reconnect_after_server_restart():
    async def main():
        server = start_wsc_serve()
        port = server.port
        try:
            async with wsc.aio.connect("ws://127.0.0.1:%d/" % port, reconnect=True,
                                       reconnect_min=0.05, reconnect_max=0.3) as ws:
                await ws.send("one")
                assert await ws.recv(timeout=5) == "one"
                server.stop()
                for _ in range(500):
                    if ws.state != wsc.State.OPEN:
                        break
                    await asyncio.sleep(0.02)
                server = start_wsc_serve(port)
                await ws.send("two")
                assert await ws.recv(timeout=10) == "two"
                assert ws.stats().reconnects >= 1
        finally:
            server.stop()
    run(main())


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_idle_connections_cost_no_notify_descriptor(wsc_server):
    # 10,000 idle connections must not need 20,000 descriptors: the notify
    # eventfd is made only when a recv() first has to wait.
    n = 20

    async def main():
        before = _open_fds()
        conns = [await wsc.aio.connect("ws://127.0.0.1:%d/" % wsc_server.port) for _ in range(n)]
        try:
            idle = _open_fds() - before
            assert idle < n + 5, "idle connections opened %d descriptors" % idle
            # Waiting recv()s: each makes its notify fd once, and is woken by it.
            waits = [asyncio.ensure_future(c.recv()) for c in conns]
            await asyncio.sleep(0.1)
            assert not any(w.done() for w in waits)
            assert _open_fds() - before >= 2 * n
            for i, c in enumerate(conns):
                await c.send("m%d" % i)
            assert [await w for w in waits] == ["m%d" % i for i in range(n)]
        finally:
            for c in conns:
                await c.close()
        assert _open_fds() - before < 5
    run(main())
