"""How test peers notice that the test that started them is gone.

PeerProcess (tests/support/peer_process.cpp) keeps the peer's stdin open as a
pipe; when the test process dies, the pipe reaches EOF and the peer exits.
"""
import os
import stat
import sys


def stdin_is_watchable():
    """True when stdin is a pipe, socket or terminal whose EOF means "stop"."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(sys.stdin.fileno())
