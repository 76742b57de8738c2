"""The synchronous API against real peers."""

from __future__ import annotations

import json
import os
import time

import pytest

import wsc
from conftest import start_wsc_serve

SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20, 4 << 20]


@pytest.mark.parametrize("size", SIZES)
def test_echo_all_sizes_wsc_serve(wsc_server, size):
    with wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
        text = ("é" * (size // 2)) + ("x" * (size % 2))
        data = os.urandom(size)
        ws.send(text)
        ws.send(data)
        got_text = ws.recv(timeout=10)
        got_data = ws.recv(timeout=10)
        assert isinstance(got_text, str) and got_text == text
        assert isinstance(got_data, bytes) and got_data == data
        st = ws.stats()
        assert st.msgs_received == 2 and st.msgs_sent == 2


def test_echo_many_and_iteration_py_peer(py_peer):
    peer = py_peer()
    with wsc.connect("ws://127.0.0.1:%d/" % peer.port) as ws:
        assert ws.state == wsc.State.OPEN
        for i in range(200):
            ws.send("m%d" % i if i % 2 else b"b%d" % i)
        got = []
        for msg in ws:
            got.append(msg)
            if len(got) == 200:
                break
        assert got == ["m%d" % i if i % 2 else b"b%d" % i for i in range(200)]
    assert ws.state == wsc.State.CLOSED
    with pytest.raises(wsc.ConnectionClosedOK):
        ws.send("after close")


def test_iteration_ends_on_normal_close(py_peer):
    peer = py_peer()
    with wsc.connect("ws://127.0.0.1:%d/close/1000/bye" % peer.port) as ws:
        assert list(ws) == []
        with pytest.raises(wsc.ConnectionClosedOK) as e:
            ws.recv(timeout=5)
        assert e.value.code == 1000 and e.value.reason == "bye"


@pytest.mark.parametrize("code", [4000, 1011, 1006])
def test_abnormal_close_raises_connection_closed(py_peer, code):
    peer = py_peer()
    with wsc.connect("ws://127.0.0.1:%d/close/%d/why" % (peer.port, code)) as ws:
        with pytest.raises(wsc.ConnectionClosedError) as e:
            for _ in ws:
                pass
        assert e.value.code == code
        if code != 1006:
            assert e.value.reason == "why"
        with pytest.raises(wsc.ConnectionClosedError):
            ws.send("x")


def test_recv_timeout(wsc_server):
    with wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port) as ws:
        t0 = time.monotonic()
        with pytest.raises(wsc.Timeout) as e:
            ws.recv(timeout=0.3)
        assert isinstance(e.value, TimeoutError)
        assert 0.25 <= time.monotonic() - t0 < 2


def test_close_with_code(py_peer):
    peer = py_peer()
    ws = wsc.connect("ws://127.0.0.1:%d/" % peer.port)
    ws.send("last")
    ws.close(4001, "done")
    ws.close()  # twice is harmless
    assert ws.state == wsc.State.CLOSED
    assert ws.stats().msgs_sent == 1


def test_headers_subprotocols_origin(py_peer):
    peer = py_peer()
    with wsc.connect("ws://127.0.0.1:%d/headers" % peer.port,
                     headers={"X-Token": "abc"}, subprotocols=["nope", "chat.v2"],
                     origin="http://example.test", ping_interval=5,
                     connect_timeout_ms=5000) as ws:
        h = json.loads(ws.recv(timeout=5))
        assert h["x-token"] == "abc"
        assert h["origin"] == "http://example.test"
        assert ws.subprotocol == "chat.v2"
        assert ws.tls_info() is None


def test_options_checked():
    with pytest.raises(TypeError, match="unknown wsc option"):
        wsc.connect("ws://127.0.0.1:1/", pingInterval=3)
    with pytest.raises(TypeError, match="twice"):
        wsc.connect("ws://127.0.0.1:1/", ping_interval=3, ping_interval_ms=3000)
    with pytest.raises(TypeError):
        wsc.connect("ws://127.0.0.1:1/", reconnect="yes")
    with pytest.raises(wsc.InvalidArgument, match="tls_min_version"):
        wsc.connect("ws://127.0.0.1:1/", tls_min_version=11)
    with pytest.raises(wsc.InvalidArgument):
        wsc.connect("not a url")


def test_connect_refused():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(wsc.ConnectError):
        wsc.connect("ws://127.0.0.1:%d/" % port, connect_timeout=5)


@pytest.mark.parametrize("status", [403, 404, 503])
def test_handshake_error_carries_http_status(raw_server, status):
    srv = raw_server("status", status)
    with pytest.raises(wsc.HandshakeError) as e:
        wsc.connect("ws://127.0.0.1:%d/" % srv.port, connect_timeout=5)
    assert e.value.status == status


def test_reconnect_after_server_restart():
    server = start_wsc_serve()
    port = server.port
    try:
        ws = wsc.connect("ws://127.0.0.1:%d/" % port, reconnect=True, reconnect_min=0.05,
                         reconnect_max=0.3, reconnect_seed=7)
        ws.send("before")
        assert ws.recv(timeout=5) == "before"
        server.stop()
        deadline = time.monotonic() + 10
        while ws.state == wsc.State.OPEN and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ws.state in (wsc.State.RECONNECTING, wsc.State.CONNECTING)
        ws.send("queued while down")  # waits in the send queue
        server = start_wsc_serve(port)
        assert ws.recv(timeout=10) == "queued while down"
        ws.send("after")
        assert ws.recv(timeout=5) == "after"
        assert ws.stats().reconnects >= 1
        ws.close()
    finally:
        server.stop()


def test_tls_echo(py_peer, certs):
    peer = py_peer("--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"))
    with wsc.connect("wss://localhost:%d/" % peer.port, cafile=str(certs / "ca.pem")) as ws:
        ws.send("secure")
        assert ws.recv(timeout=5) == "secure"
        info = ws.tls_info()
        assert info is not None and info.version.startswith("TLSv1.")


