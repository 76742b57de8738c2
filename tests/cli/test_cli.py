"""The `wsc` command driven as users drive it: through pipes and a pseudo
terminal, against `wsc serve` and the websockets peer
(tests/peers/py_echo_server.py), each flag for what it promises."""

from __future__ import annotations

import base64
import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python" / "tests"))
from conftest import WSC_CLI, Peer, certs, py_peer, wsc_server  # noqa: E402,F401  (fixtures)

HOSTILE_PEER = Path(__file__).resolve().parents[2] / "tests" / "peers" / "hostile_server.py"


def run(args, stdin="", timeout=30, env=None):
    return subprocess.run([WSC_CLI, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=env)


def url(peer, path="/"):
    return "ws://127.0.0.1:%d%s" % (peer.port, path)


def start(args, **kw):
    return subprocess.Popen([WSC_CLI, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def read_terminal(master):
    """All a pseudo terminal's writers wrote, until the last one is gone; closes it."""
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO once the terminal has no writer left
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out


def interrupt(proc):
    """Ctrl-C: the graceful way out, exit status 130."""
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)  # stdin stays open: its end would be another way out
    if proc.stdin and not proc.stdin.closed:
        proc.stdin.close()
    return proc.returncode, proc.stdout.read(), proc.stderr.read()


def test_refused_connection_says_connection_refused(wsc_server):
    port = wsc_server.port
    wsc_server.stop()
    r = run(["ws://127.0.0.1:%d/" % port])
    assert r.returncode == 1
    assert "connection refused" in r.stderr and "127.0.0.1:%d" % port in r.stderr


def test_unreachable_proxy_is_blamed_not_the_target(wsc_server):
    r = run(["--proxy", "http://127.0.0.1:1", url(wsc_server)])
    assert r.returncode == 1
    assert "cannot connect to the HTTP proxy http://127.0.0.1:1: connection refused" in r.stderr


def test_proxy_from_env_uses_http_proxy(wsc_server):
    env = dict(os.environ, http_proxy="http://127.0.0.1:1", no_proxy="")
    r = run(["--proxy-from-env", url(wsc_server)], env=env)
    assert r.returncode == 1 and "HTTP proxy http://127.0.0.1:1" in r.stderr
    plain = run([url(wsc_server)], stdin="direct\n", env=env)  # without the flag: no proxy
    assert plain.returncode == 0 and plain.stdout == "direct\n"


def test_piped_echo_is_plain_and_each_reply_printed(wsc_server):
    r = run([url(wsc_server)], stdin="hello\nworld\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\nworld\n"


def test_invalid_utf8_line_is_skipped_and_exit_status_says_so(wsc_server):
    r = subprocess.run([WSC_CLI, url(wsc_server)], input=b"ok\n\xff\xfe\nlast\n",
                       capture_output=True, timeout=30)
    assert r.stdout == b"ok\nlast\n"
    assert b"line 2 is not valid UTF-8" in r.stderr
    assert r.returncode == 1


def test_one_message_prints_the_reply_even_when_the_server_speaks_first(py_peer):
    peer = py_peer()
    for _ in range(5):
        r = run(["-1", url(peer, "/headers")], stdin="ping-me\nnot-sent\n")
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[-1] == "ping-me", r.stdout  # the echo, after the greeting
        assert "not-sent" not in r.stdout


def test_one_message_fails_without_a_reply(wsc_server):
    r = run(["-1", "--wait", "300ms", url(wsc_server)], stdin="")
    assert r.returncode == 1 and "0 of 1 replies" in r.stderr


def test_wait_replies_counts_only_replies_to_our_messages(py_peer):
    peer = py_peer()
    r = run(["--wait-replies", url(peer, "/headers")], stdin="a\nb\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-2:] == ["a", "b"]
    short = run(["--wait-replies=3", "--wait", "300ms", url(peer)], stdin="a\nb\n")
    assert short.returncode == 1 and "2 of 3 replies" in short.stderr


def test_listen_keeps_the_connection_when_stdin_is_closed(py_peer):
    peer = py_peer()
    p = start(["--listen", url(peer, "/headers")])
    p.stdin.close()
    greeting = p.stdout.readline()
    assert json.loads(greeting)["host"].startswith("127.0.0.1")
    time.sleep(1.5)
    assert p.poll() is None, "a closed stdin ended --listen"
    code, _, _ = interrupt(p)
    assert code == 130


def test_no_close_stays_open_after_end_of_input(wsc_server):
    p = start(["-n", url(wsc_server)])
    p.stdin.write("still here\n")
    p.stdin.close()
    assert p.stdout.readline() == "still here\n"
    time.sleep(1.5)  # past the 1s reply wait that ends a plain run
    assert p.poll() is None
    assert interrupt(p)[0] == 130


def test_jsonl_text_and_binary(wsc_server):
    r = run(["--jsonl", url(wsc_server)], stdin='say "hi"\t\n')
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["type"] == "text" and m["text"] == 'say "hi"\t' and m["length"] == 9
    assert abs(m["ts"] - time.time()) < 60
    data = bytes(range(256)) + b"\x00\x01"
    b = subprocess.run([WSC_CLI, "--jsonl", "-b", url(wsc_server)], input=data,
                       capture_output=True, timeout=30)
    assert b.returncode == 0, b.stderr
    m = json.loads(b.stdout)
    assert m["type"] == "binary" and m["length"] == len(data)
    assert base64.b64decode(m["base64"]) == data


def test_show_headers_prints_the_upgrade_response(py_peer):
    r = run(["--show-headers", url(py_peer())], stdin="x\n")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert "HTTP 101" in lines
    assert any(l.startswith("sec-websocket-accept: ") for l in lines)
    assert "upgrade: websocket" in [l.lower() for l in lines]
    assert r.stdout == "x\n"  # headers stay off stdout


def test_headers_from_a_file(py_peer, tmp_path):
    f = tmp_path / "headers"
    f.write_text("# a comment\nX-One: 1\n\nX-Two:  two words\r\n")
    r = run(["-1", "-H", "@" + str(f), "-H", "X-Three: 3", url(py_peer(), "/headers")],
            stdin="x\n")
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.splitlines()[0])
    assert (seen["x-one"], seen["x-two"], seen["x-three"]) == ("1", "two words", "3")
    bad = run(["-H", "@" + str(tmp_path / "missing"), "ws://127.0.0.1:1/"])
    assert bad.returncode == 2 and "cannot read" in bad.stderr


def test_ping_print_shows_each_round_trip(wsc_server):
    p = start(["--listen", "--ping", "100ms", "--ping-print", url(wsc_server)])
    time.sleep(1.0)
    code, _, err = interrupt(p)
    assert code == 130
    rtts = [float(l.split("pong in ")[1].split()[0]) for l in err.splitlines() if "pong in" in l]
    assert len(rtts) >= 3, err
    assert all(0 <= rtt < 1000 for rtt in rtts)


def test_ping_print_shows_the_servers_pings(py_peer):
    peer = py_peer("--ping-interval", "0.1")  # websockets pings with 4 random bytes
    p = start(["--listen", "--ping-print", url(peer)])
    time.sleep(1.0)
    code, _, err = interrupt(p)
    assert code == 130
    pings = [l for l in err.splitlines() if l == "wsc: < ping (4 bytes), answered with a pong"]
    assert len(pings) >= 3, err


def test_ping_print_shows_unsolicited_pongs_and_payloads(py_peer):
    p = start(["--listen", "--ping-print", url(py_peer(), "/control")])
    time.sleep(0.5)
    code, _, err = interrupt(p)
    assert code == 130
    assert "wsc: < ping 'server-ping' (11 bytes), answered with a pong" in err
    assert "wsc: < pong 'server-pong' (11 bytes), unsolicited" in err
    quiet = start(["--listen", url(py_peer(), "/control")])  # without the flag: nothing
    time.sleep(0.5)
    assert "ping" not in interrupt(quiet)[2]


def test_slash_ping_sends_its_data_as_the_payload():
    peer = Peer(["/usr/bin/python3", str(HOSTILE_PEER)], r"^PORT (\d+)")
    try:
        p = start(["--commands", url(peer, "/report-pings")])
        p.stdin.write("/ping " + "x" * 126 + "\n/ping hello there\n")
        p.stdin.flush()
        assert p.stdout.readline() == "ping 'hello there'\n"  # what the server received
        code, _, err = interrupt(p)
    finally:
        peer.stop()
    assert "a ping carries at most 125 bytes, this one has 126" in err
    assert "ping 'hello there': pong in" in err


def test_slash_commands_ping_and_close_with_code(py_peer):
    peer = py_peer()
    p = start(["--commands", "-v", url(peer)])
    p.stdin.write("/ping probe\n//literal\n/bogus\n")
    p.stdin.flush()
    assert p.stdout.readline() == "/literal\n"
    deadline = time.monotonic() + 10
    err = ""
    while "pong in" not in err and time.monotonic() < deadline:
        err += p.stderr.readline()
    assert "ping 'probe': pong in" in err
    p.stdin.write("/close 4000 bye now\n")
    p.stdin.flush()
    p.wait(timeout=10)
    rest = p.stderr.read()
    assert p.returncode == 0, rest
    assert "unknown command /bogus" in err + rest
    assert "closing -> closed" in rest


def test_server_close_is_reported_with_code_and_reason(py_peer):
    p = start(["-n", url(py_peer(), "/close/4001/going%20away")])
    p.stdin.close()
    p.wait(timeout=10)
    r = subprocess.CompletedProcess(p.args, p.returncode, p.stdout.read(), p.stderr.read())
    assert r.returncode == 1
    assert "the server closed the connection: code 4001, reason: going away" in r.stderr


def test_reconnect_lines_name_attempt_and_reason(py_peer):
    peer = py_peer()
    p = start(["--reconnect", "--reconnect-min", "100ms", "--reconnect-max", "300ms",
               url(peer, "/close/1011/boom")])
    time.sleep(2.0)
    code, _, err = interrupt(p)
    delays = [int(m) for m in re.findall(
        r"server closed the connection with code 1011; reconnecting \(attempt \d+\) in (\d+) ms",
        err)]
    assert "reconnecting (attempt 1)" in err and "reconnecting (attempt 2)" in err, err
    assert len(delays) >= 2 and all(100 <= d <= 300 for d in delays), err
    assert code == 130, err


def test_connected_line_names_url_and_subprotocol(py_peer):
    peer = py_peer()
    r = run(["-v", "--subprotocol", "chat.v2", url(peer)], stdin="")
    assert ("Connected to %s (subprotocol chat.v2, no TLS) — Ctrl-D to close, Ctrl-C to quit"
            % url(peer)) in r.stderr


def test_terminal_output_gets_markers(wsc_server):
    master, slave = pty.openpty()
    p = subprocess.Popen([WSC_CLI, url(wsc_server)], stdin=subprocess.PIPE, stdout=slave,
                         stderr=subprocess.PIPE)
    os.close(slave)
    p.stdin.write(b"hi\n")
    p.stdin.close()
    p.wait(timeout=10)
    out = read_terminal(master)
    assert p.returncode == 0
    assert out.replace(b"\r\n", b"\n") == b"> hi\n< hi\n"


def test_server_name_verifies_the_certificate_for_another_name(py_peer, certs):
    # wronghost.pem names wrong.example, not the 127.0.0.1 we connect to.
    peer = py_peer("--tls-cert", str(certs / "wronghost.pem"),
                   "--tls-key", str(certs / "wronghost.key"))
    base = ["--cacert", str(certs / "ca.pem"), "wss://127.0.0.1:%d/" % peer.port]
    by_address = run(base, stdin="x\n")
    assert by_address.returncode == 1 and "certificate" in by_address.stderr
    named = run(["--server-name", "wrong.example"] + base, stdin="x\n")
    assert named.returncode == 0, named.stderr
    assert named.stdout == "x\n"


BENCH_LINE = re.compile(r"^bench: +[\d.]+s +(\d+) msg/s  rtt p50 [\d.]+ ms  p99 [\d.]+ ms  "
                        r"errors (\d+)  open (\d+)/(\d+)$")


def test_bench_prints_one_plain_line_per_interval_when_piped(wsc_server):
    r = run(["bench", "-c", "3", "-d", "1s", "--interval", "250ms", url(wsc_server)])
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stdout and "\033" not in r.stdout
    lines = [BENCH_LINE.match(l) for l in r.stdout.splitlines()]
    progress = [m for m in lines if m]
    assert len(progress) >= 3, r.stdout
    assert all(int(m.group(1)) > 0 and m.group(2) == "0" and m.group(3) == m.group(4) == "3"
               for m in progress), r.stdout
    total = r.stdout.splitlines()[-1]
    assert re.match(r"bench: \d+ round trips in [\d.]+ s: \d+ msg/s, rtt p50 .* errors 0$", total)


def test_bench_redraws_one_line_on_a_terminal():
    master, slave = pty.openpty()
    p = subprocess.Popen([WSC_CLI, "bench", "-d", "1s", "--interval", "200ms"],
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = read_terminal(master)
    p.wait(timeout=10)
    assert p.returncode == 0, p.stderr.read()
    redraws = out.split(b"\r")  # each progress line starts with \r and ends erasing the rest
    drawn = [d for d in redraws if d.startswith(b"bench: ") and d.endswith(b"\033[K")]
    assert len(drawn) >= 3, out
    assert BENCH_LINE.match(drawn[0][:-3].decode())


def test_bench_counts_errors_and_fails_when_nothing_opens(wsc_server):
    port = wsc_server.port
    wsc_server.stop()
    r = run(["bench", "-d", "1s", "ws://127.0.0.1:%d/" % port])
    assert r.returncode == 1
    assert "did not open" in r.stderr and "no connection opened" in r.stderr
    assert run(["bench", "-c", "0"]).returncode == 2
