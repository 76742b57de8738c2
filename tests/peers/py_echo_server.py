#!/usr/bin/python3
"""WebSocket echo peer for wsc tests, on Debian's python3-websockets (10.4).

Runs under /usr/bin/python3 on purpose: the python3 first on PATH may be a
pyenv build without Debian's websockets module.

Listens on 127.0.0.1 (port 0 = ephemeral unless --port), prints exactly one
line "PORT <n>" on stdout once listening, then serves until SIGTERM, SIGINT
or EOF on stdin. The stdin watch is what lets a test harness tie the peer's
life to its own: hold the write end of a pipe, and when the harness exits
(even by crashing) the kernel closes it and the peer exits too. It is only
armed when stdin is a pipe, socket or terminal, so `peer </dev/null &` keeps
running.

Paths:
  /extensions               send one text message, a JSON list of the
                            negotiated extensions, then echo
  /tls                      send one text message, a JSON object with the
                            negotiated TLS version and cipher, then echo
  /deflate                  send one text message, a JSON object of the
                            permessage-deflate parameters as the server
                            applies them ({} without the extension), then echo
  /control                  send a ping "server-ping" and an unsolicited
                            pong "server-pong", then echo
  /headers                  send one text message, a JSON object of the
                            request headers (lowercased names; repeated
                            headers joined with ", "), then echo
  /close/<code>[/<reason>]  close at once with that code and (URL-decoded)
                            reason. Codes websockets refuses to send still go
                            out as raw frames, so clients can be tested
                            against them; 1005 sends a Close frame with no
                            payload and 1006 drops TCP without a Close frame,
                            which is what those codes mean to a client.
  anything else             echo every message with its type (text stays
                            text, binary stays binary); with --random-drops P,
                            after each echo the connection ends with
                            probability P (half by dropping TCP, half by
                            Close 1011), for soak tests

Connection options: no size limit, no permessage-deflate unless
--compression or a --deflate-* option, no server pings unless --ping-interval, subprotocols chat.v1 and chat.v2 (the first one the
client offers that the server knows wins; none if the client offers none).
"""

import argparse
import asyncio
import json
import random
import ssl
import struct
import urllib.parse

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.extensions import permessage_deflate
from websockets.frames import Close

from peer_stdin import stop_future

SUBPROTOCOLS = ["chat.v1", "chat.v2"]
CLOSE_TIMEOUT_S = 5


def select_subprotocol(client_protocols, server_protocols):
    # websockets' default ranks by the sum of both sides' positions; tests
    # want the plain rule that the client's order decides.
    for proto in client_protocols:
        if proto in server_protocols:
            return proto
    return None


async def echo(ws):
    async for message in ws:
        await ws.send(message)
        if RANDOM_DROPS.p and RANDOM_DROPS.rng.random() < RANDOM_DROPS.p:
            # Half die without a Close frame (a crash), half with 1011.
            await close_with(ws, RANDOM_DROPS.rng.choice([1006, 1011]), "random drop")
            return


class RANDOM_DROPS:  # --random-drops: probability per echoed message, and its seeded rng
    p = 0.0
    rng = random.Random()


async def close_with(ws, code, reason):
    if code == 1006:
        # 1006 is never on the wire: a client sees it when TCP just ends.
        # Waiting for CLOSED keeps websockets from then trying (and loudly
        # failing) its own closing handshake on the dead socket.
        ws.transport.abort()
        await ws.wait_closed()
        return
    try:
        Close(code, reason).check()
    except Exception:  # websockets raises ProtocolError for codes it won't send
        payload = b"" if code == 1005 else struct.pack("!H", code & 0xFFFF) + reason.encode()
        try:
            await asyncio.wait_for(ws.write_close_frame(Close(code, reason), payload),
                                   CLOSE_TIMEOUT_S)
            await asyncio.wait_for(ws.wait_closed(), CLOSE_TIMEOUT_S)
        except (asyncio.TimeoutError, ConnectionClosed):
            ws.transport.abort()
            await ws.wait_closed()
        return
    await ws.close(code, reason)


async def handler(ws):
    try:
        parts = urllib.parse.urlsplit(ws.path).path.split("/")
        if len(parts) >= 3 and parts[1] == "close":
            try:
                code = int(parts[2])
            except ValueError:
                code = 1000
            reason = urllib.parse.unquote("/".join(parts[3:]))
            await close_with(ws, code, reason)
            return
        if parts[1:2] == ["extensions"]:
            await ws.send(json.dumps([str(e.name) for e in ws.extensions]))
        if parts[1:2] == ["tls"]:
            sslobj = ws.transport.get_extra_info("ssl_object")
            info = {"version": sslobj.version(), "cipher": sslobj.cipher()[0],
                    "sni": LAST_SNI[0]} if sslobj else {}
            await ws.send(json.dumps(info))
        if parts[1:2] == ["deflate"]:
            await ws.send(json.dumps(deflate_params(ws)))
        if parts[1:2] == ["control"]:
            # The client's pong to this ping is not awaited: echo goes on.
            await ws.ping(b"server-ping")
            await ws.pong(b"server-pong")
        if parts[1:2] == ["headers"]:
            headers = {}
            for name, value in ws.request_headers.raw_items():
                key = name.lower()
                headers[key] = headers[key] + ", " + value if key in headers else value
            await ws.send(json.dumps(headers))
        await echo(ws)
    except ConnectionClosed:
        pass  # the client going away is normal here, not worth a traceback


