"""Draws media/icon.png (128x128): a record with a check mark, written as a PNG with zlib and struct only."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZE = 128
SUPERSAMPLE = 4  # samples per pixel along each axis, for smooth edges

Color = tuple[float, float, float, float]

BACKGROUND: Color = (0.12, 0.16, 0.27, 1.0)
RECORD: Color = (0.05, 0.06, 0.09, 1.0)
GROOVE: Color = (0.22, 0.25, 0.33, 1.0)
LABEL: Color = (0.98, 0.55, 0.16, 1.0)
CHECK: Color = (0.30, 0.85, 0.45, 1.0)
CLEAR: Color = (0.0, 0.0, 0.0, 0.0)


def _inside_rounded_square(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), SIZE - radius)
    cy = min(max(y, radius), SIZE - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _distance_to_segment(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    length_squared = (bx - ax) ** 2 + (by - ay) ** 2
    t = max(0.0, min(1.0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / length_squared))
    return math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)))


def _color_at(x: float, y: float) -> Color:
    if not _inside_rounded_square(x, y, 22):
        return CLEAR
    check_points = ((62.0, 86.0), (80.0, 104.0), (114.0, 64.0))
    check_distance = min(
        _distance_to_segment(x, y, check_points[0], check_points[1]),
        _distance_to_segment(x, y, check_points[1], check_points[2]),
    )
    if check_distance <= 8.5:
        return CHECK
    if check_distance <= 13:  # a dark outline lifts the check off the record
        return BACKGROUND
    distance = math.hypot(x - 56, y - 56)
    if distance <= 7:
        return BACKGROUND  # the spindle hole
    if distance <= 17:
        return LABEL
    if distance <= 44:
        return GROOVE if int(distance) % 6 == 0 else RECORD
    return BACKGROUND


def _pixel(px: int, py: int) -> bytes:
    totals = [0.0, 0.0, 0.0, 0.0]
    for sy in range(SUPERSAMPLE):
        for sx in range(SUPERSAMPLE):
            r, g, b, a = _color_at(px + (sx + 0.5) / SUPERSAMPLE, py + (sy + 0.5) / SUPERSAMPLE)
            totals[0] += r * a
            totals[1] += g * a
            totals[2] += b * a
            totals[3] += a
    samples = SUPERSAMPLE * SUPERSAMPLE
    alpha = totals[3] / samples
    if alpha == 0:
        return bytes(4)
    # Average premultiplied colour, then un-premultiply for PNG's straight alpha.
    channels = [round(255 * min(1.0, total / samples / alpha)) for total in totals[:3]]
    return bytes([*channels, round(255 * alpha)])


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes() -> bytes:
    rows = b"".join(b"\x00" + b"".join(_pixel(px, py) for px in range(SIZE)) for py in range(SIZE))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "media" / "icon.png"
    target.write_bytes(png_bytes())
    print(f"wrote {target}")
