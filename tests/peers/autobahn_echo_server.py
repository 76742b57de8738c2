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

from autobahn.asyncio.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.compress import PerMessageDeflateOffer, PerMessageDeflateOfferAccept

from peer_stdin import stop_future


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

    await stop_future(loop)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
