#!/usr/bin/env python3
"""echo_chat: a minimal chat with a WebSocket echo server through the Python binding.

    wsc serve --port 9001 &
    python3 echo_chat.py ws://127.0.0.1:9001/ hello world   # messages from argv
    printf 'one\\ntwo\\n' | python3 echo_chat.py ws://127.0.0.1:9001/   # or from stdin

Each message is sent as a text message and its echo printed as "echo: ...".
The binding (bindings/python, ctypes) loads libwsc.so.0 from $WSC_LIBRARY or
the system; run from a source tree with PYTHONPATH=bindings/python.
"""
import sys

import wsc


def main(argv):
    if len(argv) < 2:
        print("usage: echo_chat.py ws://HOST:PORT/ [MESSAGE...]", file=sys.stderr)
        return 2
    url = argv[1]
    lines = argv[2:] or [line.rstrip("\r\n") for line in sys.stdin]
    try:
        # connect() returns once the connection is open; `with` closes it.
        with wsc.connect(url, open_timeout=5) as ws:
            print("connected to %s (wsc %s)" % (url, wsc.library_version()), flush=True)
            for line in filter(None, lines):
                ws.send(line)  # str = text message
                print("echo: %s" % ws.recv(timeout=5), flush=True)
        print("closed", flush=True)
    except wsc.WscError as e:  # e.g. ConnectError, Timeout, HandshakeError
        print("echo_chat: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
