"""Image files the tests write byte by byte: decompression bombs, as real PNGs."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _header(width: int, height: int) -> bytes:
    # 8-bit greyscale, deflate, no filter method, no interlace
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)


def blank_png(width: int, height: int) -> bytes:
    """A complete, valid black greyscale PNG: 13000x13000 is about 0.7 MB of file and 169 MB of
    pixels once decoded (and gigabytes once converted to RGB floats)."""
    squeeze = zlib.compressobj(1)
    row = b"\0" * (width + 1)  # filter byte 0, then black pixels
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    return _header(width, height) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def claimed_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no pixel data."""
    return (
        _header(width, height) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")
    )