@pytest.mark.parametrize("cert,words", [("selfsigned", ""), ("expired", "expired"),
                                        ("wronghost", "")])
def test_tls_failure_raises_tls_error(py_peer, certs, cert, words):
    peer = py_peer("--tls-cert", str(certs / (cert + ".pem")),
                   "--tls-key", str(certs / (cert + ".key")))
    with pytest.raises(wsc.TlsError) as e:
        wsc.connect("wss://localhost:%d/" % peer.port, cafile=str(certs / "ca.pem"),
                    connect_timeout=5)
    assert words in str(e.value)


def test_tls_verify_off(py_peer, certs):
    peer = py_peer("--tls-cert", str(certs / "selfsigned.pem"),
                   "--tls-key", str(certs / "selfsigned.key"))
    with wsc.connect("wss://127.0.0.1:%d/" % peer.port, tls_verify=False) as ws:
        ws.send(b"ok")
        assert ws.recv(timeout=5) == b"ok"


def test_backpressure_raises_queue_full(raw_server):
    srv = raw_server("stall")
    chunk = b"x" * (64 << 10)
    with wsc.connect("ws://127.0.0.1:%d/" % srv.port, send_queue_bytes=256 << 10) as ws:
        with pytest.raises(wsc.QueueFull):
            for _ in range(4000):  # at most 256 MiB: far beyond any socket buffer
                ws.send(chunk)
        assert ws.stats().send_queue_bytes > 128 << 10
        # With a wait, send succeeds once the server reads again.
        srv.go.set()
        ws.send(chunk, wait=10)
    srv.close()


def test_dropping_a_connection_frees_it(wsc_server):
    import gc
    ws = wsc.connect("ws://127.0.0.1:%d/" % wsc_server.port)
    ws.send("x")
    del ws
    gc.collect()