LAST_SNI = [None]  # the server name the last TLS client sent (SNI)


def deflate_params(ws):
    """What the server's permessage-deflate applies: client_* is what it
    expects from the client (remote), server_* what it does itself."""
    for ext in ws.extensions:
        if isinstance(ext, permessage_deflate.PerMessageDeflate):
            return {"client_max_window_bits": ext.remote_max_window_bits,
                    "server_max_window_bits": ext.local_max_window_bits,
                    "client_no_context_takeover": ext.remote_no_context_takeover,
                    "server_no_context_takeover": ext.local_no_context_takeover}
    return {}


class ThresholdDeflate(permessage_deflate.PerMessageDeflate):
    """websockets 10.4 compresses every message; this one sends messages
    shorter than `min_bytes` uncompressed (RSV1 clear), as Node's ws does
    below its threshold."""

    min_bytes = 0

    def encode(self, frame):
        if frame.opcode in (websockets.frames.OP_TEXT, websockets.frames.OP_BINARY):
            self.passing = len(frame.data) < self.min_bytes
        if getattr(self, "passing", False) and frame.opcode not in websockets.frames.CTRL_OPCODES:
            return frame
        return super().encode(frame)


class DeflateFactory(permessage_deflate.ServerPerMessageDeflateFactory):
    """The server side of permessage-deflate as the --deflate-* options say."""

    def __init__(self, min_bytes, **params):
        super().__init__(**params)
        self.min_bytes = min_bytes

    def process_request_params(self, params, accepted_extensions):
        response, ext = super().process_request_params(params, accepted_extensions)
        if self.min_bytes:
            ext.__class__ = ThresholdDeflate
            ext.min_bytes = self.min_bytes
        return response, ext


def deflate_factory(args):
    """None when no --deflate-* option was given."""
    custom = (args.deflate_server_no_context_takeover or args.deflate_client_no_context_takeover
              or args.deflate_server_max_window_bits or args.deflate_client_max_window_bits
              or args.deflate_min_bytes is not None)
    if not custom:
        return None
    return DeflateFactory(
        args.deflate_min_bytes or 0,
        server_no_context_takeover=args.deflate_server_no_context_takeover,
        client_no_context_takeover=args.deflate_client_no_context_takeover,
        server_max_window_bits=args.deflate_server_max_window_bits,
        client_max_window_bits=args.deflate_client_max_window_bits)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ping-interval", type=float, default=None, metavar="S")
    ap.add_argument("--tls-cert", metavar="F")
    ap.add_argument("--tls-key", metavar="F")
    ap.add_argument("--compression", action="store_true",
                    help="accept permessage-deflate when the client offers it")
    ap.add_argument("--deflate-server-no-context-takeover", action="store_true",
                    help="accept permessage-deflate, resetting the server's context per message")
    ap.add_argument("--deflate-client-no-context-takeover", action="store_true",
                    help="accept permessage-deflate, making the client reset its context")
    ap.add_argument("--deflate-server-max-window-bits", type=int, metavar="N",
                    help="accept permessage-deflate, compressing with at most 2^N")
    ap.add_argument("--deflate-client-max-window-bits", type=int, metavar="N",
                    help="accept permessage-deflate, making the client use at most 2^N")
    ap.add_argument("--deflate-min-bytes", type=int, metavar="N",
                    help="accept permessage-deflate; send messages shorter than N "
                    "uncompressed (0: compress everything, as websockets does). Any "
                    "--deflate-* option replaces websockets' default parameters "
                    "(both windows 12) with only the ones given")
    ap.add_argument("--tls-max", choices=["1.2", "1.3"], help="highest TLS version offered")
    ap.add_argument("--tls-client-ca", metavar="F", help="require a client certificate from this CA")
    ap.add_argument("--random-drops", type=float, default=0.0, metavar="P",
                    help="end a connection after an echo with probability P")
    ap.add_argument("--seed", type=int, default=None, help="seed of --random-drops")
    args = ap.parse_args()
    RANDOM_DROPS.p = args.random_drops
    RANDOM_DROPS.rng.seed(args.seed)

    ssl_ctx = None
    if args.tls_cert:
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.load_cert_chain(args.tls_cert, args.tls_key)
        def remember_sni(sslobj, name, _ctx):
            LAST_SNI[0] = name
        ssl_ctx.sni_callback = remember_sni
        if args.tls_max == "1.2":
            ssl_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if args.tls_client_ca:
            ssl_ctx.verify_mode = ssl.CERT_REQUIRED
            ssl_ctx.load_verify_locations(args.tls_client_ca)

    stop = stop_future(asyncio.get_running_loop())

    factory = deflate_factory(args)
    server = await websockets.serve(
        handler, args.host, args.port, ssl=ssl_ctx, max_size=None,
        compression="deflate" if args.compression and not factory else None,
        extensions=[factory] if factory else None,
        ping_interval=args.ping_interval, subprotocols=SUBPROTOCOLS,
        select_subprotocol=select_subprotocol, close_timeout=CLOSE_TIMEOUT_S)
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)

    await stop
    server.close()  # closes open connections with 1001 (going away)
    try:
        await asyncio.wait_for(server.wait_closed(), CLOSE_TIMEOUT_S + 1)
    except asyncio.TimeoutError:
        pass


if __name__ == "__main__":
    asyncio.run(main())
