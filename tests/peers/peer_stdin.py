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


def serve_sessions(session_class):
    """Runs a python3-websockets server on 127.0.0.1 and an ephemeral port
    (printed as "PORT <n>") that serves each connection with
    session_class(ws).serve(), until stop_future says stop. For the RPC
    peers, whose sessions differ only in their protocol."""
    import websockets

    async def handler(ws, _path=None):
        try:
            await session_class(ws).serve()
        except websockets.ConnectionClosed:
            pass

    async def main():
        stop = stop_future(asyncio.get_running_loop())
        server = await websockets.serve(handler, "127.0.0.1", 0, max_size=None, compression=None)
        print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
        await stop
        server.close()

    asyncio.run(main())
