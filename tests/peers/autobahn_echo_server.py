#!/usr/bin/python3
"""WebSocket echo peer on Autobahn|Python (Debian python3-autobahn, asyncio)
that accepts permessage-deflate when the client offers it.

Autobahn is the implementation behind the Autobahn|Testsuite; an echo of
256 KiB of compressible text through it once aborted lws's own deflate.

Listens on 127.0.0.1 (ephemeral port), prints "PORT <n>" once listening
(tests/support/peer_process.hpp), and serves until SIGTERM or EOF on stdin.
Every message is echoed with its type; no size limit.
"""

import asyncio
import os
import signal
import sys

from autobahn.asyncio.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept

from peer_stdin import stdin_is_watchable


class Echo(WebSocketServerProtocol):
    def onMessage(self, payload, isBinary):
        self.sendMessage(payload, isBinary)


def accept_deflate(offers):
    for offer in offers:
        if isinstance(offer, PerMessageDeflateOffer):
            return PerMessageDeflateOfferAccept(offer)
    return None


async def main():
    factory = WebSocketServerFactory()
    factory.protocol = Echo
    factory.setProtocolOptions(perMessageCompressionAccept=accept_deflate,
                               maxMessagePayloadSize=0, maxFramePayloadSize=0)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)

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
    await stop
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
