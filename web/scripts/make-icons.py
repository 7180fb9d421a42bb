#!/usr/bin/env python3
"""Draws the app icons (public/icons/*.png): the favicon's bolt on an indigo square.

Pure Python (zlib + struct), so regenerating them needs nothing from outside the repo.
usage: python3 scripts/make-icons.py
"""
import pathlib
import struct
import zlib

BOLT = [(36, 6), (14, 36), (28, 36), (24, 58), (46, 28), (32, 28)]  # favicon.svg, 64x64 units
INDIGO, WHITE = (67, 56, 202), (255, 255, 255)


def inside(x, y, poly):
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1]):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def icon(size, margin):
    scale = (size * (1 - 2 * margin)) / 64
    offset = size * margin
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            x, y = (px + 0.5 - offset) / scale, (py + 0.5 - offset) / scale
            row += bytes(WHITE if inside(x, y, BOLT) else INDIGO)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


out = pathlib.Path(__file__).resolve().parent.parent / "public" / "icons"
out.mkdir(parents=True, exist_ok=True)
(out / "icon-192.png").write_bytes(icon(192, 0.0))
(out / "icon-512.png").write_bytes(icon(512, 0.0))
(out / "maskable-512.png").write_bytes(icon(512, 0.12))  # inside the maskable safe zone
