"""How test peers notice that the test that started them is gone.

PeerProcess (tests/support/peer_process.cpp) keeps the peer's stdin open as a
pipe; when the test process dies, the pipe reaches EOF and the peer exits.
"""
import asyncio
import os
import signal
import stat
import sys


def stdin_is_watchable():
    """True when stdin is a pipe, socket or terminal whose EOF means "stop"."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(sys.stdin.fileno())


def stop_future(loop):
    """An asyncio future that completes on SIGTERM, SIGINT or, when stdin is
    watchable, EOF on stdin: what an asyncio peer awaits before shutting down."""
    stop = loop.create_future()

    def request_stop(*_):
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    if stdin_is_watchable():
        fd = sys.stdin.fileno()

        def on_stdin():
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(fd)
                request_stop()

        loop.add_reader(fd, on_stdin)
    return stop
