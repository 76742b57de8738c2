#!/usr/bin/python3
"""Writes fuzz/corpus/inflate/: real permessage-deflate payloads (from zlib,
as a server makes them) in the input format of fuzz/inflate_fuzz.cpp."""
import json
import os
import zlib

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inflate")


def records(messages):
    """Each message cut into records of at most 63 bytes, the last one
    with the end-of-message bit."""
    out = bytearray()
    for m in messages:
        pieces = [m[i:i + 63] for i in range(0, len(m), 63)] or [b""]
        for i, piece in enumerate(pieces):
            out.append(len(piece) | (0x40 if i == len(pieces) - 1 else 0))
            out += piece
    return bytes(out)


def server_messages(plain, bits=15, reset=False):
    c = zlib.compressobj(6, zlib.DEFLATED, -bits)
    out = []
    for m in plain:
        data = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        assert data.endswith(b"\x00\x00\xff\xff")
        out.append(data[:-4])
        if reset:
            c = zlib.compressobj(6, zlib.DEFLATED, -bits)
    return out


def flags(bits=15, server_reset=False, round_trip=False):
    return (0x80 if round_trip else 0) | ((bits - 8) << 2) | (1 if server_reset else 0)


def write(name, head, body):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(bytes(head) + body)


os.makedirs(HERE, exist_ok=True)
ticks = [json.dumps({"id": i, "symbol": "BTC-USD", "price": 42000 + i * 7,
                     "qty": i % 13}).encode() * 8 for i in range(4)]
write("hello_takeover", [flags(), 255], records(server_messages([b"Hello", b"Hello"])))
write("rfc_examples", [flags(), 255], records([
    bytes.fromhex("00 05 00 fa ff 48 65 6c 6c 6f 00"),   # stored block
    bytes.fromhex("f3 48 cd c9 c9 07 00 00"),            # BFINAL set
    bytes.fromhex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"),  # two blocks
    bytes.fromhex("00")]))                               # empty message
write("json_takeover", [flags(), 64], records(server_messages(ticks)))
write("json_reset_window10", [flags(10, server_reset=True), 255],
      records(server_messages(ticks, bits=10, reset=True)))
write("round_trip_text", [flags(12, round_trip=True), 0], records(ticks + [b"", b"x" * 300]))
