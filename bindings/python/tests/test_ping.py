"""Connection.ping() and remote_address in both APIs: the round trip of a
real pong, a pong that never comes, a connection that is not open, argument
checks; the TCP peer's address."""

from __future__ import annotations

import asyncio

import pytest

import wsc
from conftest import SOURCE_DIR, Peer

HOSTILE_PEER = SOURCE_DIR / "tests" / "peers" / "hostile_server.py"


@pytest.fixture
def ping_reporter():
    """A server that answers each ping with a text "ping '<payload>'"."""
    p = Peer(["/usr/bin/python3", str(HOSTILE_PEER)], r"^PORT (\d+)")
    yield "ws://127.0.0.1:%d/report-pings" % p.port
    p.stop()


def test_sync_ping_carries_its_data(ping_reporter):
    with wsc.connect(ping_reporter) as ws:
        assert 0 < ws.ping(data=b"abc\x00") < 1.0
        assert ws.recv(timeout=5) == "ping 'abc\x00'"
        ws.ping(data="h\u00e9")  # str as UTF-8
        assert ws.recv(timeout=5) == "ping 'h\u00e9'"
        with pytest.raises(ValueError, match="at most 125 bytes, got 126"):
            ws.ping(data=b"x" * 126)
        with pytest.raises(TypeError):
            ws.ping(data=5)
        assert ws.state == wsc.State.OPEN


def test_async_ping_carries_its_data(ping_reporter):
    async def main():
        async with wsc.aio.connect(ping_reporter) as ws:
            assert 0 < await ws.ping(data=b"x" * 125) < 1.0
            assert await ws.recv(timeout=5) == "ping '%s'" % ("x" * 125)
            with pytest.raises(ValueError):
                await ws.ping(data=b"x" * 126)

    asyncio.run(asyncio.wait_for(main(), 20))


def test_sync_ping_returns_the_round_trip(wsc_server):
    with wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
        rtts = [ws.ping() for _ in range(5)]
        assert all(isinstance(r, float) and 0 < r < 1.0 for r in rtts)
        ws.send("after")  # the connection goes on
        assert ws.recv(timeout=5) == "after"
        assert ws.stats().rtt_us_last > 0


def test_sync_ping_without_a_pong_raises_timeout_and_keeps_the_connection(raw_server):
    srv = raw_server("stall")
    with wsc.connect("ws://127.0.0.1:%d/" % srv.port) as ws:
        with pytest.raises(wsc.Timeout, match="no pong within 200 ms"):
            ws.ping(timeout=0.2)
        assert ws.state == wsc.State.OPEN
        srv.go.set()


def test_sync_ping_arguments_and_closed_connection(wsc_server):
    ws = wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port)
    with pytest.raises(TypeError):
        ws.ping(timeout="1")
    with pytest.raises(ValueError):
        ws.ping(timeout=0)
    ws.close()
    with pytest.raises(wsc.ConnectionClosed):
        ws.ping()


def test_async_ping_returns_the_round_trip(wsc_server):
    async def main():
        async with wsc.aio.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
            rtts = await asyncio.gather(*(ws.ping() for _ in range(3)))
            assert all(0 < r < 1.0 for r in rtts)
            await ws.send("x")
            assert await ws.recv(timeout=5) == "x"
            await ws.close()
            with pytest.raises(wsc.ConnectionClosed):
                await ws.ping()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_async_ping_without_a_pong_raises_timeout(raw_server):
    srv = raw_server("stall")

    async def main():
        ws = await wsc.aio.connect("ws://127.0.0.1:%d/" % srv.port)
        with pytest.raises(wsc.Timeout, match="no pong"):
            await ws.ping(timeout=0.2)
        assert ws.state == wsc.State.OPEN
        srv.go.set()

    asyncio.run(asyncio.wait_for(main(), 20))


def test_remote_address_is_the_tcp_peer(wsc_server):
    with wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
        assert ws.remote_address == ("127.0.0.1", wsc_server.port)

    async def main():
        async with wsc.aio.connect("ws://localhost:%d/" % wsc_server.port) as ws:
            return ws.remote_address

    assert asyncio.run(asyncio.wait_for(main(), 20)) == ("127.0.0.1", wsc_server.port)


def test_response_headers_are_those_of_the_upgrade(wsc_server):
    with wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
        headers = ws.response_headers
        assert headers["Upgrade"].lower() == "websocket"  # case-insensitive lookup
        assert len(headers["sec-websocket-accept"]) == 28  # base64 of a SHA-1

    async def main():
        async with wsc.aio.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
            return ws.response_headers

    assert asyncio.run(asyncio.wait_for(main(), 20))["connection"].lower() == "upgrade"
