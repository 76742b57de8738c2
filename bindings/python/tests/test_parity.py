"""API users of websockets / websocket-client reach for: argument checks
with the right exception types, close_code/close_reason, latency, state
names, a state hook, open_timeout on both connects, the 'wsc' logger, and an
installed package that finds libwsc without WSC_LIBRARY."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import wsc
from wsc import errors
from conftest import BUILD_DIR


def url_of(server) -> str:
    return "ws://127.0.0.1:%d/" % server.port


# ---- arguments -----------------------------------------------------------------

def test_connect_argument_types(wsc_server):
    with pytest.raises(TypeError):
        wsc.connect(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wsc.aio.connect(b"ws://x/")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wsc.connect(url_of(wsc_server), open_timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wsc.connect(url_of(wsc_server), on_state=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wsc.connect(url_of(wsc_server), no_such_option=1)  # type: ignore[call-arg]
    for bad in ("X-A: b", [("X-A",)], [("X-A", 1)], 5):
        with pytest.raises(TypeError):
            wsc.connect(url_of(wsc_server), headers=bad)  # type: ignore[arg-type]


def test_headers_as_dict_or_pairs_and_refused_headers(wsc_server):
    for headers in ({"X-Trace": "1"}, [("X-Trace", "1"), ("X-Trace", "2")]):
        with wsc.connect(url_of(wsc_server), headers=headers) as ws:
            ws.send("h")
            assert ws.recv(timeout=5) == "h"
    with pytest.raises(wsc.InvalidArgument) as e:
        wsc.connect(url_of(wsc_server), headers={"Sec-WebSocket-Key": "x"})
    assert isinstance(e.value, ValueError)
    assert "set by wsc itself" in str(e.value)
    assert str(e.value).count("invalid argument") == 1, str(e.value)
    with pytest.raises(wsc.InvalidArgument) as e:
        wsc.connect(url_of(wsc_server), headers={"X-A": "a\r\nX-Injected: 1"})
    assert "control character" in str(e.value)


def test_option_error_words_are_not_repeated():
    with pytest.raises(wsc.InvalidArgument) as e:
        wsc.connect("ws://127.0.0.1:1/", reconnect_min=2, reconnect_max=1)
    assert str(e.value).count("invalid argument") == 1, str(e.value)
    with pytest.raises(wsc.InvalidArgument) as e:
        wsc.connect("http://127.0.0.1:1/")
    assert str(e.value).count("invalid argument") == 1, str(e.value)


def test_recv_and_close_argument_checks_keep_the_connection(wsc_server):
    with wsc.connect(url_of(wsc_server)) as ws:
        with pytest.raises(TypeError):
            ws.recv(timeout="1")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            ws.recv(timeout=-1)
        with pytest.raises(wsc.InvalidArgument) as e:
            ws.close(999)
        assert isinstance(e.value, ValueError) and "999" in str(e.value)
        with pytest.raises(TypeError):
            ws.close("1000")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            ws.close(1000, b"bytes")  # type: ignore[arg-type]
        assert ws.state == wsc.State.OPEN
        ws.send("still open")
        assert ws.recv(timeout=5) == "still open"


# ---- what a connection tells ----------------------------------------------------

def test_close_code_reason_state_names_and_hook(py_peer):
    peer = py_peer()
    seen = []
    ws = wsc.connect(url_of(peer), on_state=lambda old, new: seen.append((old, new)))
    assert ws.state is wsc.State.OPEN and ws.state.name == "OPEN"
    assert ws.close_code is None and ws.close_reason is None
    ws.close(4001, "done")
    assert ws.close_code == 4001 and ws.close_reason == "done"
    assert (wsc.State.CONNECTING, wsc.State.OPEN) in seen
    assert seen[-1][1] is wsc.State.CLOSED
    assert all(isinstance(s, wsc.State) for pair in seen for s in pair)


def test_latency_after_pings(wsc_server):
    with wsc.connect(url_of(wsc_server), ping_interval=0.05) as ws:
        assert ws.latency >= 0.0
        deadline = time.monotonic() + 5
        while ws.latency == 0.0 and time.monotonic() < deadline:
            time.sleep(0.05)  # pings go out on an idle connection
        assert 0.0 < ws.latency < 1.0


def test_logger_named_wsc_gets_errors_and_states(caplog, wsc_server):
    caplog.set_level(logging.DEBUG, logger="wsc")
    port = wsc_server.port
    wsc_server.stop()
    with pytest.raises(wsc.ConnectError):
        wsc.connect("ws://127.0.0.1:%d/" % port, connect_timeout=2)
    records = [r for r in caplog.records if r.name == "wsc"]
    assert any(r.levelno == logging.WARNING and str(port) in r.getMessage() for r in records)
    assert any("CONNECTING" in r.getMessage() and r.levelno == logging.DEBUG for r in records)


def test_aio_open_timeout_close_code_and_hook(silent_server, py_peer):
    async def main() -> None:
        t0 = time.monotonic()
        with pytest.raises(wsc.Timeout) as e:
            await wsc.aio.connect(url_of(silent_server), open_timeout=0.3, connect_timeout=10)
        assert 0.25 <= time.monotonic() - t0 < 2
        assert e.value.wsc_status == errors.WSC_EWAIT

        peer = py_peer()
        seen = []
        ws = await wsc.aio.connect(url_of(peer), on_state=lambda o, n: seen.append((o, n)))
        with pytest.raises(TypeError):
            await ws.recv(timeout="1")  # type: ignore[arg-type]
        with pytest.raises(wsc.InvalidArgument):
            await ws.close(1005)
        await ws.send("x")
        assert await ws.recv(timeout=5) == "x"
        await ws.close(4002, "bye")
        assert (ws.close_code, ws.close_reason) == (4002, "bye")
        assert (wsc.State.CONNECTING, wsc.State.OPEN) in seen

    asyncio.run(main())


# ---- install -------------------------------------------------------------------

def test_installed_package_finds_libwsc_without_wsc_library(tmp_path: Path, wsc_server):
    """What `meson install` puts in site-packages: the package plus
    _installed.py naming the libdir (here: the build directory)."""
    src = Path(wsc.__file__).parent
    pkg = tmp_path / "wsc"
    shutil.copytree(src, pkg, ignore=shutil.ignore_patterns("__pycache__", "*.in", "libwsc*"))
    (pkg / "_installed.py").write_text('LIBDIR = %r\n' % str(BUILD_DIR))
    env = {k: v for k, v in os.environ.items() if k != "WSC_LIBRARY"}
    env["PYTHONPATH"] = str(tmp_path)
    code = ("import wsc\n"
            "with wsc.connect(%r) as ws:\n"
            "    ws.send('installed'); print(ws.recv(timeout=5))\n" % url_of(wsc_server))
    r = subprocess.run(["/usr/bin/python3", "-c", code], env=env, cwd=str(tmp_path),
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "installed"
