"""permessage-deflate through the binding and the CLI: the deflate options
reach the C library, and the wire stats show compression against Python
websockets."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

import wsc
from conftest import WSC_CLI


def test_compressible_message_is_smaller_on_the_wire(py_peer):
    peer = py_peer("--deflate-min-bytes", "0")
    text = json.dumps([{"id": i, "name": "sensor-%d" % (i % 8), "ok": True} for i in range(2000)])
    with wsc.connect("ws://127.0.0.1:%d/" % peer.port, compression=True) as ws:
        ws.send(text)
        assert ws.recv(timeout=10) == text
        st = ws.stats()
    assert st.bytes_sent == st.bytes_received == len(text)
    assert st.wire_bytes_sent < st.bytes_sent // 4
    assert st.wire_bytes_received < st.bytes_received // 4
    assert st.http_status_from_proxy is False
    assert st.recv_discarded == 0


def test_deflate_parameters_are_negotiated(py_peer):
    peer = py_peer("--deflate-min-bytes", "0")
    with wsc.connect("ws://127.0.0.1:%d/deflate" % peer.port, compression=True,
                     deflate_client_max_window_bits=10, deflate_server_max_window_bits=11,
                     deflate_client_no_context_takeover=True,
                     deflate_server_no_context_takeover=True, deflate_min_bytes=100) as ws:
        agreed = json.loads(ws.recv(timeout=10))
        ws.send("x" * 99)  # under deflate_min_bytes: sent as it is
        assert ws.recv(timeout=10) == "x" * 99
        assert ws.stats().wire_bytes_sent == 99
    assert agreed == {"client_max_window_bits": 10, "server_max_window_bits": 11,
                      "client_no_context_takeover": True, "server_no_context_takeover": True}


def test_without_compression_wire_bytes_equal_bytes(py_peer):
    peer = py_peer("--compression")
    with wsc.connect("ws://127.0.0.1:%d/" % peer.port) as ws:
        ws.send("a" * 5000)
        assert ws.recv(timeout=10) == "a" * 5000
        st = ws.stats()
    assert (st.wire_bytes_sent, st.wire_bytes_received) == (5000, 5000)


def test_bad_deflate_options_are_refused():
    with pytest.raises(wsc.InvalidArgument, match="window"):
        wsc.connect("ws://127.0.0.1:1/", compression=True, deflate_client_max_window_bits=8)
    with pytest.raises(TypeError):
        wsc.connect("ws://127.0.0.1:1/", deflate_client_no_context_takeover="yes")


def test_cli_deflate_prints_the_compression_ratio(py_peer):
    peer = py_peer("--compression")
    line = json.dumps([{"id": i, "ok": True} for i in range(300)])
    run = subprocess.run([WSC_CLI, "--deflate", "-v", "ws://127.0.0.1:%d/" % peer.port],
                         input=line + "\n", capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.stdout == line + "\n"
    m = re.search(r"deflate: sent (\d+) B on the wire for [\d.]+ KiB \(([\d.]+):1\)", run.stderr)
    assert m, run.stderr
    assert int(m.group(1)) < len(line) // 4 and float(m.group(2)) > 4


def test_cli_deflate_options_in_help():
    run = subprocess.run([WSC_CLI, "--help"], capture_output=True, text=True, timeout=10)
    for option in ("--deflate ", "--deflate-window-bits", "--deflate-server-window-bits",
                   "--deflate-no-context-takeover", "--deflate-min"):
        assert option in run.stdout
    bad = subprocess.run([WSC_CLI, "--deflate-window-bits", "8", "ws://127.0.0.1:1/"],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "window" in bad.stderr
