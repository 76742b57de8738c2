"""Timeouts end waits promptly and no wait spins: each test measures wall
time and the process's CPU time (every thread) against a real listener that
accepts and never answers, or a server that upgrades and then never reads."""

from __future__ import annotations

import asyncio
import time

import pytest

import wsc
from wsc import errors
from conftest import Measured, cpu_seconds

# A spinning wait burns about one core: far above this for the waits below.
CPU_BUDGET = 0.25


def test_connect_timeout_raises_promptly_without_spinning(silent_server):
    with Measured() as took, pytest.raises(wsc.Timeout) as e:
        wsc.connect("ws://127.0.0.1:%d/" % silent_server.port, connect_timeout=0.5)
    wall, cpu = took.wall, took.cpu
    assert 0.4 <= wall < 2.0, wall
    assert cpu < CPU_BUDGET, cpu
    assert e.value.wsc_status == errors.WSC_ETIMEDOUT
    assert str(silent_server.port) in str(e.value)


def test_open_timeout_is_a_wait_that_ran_out(silent_server):
    with Measured() as took, pytest.raises(wsc.Timeout) as e:
        wsc.connect("ws://127.0.0.1:%d/" % silent_server.port, open_timeout=0.3,
                    connect_timeout=10)
    wall, cpu = took.wall, took.cpu
    assert 0.25 <= wall < 1.5, wall
    assert cpu < CPU_BUDGET, cpu
    assert e.value.wsc_status == errors.WSC_EWAIT
    assert "open_timeout" in str(e.value)


def _pong_timeout_conn(raw_server):
    srv = raw_server("stall")  # upgrades, then never reads: pings go unanswered
    return wsc.connect("ws://127.0.0.1:%d/" % srv.port, ping_interval=0.1, pong_timeout=0.3)


def test_recv_after_pong_timeout_reports_the_timeout(raw_server):
    ws = _pong_timeout_conn(raw_server)
    with Measured() as took, pytest.raises(wsc.ConnectionClosedError) as e:
        ws.recv(timeout=10)
    wall, cpu = took.wall, took.cpu
    assert wall < 3, wall
    assert cpu < CPU_BUDGET, cpu
    assert e.value.wsc_status == errors.WSC_ETIMEDOUT
    assert "pong" in str(e.value)
    assert not isinstance(e.value, wsc.Timeout), "a dead connection is not a wait to retry"
    with pytest.raises(wsc.ConnectionClosedError) as again:
        ws.send("x")
    assert again.value.wsc_status == errors.WSC_ETIMEDOUT


def test_close_after_pong_timeout_returns_at_once_with_the_cause(raw_server):
    ws = _pong_timeout_conn(raw_server)
    deadline = time.monotonic() + 5
    while ws.state != wsc.State.CLOSED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ws.state == wsc.State.CLOSED
    with Measured() as took, pytest.raises(wsc.ConnectionClosedError) as e:
        ws.close(timeout=10)
    wall, cpu = took.wall, took.cpu
    assert wall < 0.5, wall
    assert cpu < CPU_BUDGET, cpu
    assert e.value.wsc_status == errors.WSC_ETIMEDOUT
    ws.close()  # twice is harmless


def test_close_while_pong_timeout_is_pending_waits_for_it(raw_server):
    # The server never answers our Close either: the close ends when the
    # library's own timer does, and close() says so, without spinning.
    ws = _pong_timeout_conn(raw_server)
    with Measured() as took, pytest.raises(wsc.ConnectionClosedError) as e:
        ws.close(timeout=10)
    wall, cpu = took.wall, took.cpu
    assert wall < 5, wall
    assert cpu < CPU_BUDGET, cpu
    assert e.value.wsc_status == errors.WSC_ETIMEDOUT


def test_recv_timeout_is_a_wait_that_ran_out(wsc_server):
    with wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
        c0 = cpu_seconds()
        with pytest.raises(wsc.Timeout) as e:
            ws.recv(timeout=0.5)
        assert cpu_seconds() - c0 < CPU_BUDGET
        assert e.value.wsc_status == errors.WSC_EWAIT
        ws.send("still open")
        assert ws.recv(timeout=5) == "still open"


def test_aio_connect_timeout_and_pong_timeout(silent_server, raw_server):
    async def main() -> None:
        with Measured() as took, pytest.raises(wsc.Timeout) as e:
            await wsc.aio.connect("ws://127.0.0.1:%d/" % silent_server.port, connect_timeout=0.5)
        assert took.wall < 2 and took.cpu < CPU_BUDGET, (took.wall, took.cpu)
        assert e.value.wsc_status == errors.WSC_ETIMEDOUT

        srv = raw_server("stall")
        ws = await wsc.aio.connect("ws://127.0.0.1:%d/" % srv.port, ping_interval=0.1,
                                   pong_timeout=0.3)
        with Measured() as took:
            with pytest.raises(wsc.ConnectionClosedError) as e2:
                await ws.recv(timeout=10)
            with Measured() as closing, pytest.raises(wsc.ConnectionClosedError) as e3:
                await ws.close(timeout=10)
        assert e2.value.wsc_status == errors.WSC_ETIMEDOUT
        assert e3.value.wsc_status == errors.WSC_ETIMEDOUT
        assert closing.wall < 0.5, closing.wall
        assert took.cpu < CPU_BUDGET, took.cpu

    asyncio.run(main())
